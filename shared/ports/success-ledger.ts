import type { AttemptRecord } from "./attempt-log.js";

/**
 * At most one successful POST per (event, subscription): a lease taken before the POST, then a success
 * record that outlives every copy of the message.
 */
export type BeginResult =
  | { readonly status: "go"; readonly token: string }
  /** A POST of this event to this subscription already succeeded: do not send it again. */
  | { readonly status: "delivered" }
  /** Another attempt holds the lease right now (a redelivered copy); come back later. */
  | { readonly status: "busy"; readonly retryAfterSeconds: number };

export interface DeliveryKey {
  readonly eventId: string;
  readonly subscriptionId: string;
}

export interface BeginInput extends DeliveryKey {
  readonly nowMs: number;
  readonly leaseSeconds: number;
}

export interface SuccessInput extends DeliveryKey {
  /** No copy is POSTed again before this time (epoch seconds). */
  readonly expiresAtSeconds: number;
  /** The successful attempt, logged in the same write. */
  readonly attempt: AttemptRecord;
  readonly attemptTtlSeconds: number;
}

export interface SuccessLedger {
  /** Takes the lease for one POST, unless the delivery already succeeded or another attempt holds it. */
  begin(input: BeginInput): Promise<BeginResult>;
  /** Records the success (replacing the lease) and its attempt, in one call. */
  recordSuccess(input: SuccessInput): Promise<void>;
  /** Gives the lease up after a failed attempt, so the scheduled retry can take it. */
  release(input: DeliveryKey & { readonly token: string }): Promise<void>;
}
