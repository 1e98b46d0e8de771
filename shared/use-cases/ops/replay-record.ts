import type { ReplayStatus } from "./contract.js";

/** How far an event replay got: where its scan of the event index continues. */
export interface EventsProgress {
  readonly kind: "events";
  /** The index cursor after the last event whose deliveries were sent (and recorded). */
  readonly cursor?: string;
  readonly done: boolean;
}

/** How far a dead-letter replay got, per subscription DLQ. */
export interface DeadLettersProgress {
  readonly kind: "dead-letters";
  readonly subscriptions: Readonly<
    Record<
      string,
      {
        /** The DLQ's count when the replay started: at most this many messages are looked at. */
        readonly bound: number;
        readonly examined: number;
        readonly done: boolean;
      }
    >
  >;
}

/**
 * A replay as the replay store keeps it: what callers see (`ReplayStatus`: its `filter` with an event
 * replay's time range fixed when it started; `total` deliveries to send, (event, subscription) pairs or
 * dead letters to move; the first `MAX_LISTED_FAILURES` failures) and how far it got.
 */
export interface ReplayRecord extends ReplayStatus {
  /** Failures beyond the listed ones. */
  readonly moreFailures: number;
  /** Epoch ms until which a slice owns the replay (0: none does). */
  readonly leaseUntil: number;
  /** Slices in a row that failed; at 3 the replay is given up (`failed`). */
  readonly slicesFailed: number;
  readonly progress: EventsProgress | DeadLettersProgress;
}

export const MAX_LISTED_FAILURES = 100;

/** Adds failures to a record's list, counting those beyond the listed maximum. */
export function withFailures(
  record: ReplayRecord,
  failures: ReplayStatus["failures"],
): Pick<ReplayRecord, "failures" | "moreFailures"> {
  const room = Math.max(0, MAX_LISTED_FAILURES - record.failures.length);
  return {
    failures: [...record.failures, ...failures.slice(0, room)],
    moreFailures: record.moreFailures + Math.max(0, failures.length - room),
  };
}
