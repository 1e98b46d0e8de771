import type { DeliveryOutcome } from "../domain/delivery-outcome.js";
import type { BatchStats, DeliveryKey } from "./success-ledger.js";

export type { DeliveryOutcome };

/** Where deliveries stand, read in bulk for the ops event list (the deliver function never reads it). */
export interface DeliveryOutcomeReader {
  /**
   * For each (event, subscription) — keys without a resend id — `delivered` when a success record exists
   * (the routed delivery's or a resend's), else the result of the latest attempt; absent when no attempt
   * was recorded. Keyed by `deliveryKeyOf`.
   */
  outcomes(keys: readonly DeliveryKey[]): Promise<ReadonlyMap<string, DeliveryOutcome>>;
}

/** The per-batch delivery statistics, read back (success rate, latency, last error of a subscription). */
export interface DeliveryStatsReader {
  /** The statistics of every batch of the subscription from `sinceMs` to `nowMs`, oldest first. */
  statsBetween(subscriptionId: string, sinceMs: number, nowMs: number): Promise<BatchStats[]>;
}
