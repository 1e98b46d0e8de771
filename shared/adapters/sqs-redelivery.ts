import { DELIVERY_ATTRIBUTES as A } from "../domain/delivery-attributes.js";
import type { Clock } from "../ports/clock.js";
import type { MessageQueue } from "../ports/message-queue.js";
import type { Redelivery } from "../ports/redelivery.js";

/** SQS caps DelaySeconds at 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;

/**
 * Redelivery through the queue itself: a new message carrying its due time (`webhooks.not-before`),
 * sent with `DelaySeconds` up to SQS's 15-minute cap. A message received before it is due is sent again
 * for the time that remains (a hop), so waits of any length need no scheduler, burn no receive count
 * (each hop is a new message) and survive redeploys (the state is in the queue). `maxHopSeconds: 0`
 * sends at once and lets the due time alone decide: for local tests on a driven clock.
 */
export class SqsRedelivery implements Redelivery {
  constructor(
    private readonly queue: MessageQueue,
    private readonly queueUrlFor: (queueName: string) => string,
    private readonly clock: Clock,
    private readonly maxHopSeconds = MAX_SQS_DELAY_SECONDS,
  ) {}

  async later(input: {
    queueName: string;
    body: string;
    attributes: Readonly<Record<string, string>>;
    dueAt: number;
  }): Promise<void> {
    await this.hop({
      queueName: input.queueName,
      body: input.body,
      attributes: { ...input.attributes, [A.notBefore]: String(Math.round(input.dueAt)) },
    });
  }

  async hop(input: {
    queueName: string;
    body: string;
    attributes: Readonly<Record<string, string>>;
  }): Promise<void> {
    // The due time travels unchanged; only the SQS delay is derived from it.
    await this.queue.send(this.queueUrlFor(input.queueName), {
      body: input.body,
      delaySeconds: Math.min(this.maxHopSeconds, Math.ceil(this.remainingSeconds(input.attributes))),
      attributes: input.attributes,
    });
  }

  remainingSeconds(attributes: Readonly<Record<string, string | undefined>>): number {
    const dueAt = Number(attributes[A.notBefore] ?? "0");
    const remainingMs = (Number.isFinite(dueAt) ? dueAt : 0) - this.clock.now();
    // Within a second counts as due: SQS delays are whole seconds.
    return remainingMs > 1000 ? remainingMs / 1000 : 0;
  }
}
