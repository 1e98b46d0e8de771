import type { BreakerState } from "../domain/circuit-breaker.js";

export interface VersionedBreaker {
  readonly state: BreakerState;
  /** Optimistic-concurrency version; 0 when no state was ever stored. */
  readonly version: number;
}

/** The circuit breaker of each destination (URL origin), shared by every concurrent delivery. */
export interface BreakerStore {
  breaker(destination: string): Promise<VersionedBreaker>;
  /** Stores `next` if nobody changed the breaker since `expectedVersion`; false when somebody did. */
  saveBreaker(destination: string, next: BreakerState, expectedVersion: number): Promise<boolean>;
}
