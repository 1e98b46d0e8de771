/**
 * Replays run in the background, one bounded slice after another: their state is a record that each
 * slice reads and writes back with a compare-and-set on its version, so two slices never both own it.
 */
export interface VersionedReplay<R> {
  readonly record: R;
  /** Starts at 1; every successful `save` adds one. */
  readonly version: number;
}

/** What a replay did with one dead letter it saw (so a later slice never handles it twice). */
export type DeadLetterMark = "moved" | "copy" | "skipped";

export interface ReplayStore<R> {
  /** Stores a new replay (version 1); fails if the id exists. */
  create(id: string, record: R, expiresAtSeconds: number): Promise<void>;
  get(id: string): Promise<VersionedReplay<R> | undefined>;
  /** Writes `record` if nobody saved since `expectedVersion`; false when somebody did. */
  save(id: string, record: R, expectedVersion: number, expiresAtSeconds: number): Promise<boolean>;
  /** The marks of these DLQ message ids in this replay. */
  recall(replayId: string, messageIds: readonly string[]): Promise<ReadonlyMap<string, DeadLetterMark>>;
  remember(
    replayId: string,
    marks: readonly { readonly messageId: string; readonly mark: DeadLetterMark }[],
    expiresAtSeconds: number,
  ): Promise<void>;
}
