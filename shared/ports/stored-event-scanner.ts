import type { TimeWindow } from "../domain/stream-failure.js";
import type { StoredEvent } from "./event-store.js";

/** A stored event as a scan of the event table sees it: its key fields, not its payload. */
export interface ScannedEvent {
  readonly id: string;
  readonly sourceId: string;
  readonly type: string;
  /** Epoch ms (the item's received-at). */
  readonly receivedAt: number;
}

export interface ScanPage {
  /** The live events of the page received in one of the windows. */
  readonly events: readonly ScannedEvent[];
  /** Where the segment continues; absent when the segment is done. */
  readonly next?: string;
  /** Items the page read (matching or not): what the scan is billed for. */
  readonly scannedItems: number;
  /** Read units the page consumed, as DynamoDB reports them. */
  readonly readUnits: number;
}

export interface ScanQuery {
  /** Arrival windows, epoch ms (`since ≤ received < until`); at least one. */
  readonly windows: readonly TimeWindow[];
  /** This segment of a parallel scan of `totalSegments`. */
  readonly segment: number;
  readonly totalSegments: number;
  /** The `next` of the segment's previous page. */
  readonly after?: string;
  /** Items past their TTL at this time count as absent (TTL deletion lags). */
  readonly nowSeconds: number;
  /** Items read per page, at most (default: as many as fit DynamoDB's 1 MB page). */
  readonly limit?: number;
}

/**
 * The event table read whole, for recovery: which stored events arrived in some time windows, found
 * without the event index (for the events the index does not list), and each one read back as the router
 * reads it. A scan reads every item of the table, whatever its filter: it is for rare recoveries only.
 */
export interface StoredEventScanner {
  /** One page of one segment of a parallel, eventually consistent scan. */
  page(query: ScanQuery): Promise<ScanPage>;
  /**
   * The event as the router would get it from the stream; `{ invalid }` when its item cannot be read
   * (why), undefined when it is gone or past its TTL. A failed read throws.
   */
  read(id: string, nowSeconds: number): Promise<StoredEvent | { readonly invalid: string } | undefined>;
}
