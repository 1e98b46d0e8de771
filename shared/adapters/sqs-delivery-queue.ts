import type { AttemptSummary, DeliveryMessage } from "../domain/delivery-message.js";
import { ERROR_CLASSES } from "../domain/delivery-policy.js";
import type { Clock } from "../ports/clock.js";
import type { DeadLetter, DeliveryQueue, NextAttempt } from "../ports/delivery-queue.js";
import type { MessageQueue } from "../ports/message-queue.js";

/**
 * The SQS message attributes a delivery message carries (this adapter reads and writes them; ops read
 * them on DLQ messages and write the replay marks, see shared/adapters/sqs-subscription-queues.ts). All start with `webhooks.`.
 */
export const DELIVERY_ATTRIBUTES = {
  /** 1-based number of the attempt this message is for. */
  attempt: "webhooks.attempt",
  /** Epoch ms before which the message must not be attempted (long waits hop in 15-minute steps). */
  notBefore: "webhooks.not-before",
  subscriptionId: "webhooks.subscription-id",
  /** On DLQ messages: why it is there (`permanent_failure`, `retries_exhausted`, `invalid_message`, …). */
  reason: "webhooks.reason",
  /** Attempts made in all. */
  attempts: "webhooks.attempts",
  lastStatus: "webhooks.last-status",
  errorClass: "webhooks.error-class",
  /** Human-readable detail of the last failure. */
  detail: "webhooks.detail",
  failedAt: "webhooks.failed-at",
  /** JSON list of the last attempts: `[{ n, at, s (status) | e (error class) }]`. */
  history: "webhooks.history",
  /** On a copy replayed from the DLQ by ops: when, and why it had failed. */
  replayedAt: "webhooks.replayed-at",
  replayedReason: "webhooks.replayed-reason",
  /**
   * An operator's resend (or replay) of a stored event: a new delivery with a success record of its own
   * (`DeliveryMessage.resendId`). Kept on retries, parking and dead letters, and by a DLQ replay.
   */
  resendId: "webhooks.resend-id",
} as const;
const A = DELIVERY_ATTRIBUTES;
const OWN_PREFIX = "webhooks.";

/** SQS caps DelaySeconds at 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** Attempts kept in a message's `webhooks.history` attribute (the attempt log keeps them all). */
const HISTORY_LIMIT = 10;
/** Longest `webhooks.detail` value. */
const DETAIL_LIMIT = 1000;

/** An `AttemptSummary` as the history attribute spells it (short names: attributes are small). */
interface HistoryEntry {
  readonly n: number;
  readonly at: number;
  readonly s?: number;
  readonly e?: string;
}

function parseHistory(value: string | undefined): AttemptSummary[] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed
    .filter((entry): entry is HistoryEntry => typeof entry === "object" && entry !== null)
    .map((entry) => ({
      attempt: entry.n,
      at: entry.at,
      ...(entry.s === undefined ? {} : { status: entry.s }),
      ...(entry.e === undefined ? {} : { errorClass: entry.e }),
    }));
}

function historyAttribute(history: readonly AttemptSummary[]): string {
  return JSON.stringify(
    history.slice(-HISTORY_LIMIT).map(
      (a): HistoryEntry => ({
        n: a.attempt,
        at: a.at,
        ...(a.status === undefined ? {} : { s: a.status }),
        ...(a.errorClass === undefined ? {} : { e: a.errorClass }),
      }),
    ),
  );
}

/** How the last attempt failed: its HTTP status, or the class of error when nothing answered. */
function lastAttemptAttributes(last: AttemptSummary): Record<string, string> {
  if (last.status !== undefined)
    return { [A.lastStatus]: String(last.status), [A.errorClass]: ERROR_CLASSES.httpStatus };
  return last.errorClass === undefined ? {} : { [A.errorClass]: last.errorClass };
}

function dueAtOf(attributes: Readonly<Record<string, string | undefined>>): number {
  const dueAt = Number(attributes[A.notBefore] ?? "0");
  return Number.isFinite(dueAt) ? dueAt : 0;
}

