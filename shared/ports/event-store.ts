/**
 * The event store: one item per accepted provider event, keyed by our event id. Writing it is the
 * acceptance itself (dedupe record, archive and outbox at once): the table's stream hands each new
 * event to the router, and the item stays findable for its retention.
 */

/** An event as ingest accepts it. */
export interface NewEvent {
  /** `evt_…`, derived from (source, dedupe key): the same provider event always gets the same id. */
  readonly id: string;
  readonly sourceId: string;
  readonly provider: string;
  readonly type: string;
  /** The provider's own delivery id, when it sends one. */
  readonly deliveryId?: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly contentType?: string;
  /** The request headers worth keeping (never credentials or signatures; see `keptHeaders`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes the sender posted. */
  readonly body: Buffer;
  /** Epoch seconds after which the item is gone (DynamoDB TTL): the longer of dedupe window and retention. */
  readonly expiresAt: number;
}

/** An event read back: its body is absent once erased, or when it lives in the payload store. */
export interface StoredEvent extends Omit<NewEvent, "body"> {
  readonly body?: Buffer;
  /** Where a body too large for the item lives (claim check). */
  readonly bodyRef?: string;
  /** Size of the body as posted, in bytes. */
  readonly bodyBytes: number;
  /** When an operator erased the payload (ISO time); the rest of the event stays. */
  readonly erasedAt?: string;
}

export type AcceptResult = { readonly status: "accepted" } | { readonly status: "duplicate" };

export interface EventStore {
  /**
   * Writes the event unless a live item with its id exists: one conditional write. `duplicate` means
   * the event was accepted before (and is durably stored); nothing was written.
   */
  accept(event: NewEvent, nowSeconds: number): Promise<AcceptResult>;
  /** The event, or undefined when unknown or past its TTL. */
  get(id: string, nowSeconds: number): Promise<StoredEvent | undefined>;
  /** Drops the payload (and its overflow object), keeping a tombstone; false when the event is unknown. */
  erasePayload(id: string, at: Date): Promise<boolean>;
}

/** Bytes of a body too large for the event item: kept elsewhere under the event's id. */
export interface PayloadStore {
  put(key: string, body: Buffer, expiresAt: number): Promise<string>;
  get(ref: string): Promise<Buffer>;
  delete(ref: string): Promise<void>;
}
