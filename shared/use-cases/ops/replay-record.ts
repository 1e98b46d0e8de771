import type { ReplayFilter, ReplayState } from "./contract.js";

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

/** A replay as the replay store keeps it (`ReplayStatus` is what callers see of it). */
export interface ReplayRecord {
  readonly id: string;
  /** The filter, with an event replay's time range fixed when it started. */
  readonly filter: ReplayFilter;
  readonly by: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly state: ReplayState;
  /** Deliveries it will send: (event, subscription) pairs, or dead letters to move. */
  readonly total: number;
  readonly sent: number;
  readonly perSubscription: Readonly<Record<string, number>>;
  /** The first failures (at most `MAX_LISTED_FAILURES`); `moreFailures` counts the rest. */
  readonly failures: readonly {
    readonly eventId?: string;
    readonly subscription?: string;
    readonly error: string;
  }[];
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
  failures: readonly { readonly eventId?: string; readonly subscription?: string; readonly error: string }[],
): Pick<ReplayRecord, "failures" | "moreFailures"> {
  const room = Math.max(0, MAX_LISTED_FAILURES - record.failures.length);
  return {
    failures: [...record.failures, ...failures.slice(0, room)],
    moreFailures: record.moreFailures + Math.max(0, failures.length - room),
  };
}
