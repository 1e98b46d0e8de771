import type { BreakerState } from "../domain/circuit-breaker.js";

/**
 * Delivery state: at most one successful POST per (event, subscription), the log of every attempt,
 * and each subscription's operating state (paused by ops, disabled by its receiver).
 */
export type BeginResult =
  | { readonly status: "go"; readonly token: string }
  /** A POST of this event to this subscription already succeeded: do not send it again. */
  | { readonly status: "delivered" }
  /** Another attempt holds the lease right now (a redelivered copy); come back later. */
  | { readonly status: "busy"; readonly retryAfterSeconds: number };

export interface AttemptRecord {
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly attempt: number;
  /** Epoch ms when the attempt started. */
  readonly at: number;
  readonly latencyMs: number;
  readonly status?: number;
  readonly errorClass?: string;
  /** The first bytes of the response body, or the error message. */
  readonly detail?: string;
  readonly result: "delivered" | "retry-scheduled" | "dead-lettered";
}

export interface SubscriptionState {
  readonly paused: boolean;
  /** Set when the receiver asked us to stop (410 Gone, `webhook-delivery: disable`). */
  readonly disabledReason?: string;
  readonly changedAt?: string;
}

export interface VersionedBreaker {
  readonly state: BreakerState;
  /** Optimistic-concurrency version; 0 when no state was ever stored. */
  readonly version: number;
}

export interface DeliveryStore {
  begin(input: {
    readonly eventId: string;
    readonly subscriptionId: string;
    readonly nowMs: number;
    readonly leaseSeconds: number;
  }): Promise<BeginResult>;
  /** Records the success (no copy is POSTed again before `expiresAtSeconds`) and its attempt, in one call. */
  recordSuccess(input: {
    readonly eventId: string;
    readonly subscriptionId: string;
    readonly expiresAtSeconds: number;
    readonly attempt: AttemptRecord;
    readonly attemptTtlSeconds: number;
  }): Promise<void>;
  /** Gives the lease up after a failed attempt, so the scheduled retry can take it. */
  release(input: {
    readonly eventId: string;
    readonly subscriptionId: string;
    readonly token: string;
  }): Promise<void>;
  recordAttempt(record: AttemptRecord, ttlSeconds: number): Promise<void>;
  subscriptionState(subscriptionId: string): Promise<SubscriptionState>;
  setSubscriptionState(subscriptionId: string, state: SubscriptionState): Promise<void>;
  attemptsForEvent(eventId: string): Promise<AttemptRecord[]>;
  /** The circuit breaker of a destination (URL origin), shared by every concurrent delivery. */
  breaker(destination: string): Promise<VersionedBreaker>;
  /** Stores `next` if nobody changed the breaker since `expectedVersion`; false when somebody did. */
  saveBreaker(destination: string, next: BreakerState, expectedVersion: number): Promise<boolean>;
  /** Takes one of `perSecond` tokens of the current second; false when they are used up. */
  takeRateToken(subscriptionId: string, nowMs: number, perSecond: number): Promise<boolean>;
  attemptsForSubscription(subscriptionId: string, limit: number): Promise<AttemptRecord[]>;
}
