/**
 * What lands on the stream failures queue (`<prefix>-stream-failures`), and the time windows a redrive
 * reads back from it. Two writers put messages there:
 *
 * - Lambda's event source mapping, when it gives up on a batch of the event table's stream (retries
 *   exhausted, or records older than the stream keeps): its on-failure record names the shard, the
 *   sequence range and the approximate arrival of the first and last record — not the items. The events
 *   of that batch are stored in the event table but were never routed.
 * - The router, for a record it can never route (an item it cannot read, an event without a payload):
 *   it sets the record aside with the event id and why, rather than holding back the records behind it.
 */

/** A range of arrival times, epoch ms: `since ≤ t < until`. */
export interface TimeWindow {
  readonly since: number;
  readonly until: number;
}

export type StreamFailure =
  /** Lambda gave up on a batch of stream records. */
  | {
      readonly kind: "batch";
      /** `RetryAttemptsExhausted`, `RecordAgeExceeded`, … */
      readonly condition: string;
      readonly shardId: string;
      readonly startSequenceNumber: string;
      readonly endSequenceNumber: string;
      /** Epoch ms (the stream's approximate creation time of the first and the last record). */
      readonly firstArrival: number;
      readonly lastArrival: number;
      readonly records: number;
    }
  /** The router set a record aside: its item can never be routed. */
  | {
      readonly kind: "set-aside";
      readonly sequenceNumber: string;
      readonly eventId?: string;
      readonly reason: string;
    }
  /** Neither: a message someone else put there, kept as the start of its text. */
  | { readonly kind: "unreadable"; readonly detail: string };

/** The `kind` of the router's set-aside message body. */
const SET_ASIDE_KIND = "unroutable-record";

/** The body of the router's set-aside message (the one place that writes it). */
export function setAsideBody(record: {
  readonly sequenceNumber: string;
  readonly eventId: string | undefined;
  readonly reason: string;
}): string {
  return JSON.stringify({
    kind: SET_ASIDE_KIND,
    sequenceNumber: record.sequenceNumber,
    eventId: record.eventId,
    reason: record.reason,
  });
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const unreadable = (detail: string, body: string): StreamFailure => ({
  kind: "unreadable",
  detail: `${detail}: ${body.slice(0, 200)}`,
});

/** Reads a message body of the stream failures queue. Never throws: an unknown body is `unreadable`. */
export function decodeStreamFailure(body: string): StreamFailure {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return unreadable("not JSON", body);
  }
  if (typeof value !== "object" || value === null) return unreadable("not a JSON object", body);
  const message = value as Record<string, unknown>;
  if (message.kind === SET_ASIDE_KIND) {
    const eventId = text(message.eventId);
    return {
      kind: "set-aside",
      sequenceNumber: text(message.sequenceNumber) ?? "",
      ...(eventId === undefined ? {} : { eventId }),
      reason: text(message.reason) ?? "no reason given",
    };
  }
  const info = message.DDBStreamBatchInfo;
  if (typeof info === "object" && info !== null) {
    const batch = info as Record<string, unknown>;
    const first = Date.parse(text(batch.approximateArrivalOfFirstRecord) ?? "");
    const last = Date.parse(text(batch.approximateArrivalOfLastRecord) ?? "");
    if (Number.isNaN(first) || Number.isNaN(last))
      return unreadable("a stream batch record without arrival times", body);
    const context = message.requestContext;
    const condition =
      typeof context === "object" && context !== null
        ? text((context as Record<string, unknown>).condition)
        : undefined;
    return {
      kind: "batch",
      condition: condition ?? "unknown",
      shardId: text(batch.shardId) ?? "",
      startSequenceNumber: text(batch.startSequenceNumber) ?? "",
      endSequenceNumber: text(batch.endSequenceNumber) ?? "",
      firstArrival: Math.min(first, last),
      lastArrival: Math.max(first, last),
      records: typeof batch.batchSize === "number" ? batch.batchSize : 0,
    };
  }
  return unreadable("neither a stream batch record nor a set-aside record", body);
}

/**
 * The arrival times to look in for a given-up batch's events: its first to its last record, widened by
 * `marginMs` on each side. An event's stored receive time (`rcv`, ingest's clock before its write) and its
 * stream record's approximate creation time (the table's clock after the write, in whole seconds
 * locally) differ by the write's latency and the clocks' skew: well inside a margin of minutes.
 */
export function failureWindow(
  failure: { readonly firstArrival: number; readonly lastArrival: number },
  marginMs: number,
): TimeWindow {
  return { since: failure.firstArrival - marginMs, until: failure.lastArrival + marginMs + 1 };
}

/**
 * Windows sorted and merged where they overlap or touch; at most `max` of them (the nearest ones are
 * joined first, so the union only grows): a Scan's filter names each window.
 */
export function mergeWindows(windows: readonly TimeWindow[], max: number): TimeWindow[] {
  const sorted = [...windows].filter((w) => w.since < w.until).sort((a, b) => a.since - b.since);
  const merged: TimeWindow[] = [];
  for (const w of sorted) {
    const last = merged[merged.length - 1];
    if (last && w.since <= last.until)
      merged[merged.length - 1] = { since: last.since, until: Math.max(last.until, w.until) };
    else merged.push(w);
  }
  while (merged.length > Math.max(1, max)) {
    let nearest = 0;
    for (let i = 1; i < merged.length - 1; i++) {
      const gap = (merged[i + 1] as TimeWindow).since - (merged[i] as TimeWindow).until;
      const best = (merged[nearest + 1] as TimeWindow).since - (merged[nearest] as TimeWindow).until;
      if (gap < best) nearest = i;
    }
    const a = merged[nearest] as TimeWindow;
    const b = merged[nearest + 1] as TimeWindow;
    merged.splice(nearest, 2, { since: a.since, until: Math.max(a.until, b.until) });
  }
  return merged;
}

/** Whether `inner` lies inside one of `windows`. */
export const windowsCover = (windows: readonly TimeWindow[], inner: TimeWindow): boolean =>
  windows.some((w) => w.since <= inner.since && inner.until <= w.until);

/** Whether `at` (epoch ms) falls in the window. */
export const inWindow = (window: TimeWindow, at: number): boolean => window.since <= at && at < window.until;
