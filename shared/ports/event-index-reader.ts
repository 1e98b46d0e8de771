/**
 * Reading the event index back (the router writes it, `EventIndex`): which events arrived in a time
 * range, newest first, for the ops API to list and replay without scanning the event table.
 */
export interface IndexScan {
  /** Epoch ms, inclusive: the oldest arrival wanted. */
  readonly since: number;
  /** Epoch ms, exclusive: the newest arrival wanted is before this. */
  readonly until: number;
  readonly sourceId?: string;
  readonly type?: string;
  /** Where an earlier scan stopped: an entry's `after`. */
  readonly cursor?: string;
}

export interface IndexEntry {
  readonly id: string;
  readonly sourceId: string;
  readonly type: string;
  /** Epoch ms. */
  readonly receivedAt: number;
  /** An opaque cursor that continues a scan (with the same filters) right after this entry. */
  readonly after: string;
}

export interface EventIndexReader {
  /**
   * The events of the range, newest first (by arrival, then id), each once, matching the source and
   * type when given. Lazy: it reads as far as it is consumed. A cursor it did not issue fails with an
   * `invalid_request` error naming `cursor`.
   */
  scan(query: IndexScan): AsyncIterable<IndexEntry>;
}
