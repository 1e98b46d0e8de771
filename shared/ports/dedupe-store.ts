/**
 * The dedupe claim: one item per (source, provider event). A claim is `pending` with a lease while
 * its request enqueues the event, then `enqueued` for the rest of the dedupe window.
 */
export type ClaimResult =
  | { readonly status: "claimed"; readonly token: string }
  | { readonly status: "duplicate"; readonly eventId: string }
  | { readonly status: "in-flight"; readonly retryAfterSeconds: number };

export interface ClaimInput {
  readonly key: string;
  readonly eventId: string;
  readonly nowSeconds: number;
  /** How long a pending claim blocks other requests before a retry may take it over. */
  readonly leaseSeconds: number;
  /** How long the key is remembered (the provider's retry horizon). */
  readonly ttlSeconds: number;
}

export interface DedupeStore {
  /** Claims `key` unless it was enqueued within its window or another live claim holds it. */
  claim(input: ClaimInput): Promise<ClaimResult>;
  /** Marks a claim enqueued; a no-op if the claim was taken over meanwhile. */
  complete(input: { readonly key: string; readonly token: string }): Promise<void>;
  /** Drops a claim whose enqueue failed, so the sender's retry is not kept waiting for the lease. */
  release(input: { readonly key: string; readonly token: string }): Promise<void>;
}
