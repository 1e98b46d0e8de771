/** One delivery attempt, as the attempt log keeps it. */
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
  /** The operator's resend (or replay) this attempt belongs to; absent for the routed delivery. */
  readonly resendId?: string;
}

/** Where the deliver use case writes every failed attempt (a success is logged by `SuccessLedger.recordBatch`). */
export interface AttemptLog {
  recordAttempt(record: AttemptRecord, ttlSeconds: number): Promise<void>;
}

/** What ops reads back from the attempt log; the deliver function never reads it. */
export interface AttemptLogReader {
  /** Every attempt at one event, oldest first. */
  attemptsForEvent(eventId: string): Promise<AttemptRecord[]>;
  /** A subscription's latest failed attempts, newest first (successes are counted in its statistics). */
  attemptsForSubscription(subscriptionId: string, limit: number): Promise<AttemptRecord[]>;
}
