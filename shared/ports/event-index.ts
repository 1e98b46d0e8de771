/**
 * The event index: which events arrived when, newest first, for the ops API to list without scanning
 * the event table. The router writes one index item per stream batch (per hour it spans), so listing
 * costs a fraction of a write per event instead of a secondary-index write each.
 */
export interface IndexedEvent {
  readonly id: string;
  readonly sourceId: string;
  readonly type: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  /** Epoch seconds: the index entry lives as long as the event. */
  readonly expiresAt: number;
}

export interface EventIndex {
  /**
   * Records a batch of events. `batchKey` names the batch (the first stream sequence number): writing
   * the same batch again overwrites the same items, so a retried batch is not listed twice.
   */
  append(events: readonly IndexedEvent[], batchKey: string): Promise<void>;
}
