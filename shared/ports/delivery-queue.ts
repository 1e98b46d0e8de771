import type { AttemptSummary, DeliveryMessage } from "../domain/delivery-message.js";
import type { DeadLetterReason } from "../domain/delivery-policy.js";

/** The next attempt at a message whose attempt failed and may be retried. */
export interface NextAttempt {
  /** 1-based number of the next attempt. */
  readonly attempt: number;
  readonly subscriptionId: string;
  /** Every attempt so far, the one that just failed last. */
  readonly history: readonly AttemptSummary[];
  /** The attempt that just failed. */
  readonly last: AttemptSummary;
  /** What went wrong, for people. */
  readonly detail: string;
  /** Epoch ms before which the next attempt must not start. */
  readonly dueAt: number;
}

/** Why a message is given up, for the dead-letter queue. */
export interface DeadLetter {
  readonly reason: DeadLetterReason;
  readonly detail: string;
  /** Every attempt made, the last one included. */
  readonly history: readonly AttemptSummary[];
  /** Absent when the queue belongs to no subscription. */
  readonly subscriptionId?: string;
  /** The attempt that ended it; absent when the message was given up without one now. */
  readonly last?: AttemptSummary;
  /** Epoch ms. */
  readonly failedAt: number;
}

/**
 * The queue a subscription's messages come from and go back to: the one mechanism behind retries,
 * parking (paused subscriptions, open breakers, rate limits, busy leases) and dead letters. Any wait
 * length is allowed; the adapter decides how to hold a message (SQS delays in hops today) and owns the
 * format in which a message carries its attempt number, history and due time.
 */
export interface DeliveryQueue {
  /** Seconds a received message must still wait before it is due; 0 when it is due. */
  remainingSeconds(message: DeliveryMessage): number;
  /** Sends a message that arrived before it was due back again, keeping its due time. */
  hop(message: DeliveryMessage): Promise<void>;
  /** Returns the message as it is (same attempt), to be handled again no earlier than `dueAt` (epoch ms). */
  park(message: DeliveryMessage, dueAt: number): Promise<void>;
  /** Sends the message back for its next attempt. */
  retry(message: DeliveryMessage, next: NextAttempt): Promise<void>;
  /** Moves the message to its subscription's dead-letter queue, with the reason. */
  deadLetter(message: DeliveryMessage, letter: DeadLetter): Promise<void>;
}