/** A message as received from a subscription queue (see `queueRecordOf` in shared/http/sqs-records.ts). */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly queueName: string;
  /** String message attributes. */
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** Reads what a received message carries: its attempt number, history and due time. */
export function deliveryMessageOf(received: ReceivedMessage): DeliveryMessage {
  const { attributes } = received;
  const dueAt = dueAtOf(attributes);
  const resendId = attributes[A.resendId];
  const transport: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes))
    if (name.startsWith(OWN_PREFIX) && value !== undefined) transport[name] = value;
  return {
    messageId: received.messageId,
    body: received.body,
    queueName: received.queueName,
    attempt: Math.max(1, Number(attributes[A.attempt] ?? "1") || 1),
    history: parseHistory(attributes[A.history]),
    ...(dueAt === 0 ? {} : { dueAt }),
    ...(resendId ? { resendId } : {}),
    transport,
  };
}

/** The resend mark of a message, carried on every message that continues it. */
const resendAttributes = (message: DeliveryMessage): Record<string, string> =>
  message.resendId === undefined ? {} : { [A.resendId]: message.resendId };

export interface SqsDeliveryQueueOptions {
  readonly queue: MessageQueue;
  readonly queueUrlFor: (queueName: string) => string;
  readonly dlqNameFor: (queueName: string) => string;
  readonly clock: Clock;
  /** Longest delay of one send; default SQS's cap. 0 sends at once and lets the due time alone decide. */
  readonly maxHopSeconds?: number;
}

/**
 * Delivery messages on SQS. A message that must come back later is a new message on the same queue
 * carrying its due time (`webhooks.not-before`), sent with `DelaySeconds` up to SQS's 15-minute cap. A
 * message received before it is due is sent again for the time that remains (a hop), so waits of any
 * length need no scheduler, burn no receive count (each hop is a new message) and survive redeploys
 * (the state is in the queue). `maxHopSeconds: 0` is for local tests on a driven clock. Dead letters go
 * to the queue's DLQ with the reason as attributes.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly maxHopSeconds: number;

  constructor(private readonly options: SqsDeliveryQueueOptions) {
    this.maxHopSeconds = options.maxHopSeconds ?? MAX_SQS_DELAY_SECONDS;
  }

  remainingSeconds(message: DeliveryMessage): number {
    return this.remaining(message.dueAt ?? 0);
  }

  async hop(message: DeliveryMessage): Promise<void> {
    await this.send(message, message.transport);
  }

  async park(message: DeliveryMessage, dueAt: number): Promise<void> {
    await this.send(message, { ...message.transport, [A.notBefore]: String(Math.round(dueAt)) });
  }

  async retry(message: DeliveryMessage, next: NextAttempt): Promise<void> {
    await this.send(message, {
      [A.attempt]: String(next.attempt),
      [A.subscriptionId]: next.subscriptionId,
      [A.history]: historyAttribute(next.history),
      ...lastAttemptAttributes(next.last),
      [A.detail]: next.detail.slice(0, DETAIL_LIMIT),
      [A.notBefore]: String(Math.round(next.dueAt)),
      ...resendAttributes(message),
    });
  }

  async deadLetter(message: DeliveryMessage, letter: DeadLetter): Promise<void> {
    const { queueUrlFor, dlqNameFor } = this.options;
    await this.options.queue.send(queueUrlFor(dlqNameFor(message.queueName)), {
      body: message.body,
      attributes: {
        [A.reason]: letter.reason,
        [A.attempts]: String(letter.history.length),
        [A.detail]: letter.detail.slice(0, DETAIL_LIMIT),
        [A.failedAt]: new Date(letter.failedAt).toISOString(),
        ...(letter.history.length > 0 ? { [A.history]: historyAttribute(letter.history) } : {}),
        ...(letter.subscriptionId === undefined ? {} : { [A.subscriptionId]: letter.subscriptionId }),
        ...(letter.last ? lastAttemptAttributes(letter.last) : {}),
        ...resendAttributes(message),
      },
    });
  }

  /** Back onto the message's own queue; the due time travels unchanged, only the SQS delay is derived. */
  private async send(message: DeliveryMessage, attributes: Readonly<Record<string, string>>): Promise<void> {
    const delay = Math.ceil(this.remaining(dueAtOf(attributes)));
    await this.options.queue.send(this.options.queueUrlFor(message.queueName), {
      body: message.body,
      delaySeconds: Math.min(this.maxHopSeconds, delay),
      attributes,
    });
  }

  private remaining(dueAt: number): number {
    const remainingMs = dueAt - this.options.clock.now();
    // Within a second counts as due: SQS delays are whole seconds.
    return remainingMs > 1000 ? remainingMs / 1000 : 0;
  }
}
