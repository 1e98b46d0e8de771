import type { AttemptOutcome, DeadLetterReason } from "../../domain/delivery-policy.js";
import type { AttemptRecord } from "../../ports/attempt-log.js";

/** Why a message was not attempted now; it waits in the queue with its attempt number unchanged. */
export type ParkReason = "not-due" | "paused" | "circuit-open" | "rate-limited";

type Base = { readonly messageId: string; readonly eventId?: string };

/** What became of one message. */
export type DeliveryResult =
  | (Base & {
      readonly result: "delivered";
      readonly attempt: number;
      readonly outcome: AttemptOutcome;
      /** The attempt as the batch's one ledger write records it. */
      readonly record: AttemptRecord;
    })
  | (Base & {
      readonly result: "retry-scheduled";
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly outcome: AttemptOutcome;
      readonly record: AttemptRecord;
    })
  | (Base & {
      readonly result: "dead-lettered";
      readonly attempt: number;
      readonly reason: DeadLetterReason;
      readonly detail: string;
      /** The last attempt, when one was made (not for a message refused before any attempt). */
      readonly record?: AttemptRecord;
    })
  /** Not attempted now: not due yet, subscription paused, breaker open, or rate used up. */
  | (Base & { readonly result: "parked"; readonly attempt: number; readonly why: ParkReason })
  /**
   * A copy of a delivery this subscription already received, or that another message of the same
   * batch carries: acknowledged, not POSTed.
   */
  | (Base & { readonly result: "already-delivered" })
  /** A step itself failed (a store or the queue): the message goes back to SQS as it is. */
  | (Base & { readonly result: "failed"; readonly error: unknown });
