import type { AttemptOutcome, DeadLetterReason } from "../../domain/delivery-policy.js";

/** Why a message was not attempted now; it waits in the queue with its attempt number unchanged. */
export type ParkReason = "not-due" | "paused" | "busy" | "circuit-open" | "rate-limited";

type Base = { readonly messageId: string; readonly eventId?: string };

/** What became of one message. */
export type DeliveryResult =
  | (Base & { readonly result: "delivered"; readonly attempt: number; readonly outcome: AttemptOutcome })
  | (Base & {
      readonly result: "retry-scheduled";
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly outcome: AttemptOutcome;
    })
  | (Base & {
      readonly result: "dead-lettered";
      readonly attempt: number;
      readonly reason: DeadLetterReason;
      readonly detail: string;
    })
  /** Not attempted now: not due yet, subscription paused, breaker open, rate used up, or another copy holds the lease. */
  | (Base & { readonly result: "parked"; readonly attempt: number; readonly why: ParkReason })
  /** A redelivered copy of an event this subscription already received: acknowledged, not POSTed. */
  | (Base & { readonly result: "already-delivered" })
  /** A step itself failed (a store or the queue): the message goes back to SQS as it is. */
  | (Base & { readonly result: "failed"; readonly error: unknown });
