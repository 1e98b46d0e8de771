import type { SecretResolver } from "../adapters/secret-resolver.js";
import type { HttpTarget, SubscriptionConfig } from "../config/schema.js";
import { DEFAULT_DELIVERY_TIMEOUT_MS, DEFAULT_RETRY_SCHEDULE_SECONDS } from "../config/schema.js";
import { InvalidCloudEventError, parseCloudEvent } from "../domain/cloud-event.js";
import { DELIVERY_ATTRIBUTES as A } from "../domain/delivery-attributes.js";
import {
  type AttemptOutcome,
  DEAD_LETTER_REASONS,
  type DeadLetterReason,
  decideNext,
} from "../domain/delivery-policy.js";
import type { Clock } from "../ports/clock.js";
import type { HttpSender } from "../ports/http-sender.js";
import type { MessageQueue } from "../ports/message-queue.js";
import { signStandardWebhook } from "../verify/sign.js";

/** SQS caps DelaySeconds at 15 minutes; longer waits re-send the message in hops of at most this. */
export const MAX_DELAY_SECONDS = 900;

export interface DeliveryRecord {
  readonly messageId: string;
  readonly body: string;
  /** Name of the queue the record came from (identifies the subscription). */
  readonly queueName: string;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

export type DeliveryResult =
  | {
      readonly messageId: string;
      readonly eventId?: string;
      readonly result: "delivered";
      readonly attempt: number;
      readonly outcome: AttemptOutcome;
    }
  | {
      readonly messageId: string;
      readonly eventId?: string;
      readonly result: "retry-scheduled";
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly outcome: AttemptOutcome;
    }
  | {
      readonly messageId: string;
      readonly eventId?: string;
      readonly result: "dead-lettered";
      readonly attempt: number;
      readonly reason: DeadLetterReason;
      readonly detail: string;
    }
  | {
      readonly messageId: string;
      readonly eventId?: string;
      readonly result: "waiting";
      readonly attempt: number;
    }
  | {
      readonly messageId: string;
      readonly eventId?: string;
      readonly result: "failed";
      readonly error: unknown;
    };

export interface DeliverDeps {
  /** The HTTP subscription a queue belongs to; undefined if the queue is not one of ours. */
  readonly subscriptionFor: (queueName: string) => (SubscriptionConfig & { target: HttpTarget }) | undefined;
  readonly queueUrlFor: (queueName: string) => string;
  readonly dlqNameFor: (queueName: string) => string;
  readonly http: HttpSender;
  readonly queue: MessageQueue;
  readonly secrets: SecretResolver;
  readonly clock: Clock;
  readonly random: () => number;
  readonly userAgent: string;
}

/**
 * Delivers each record once to its subscription's URL, signed with Standard Webhooks. A retry is a
 * new message on the same queue, delayed (in 15-minute hops for longer waits) and carrying the next
 * attempt number, so waits of hours neither burn `maxReceiveCount` nor depend on the function staying
 * up. Permanent failures and exhausted schedules go to the subscription's DLQ with the reason as
 * message attributes. Only when that hand-off itself fails does the record go back to SQS.
 */
export function createDeliverEvents(
  deps: DeliverDeps,
): (records: readonly DeliveryRecord[]) => Promise<readonly DeliveryResult[]> {
  const deliverOne = async (record: DeliveryRecord): Promise<DeliveryResult> => {
    const attempt = Math.max(1, Number(record.attributes[A.attempt] ?? "1") || 1);
    const subscription = deps.subscriptionFor(record.queueName);
    const deadLetter = async (
      reason: DeadLetterReason,
      detail: string,
      extra: Record<string, string> = {},
    ) => {
      await deps.queue.send(deps.queueUrlFor(deps.dlqNameFor(record.queueName)), {
        body: record.body,
        attributes: {
          [A.reason]: reason,
          [A.attempts]: String(attempt),
          [A.detail]: detail.slice(0, 1000),
          [A.failedAt]: new Date(deps.clock.now()).toISOString(),
          ...(subscription ? { [A.subscriptionId]: subscription.id } : {}),
          ...extra,
        },
      });
    };

    let event: ReturnType<typeof parseCloudEvent>;
    try {
      if (!subscription)
        throw new InvalidCloudEventError(`queue ${record.queueName} has no HTTP subscription`);
      event = parseCloudEvent(record.body);
    } catch (error) {
      const detail = (error as Error).message;
      await deadLetter(DEAD_LETTER_REASONS.invalidMessage, detail);
      return {
        messageId: record.messageId,
        result: "dead-lettered",
        attempt,
        reason: "invalid_message",
        detail,
      };
    }

    const now = deps.clock.now();
    const notBefore = Number(record.attributes[A.notBefore] ?? "0");
    if (notBefore > now + 1000) {
      await deps.queue.send(deps.queueUrlFor(record.queueName), {
        body: record.body,
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil((notBefore - now) / 1000)),
        attributes: pickDeliveryAttributes(record.attributes),
      });
      return { messageId: record.messageId, eventId: event.id, result: "waiting", attempt };
    }

    const target = subscription.target;
    const secret = await deps.secrets.resolve(target.secret);
    const timestamp = Math.floor(now / 1000);
    const outcome = await deps.http.post({
      url: target.url,
      timeoutMs: target.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
      body: record.body,
      headers: {
        "content-type": "application/cloudevents+json; charset=utf-8",
        "user-agent": deps.userAgent,
        "webhook-id": event.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signStandardWebhook({ id: event.id, timestamp, body: record.body, secret }),
      },
    });

    const decision = decideNext({
      outcome,
      attempt,
      scheduleSeconds: subscription.retry?.scheduleSeconds ?? DEFAULT_RETRY_SCHEDULE_SECONDS,
      random: deps.random,
    });
    const lastAttempt: Record<string, string> =
      outcome.kind === "response"
        ? { [A.lastStatus]: String(outcome.status), [A.errorClass]: "http_status" }
        : { [A.errorClass]: outcome.errorClass };
    const describe = () =>
      outcome.kind === "response"
        ? `HTTP ${outcome.status} from ${target.url}`
        : `${outcome.errorClass}: ${outcome.message}`;

    switch (decision.action) {
      case "done":
        return { messageId: record.messageId, eventId: event.id, result: "delivered", attempt, outcome };
      case "retry": {
        const delayMs = Math.round(decision.delaySeconds * 1000);
        await deps.queue.send(deps.queueUrlFor(record.queueName), {
          body: record.body,
          delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(decision.delaySeconds)),
          attributes: {
            [A.attempt]: String(attempt + 1),
            [A.notBefore]: String(now + delayMs),
            [A.subscriptionId]: subscription.id,
            ...lastAttempt,
            [A.detail]: describe().slice(0, 1000),
          },
        });
        return {
          messageId: record.messageId,
          eventId: event.id,
          result: "retry-scheduled",
          attempt,
          delaySeconds: decision.delaySeconds,
          outcome,
        };
      }
      case "dead-letter": {
        const detail = describe();
        await deadLetter(decision.reason, detail, lastAttempt);
        return {
          messageId: record.messageId,
          eventId: event.id,
          result: "dead-lettered",
          attempt,
          reason: decision.reason,
          detail,
        };
      }
    }
  };

  return (records) =>
    Promise.all(
      records.map((record) =>
        deliverOne(record).catch(
          (error: unknown): DeliveryResult => ({ messageId: record.messageId, result: "failed", error }),
        ),
      ),
    );
}

function pickDeliveryAttributes(
  attributes: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes))
    if (k.startsWith("webhooks.") && v !== undefined) out[k] = v;
  return out;
}
