import { DEFAULT_RETRY_SCHEDULE_SECONDS } from "../../config/schema.js";
import { type AttemptSummary, type DeliveryMessage, dueAfter } from "../../domain/delivery-message.js";
import { type AttemptOutcome, type Decision, decideNext } from "../../domain/delivery-policy.js";
import type { AttemptRecord } from "../../ports/attempt-log.js";
import type { Admission, Admitted } from "./admit.js";
import type { DeliverDeps, DeliverSettings } from "./deps.js";
import type { DeliveryResult } from "./results.js";

/** Carries out an admission that allowed no attempt: dead-letter, hop, park, or acknowledge. */
export async function settleAdmission(
  message: DeliveryMessage,
  admission: Exclude<Admission, Admitted>,
  deps: Pick<DeliverDeps, "queue" | "clock">,
): Promise<DeliveryResult> {
  const { messageId, attempt } = message;
  switch (admission.kind) {
    case "dead-letter": {
      const { reason, detail, eventId, subscriptionId } = admission;
      await deps.queue.deadLetter(message, {
        reason,
        detail,
        history: message.history,
        ...(subscriptionId === undefined ? {} : { subscriptionId }),
        failedAt: deps.clock.now(),
      });
      return {
        messageId,
        ...(eventId === undefined ? {} : { eventId }),
        result: "dead-lettered",
        attempt,
        reason,
        detail,
      };
    }
    case "not-due":
      // Longer waits than one SQS delay: sent again for the time that remains, no attempt made.
      await deps.queue.hop(message);
      return { messageId, eventId: admission.eventId, result: "parked", attempt, why: "not-due" };
    case "park":
      await deps.queue.park(message, admission.dueAt);
      return { messageId, eventId: admission.eventId, result: "parked", attempt, why: admission.why };
    case "already-delivered":
      return { messageId, eventId: admission.eventId, result: "already-delivered" };
  }
}

/**
 * What follows an attempt: the decision (done, retry, dead-letter, disable the subscription), the
 * attempt log, then the message's next step through the queue: a retry carrying the next attempt number
 * and the history, or the dead-letter queue with the reason. A success writes nothing here: the batch
 * records all its successes in one write once every attempt is done (`deliver-batch.ts`).
 */
export async function settleAttempt(
  message: DeliveryMessage,
  admitted: Admitted,
  outcome: AttemptOutcome,
  deps: Pick<DeliverDeps, "queue" | "attemptLog" | "subscriptionStates" | "clock" | "random">,
  settings: Pick<DeliverSettings, "attemptLogTtlSeconds">,
): Promise<DeliveryResult> {
  const { event, subscription, now } = admitted;
  const { attempt } = message;
  const keys = { messageId: message.messageId, eventId: event.id };
  const decision = decideNext({
    outcome,
    attempt,
    scheduleSeconds: subscription.retry?.scheduleSeconds ?? DEFAULT_RETRY_SCHEDULE_SECONDS,
    random: deps.random,
  });
  const last: AttemptSummary =
    outcome.kind === "response"
      ? { attempt, at: now, status: outcome.status }
      : { attempt, at: now, errorClass: outcome.errorClass };
  const history = [...message.history, last];

  const record = attemptRecord(admitted, attempt, outcome, decision, message.resendId);
  if (decision.action !== "done") await deps.attemptLog.recordAttempt(record, settings.attemptLogTtlSeconds);

  switch (decision.action) {
    case "done":
      return { ...keys, result: "delivered", attempt, outcome, record };
    case "retry":
      await deps.queue.retry(message, {
        attempt: attempt + 1,
        subscriptionId: subscription.id,
        history,
        last,
        detail: describe(outcome, subscription.target.url),
        dueAt: dueAfter(now, decision.delaySeconds),
      });
      return {
        ...keys,
        result: "retry-scheduled",
        attempt,
        delaySeconds: decision.delaySeconds,
        outcome,
        record,
      };
    case "dead-letter": {
      const detail = describe(outcome, subscription.target.url);
      if (decision.disableSubscription) {
        await deps.subscriptionStates.setSubscriptionState(subscription.id, {
          paused: admitted.state.paused,
          disabledReason: detail,
          changedAt: new Date(now).toISOString(),
        });
      }
      await deps.queue.deadLetter(message, {
        reason: decision.reason,
        detail,
        history,
        subscriptionId: subscription.id,
        last,
        failedAt: deps.clock.now(),
      });
      return { ...keys, result: "dead-lettered", attempt, reason: decision.reason, detail, record };
    }
  }
}

function attemptRecord(
  admitted: Admitted,
  attempt: number,
  outcome: AttemptOutcome,
  decision: Decision,
  resendId: string | undefined,
): AttemptRecord {
  return {
    eventId: admitted.event.id,
    subscriptionId: admitted.subscription.id,
    attempt,
    at: admitted.now,
    latencyMs: outcome.latencyMs,
    ...(outcome.kind === "response"
      ? { status: outcome.status, ...(outcome.responseSnippet ? { detail: outcome.responseSnippet } : {}) }
      : { errorClass: outcome.errorClass, detail: outcome.message }),
    result:
      decision.action === "done"
        ? "delivered"
        : decision.action === "retry"
          ? "retry-scheduled"
          : "dead-lettered",
    ...(resendId === undefined ? {} : { resendId }),
  };
}

/** One line for people: the status (and delivery-control instruction) or the error. */
export function describe(outcome: AttemptOutcome, url: string): string {
  return outcome.kind === "response"
    ? `HTTP ${outcome.status} from ${url}${outcome.deliveryControl ? ` (webhook-delivery: ${outcome.deliveryControl})` : ""}`
    : `${outcome.errorClass}: ${outcome.message}`;
}
