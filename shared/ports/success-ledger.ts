import type { AttemptRecord } from "./attempt-log.js";

/**
 * At most one successful POST per (event, subscription) that anyone knows of: before a batch is
 * attempted, one read tells which of its deliveries already succeeded; after it, one write records the
 * batch's successes — each success record is also the attempt log entry of that attempt. There is no
 * lease: a copy of a message delivered at the same moment as another may POST too (receivers dedupe on
 * `webhook-id`), but a copy arriving after a recorded success never does.
 */
export interface DeliveryKey {
  readonly eventId: string;
  readonly subscriptionId: string;
  /**
   * Set on an operator's resend (or replay): a new delivery of the same event, with a success record of
   * its own, so the event's earlier success does not stop it and a copy of it is still POSTed once.
   */
  readonly resendId?: string;
}

export interface SuccessRecord {
  /** The successful attempt. */
  readonly attempt: AttemptRecord;
  /** No copy is POSTed again before this time, and the attempt stays in the log until then (epoch s). */
  readonly expiresAtSeconds: number;
}

/** What one batch did for one subscription, for its statistics (success rate, latency, last error). */
export interface BatchStats {
  readonly subscriptionId: string;
  /** Epoch ms of the batch. */
  readonly at: number;
  readonly delivered: number;
  readonly failed: number;
  /** Latency of every attempt of the batch, ms. */
  readonly latenciesMs: readonly number[];
  /** The last failure's one-line description. */
  readonly lastError?: string;
  /** Names the batch (its first message id): writing it again overwrites, never double counts. */
  readonly batchKey: string;
}

/** `${eventId}#${subscriptionId}` (and `#${resendId}` for a resend): how `delivered` names a delivery. */
export const deliveryKeyOf = (key: DeliveryKey): string =>
  key.resendId === undefined
    ? `${key.eventId}#${key.subscriptionId}`
    : `${key.eventId}#${key.subscriptionId}#${key.resendId}`;

export interface SuccessLedger {
  /** Which of these deliveries already succeeded, as `deliveryKeyOf` keys (one read for the batch). */
  delivered(keys: readonly DeliveryKey[], nowMs: number): Promise<ReadonlySet<string>>;
  /** Records a batch's successes and its statistics, in one write call (nothing to write: no call). */
  recordBatch(
    successes: readonly SuccessRecord[],
    stats: readonly BatchStats[],
    ttlSeconds: number,
  ): Promise<void>;
}
