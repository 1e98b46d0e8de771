import type { StreamFailure } from "../domain/stream-failure.js";

/** A message of the stream failures queue, decoded. */
export interface StreamFailureMessage {
  /** The queue's id of the message (stable while it stays in the queue). */
  readonly messageId: string;
  /** When it was sent to the queue, epoch ms (SQS's `SentTimestamp`), when known. */
  readonly sentAt?: number;
  readonly failure: StreamFailure;
}

export interface StreamFailureListing {
  readonly messages: readonly StreamFailureMessage[];
  /** Messages in the queue when the listing began (visible + in flight + delayed). */
  readonly queued: number;
}

export interface StreamFailureRemoval {
  readonly deleted: number;
  /** Seen and not chosen: made visible again. */
  readonly kept: number;
  /** Chosen but not deleted (they show up again). */
  readonly notDeleted: number;
  /** The messages deleted, decoded. */
  readonly deletedMessages: readonly StreamFailureMessage[];
  /** The messages chosen and not deleted, decoded. */
  readonly notDeletedMessages: readonly StreamFailureMessage[];
  /** The messages seen and not chosen (made visible again), decoded. */
  readonly keptMessages: readonly StreamFailureMessage[];
  /** Messages in the queue when the removal began (visible + in flight + delayed). */
  readonly queued: number;
}

/** The stream failures queue (`<prefix>-stream-failures`), as ops reads and empties it. */
export interface StreamFailureQueue {
  /**
   * What the queue holds (at most `max` messages), without taking anything away: each message seen is
   * held only while the listing runs and made visible again at its end.
   */
  list(max: number): Promise<StreamFailureListing>;
  /**
   * Deletes the messages `choose` picks among those visible now (at most `max` looked at); the others
   * are made visible again.
   */
  removeWhere(choose: (message: StreamFailureMessage) => boolean, max: number): Promise<StreamFailureRemoval>;
}
