import { mapBounded } from "../../domain/bounded.js";
import { InvalidRequestError } from "../../domain/errors.js";
import {
  failureWindow,
  inWindow,
  mergeWindows,
  type StreamFailure,
  type TimeWindow,
  windowsCover,
} from "../../domain/stream-failure.js";
import type { StoredEvent } from "../../ports/event-store.js";
import type { ScannedEvent } from "../../ports/stored-event-scanner.js";
import type { StreamFailureMessage } from "../../ports/stream-failure-queue.js";
import { createRouteEvents, unroutableReason } from "../route-events.js";
import {
  DISCARD_IDS_MAX,
  type DiscardSetAsideReport,
  type DiscardSetAsideRequest,
  type Operator,
  type RedriveReport,
  type RedriveRequest,
  type SetAsideView,
  type StreamFailureList,
  type StreamFailureView,
} from "./contract.js";
import { type OpsDeps, parseTime, type ResolvedSettings, requireWrite, routedSubscriptions } from "./deps.js";
import {
  decodeRedriveCursor,
  EMPTY_TALLY,
  encodeRedriveCursor,
  type RedriveState,
  type Tally,
} from "./redrive-cursor.js";

/**
 * How far around a given-up batch's first and last arrival a redrive looks for its events (each side).
 * The stored receive time and the stream's arrival time differ by a write's latency and clock skew.
 */
export const REDRIVE_MARGIN_MS = 5 * 60_000;
/** Windows one scan filters on, at most (nearby ones are joined beyond that). */
const MAX_WINDOWS = 20;
/** Messages of the stream failures queue read, at most, to find windows and to delete covered ones. */
const QUEUE_READ_MAX = 1_000;
/** The first ids a report shows, and the unroutable events it keeps (it counts them all). */
const FIRST_IDS = 10;
const UNROUTABLE_KEPT = 50;
/** Events handed to the router's use case at once: one index item, one SendMessageBatch per queue. */
const ROUTE_CHUNK = 100;
const HOUR_MS = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** What the API and the CLI show of a queue message. */
export function streamFailureView(message: StreamFailureMessage): StreamFailureView {
  const { failure } = message;
  const head = {
    messageId: message.messageId,
    ...(message.sentAt === undefined ? {} : { sentAt: iso(message.sentAt) }),
  };
  switch (failure.kind) {
    case "batch": {
      const window = failureWindow(failure, REDRIVE_MARGIN_MS);
      return {
        kind: "batch",
        ...head,
        condition: failure.condition,
        shardId: failure.shardId,
        startSequenceNumber: failure.startSequenceNumber,
        endSequenceNumber: failure.endSequenceNumber,
        firstArrival: iso(failure.firstArrival),
        lastArrival: iso(failure.lastArrival),
        records: failure.records,
        window: { since: iso(window.since), until: iso(window.until) },
      };
    }
    case "set-aside":
      return {
        kind: "set-aside",
        ...head,
        sequenceNumber: failure.sequenceNumber,
        ...(failure.eventId === undefined ? {} : { eventId: failure.eventId }),
        reason: failure.reason,
      };
    case "unreadable":
      return { kind: "unreadable", ...head, detail: failure.detail };
  }
}

/** The event ids a discard is limited to, checked: at least one, each a non-empty string. */
function discardIds(eventIds: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (eventIds === undefined) return undefined;
  if (eventIds.length === 0)
    throw new InvalidRequestError(
      "eventIds: must name at least one event id; omit it to discard every set-aside record.",
    );
  if (eventIds.length > DISCARD_IDS_MAX)
    throw new InvalidRequestError(
      `eventIds: must name at most ${DISCARD_IDS_MAX} event ids; discard the others in another call.`,
    );
  const blank = eventIds.findIndex((id) => typeof id !== "string" || id.trim() === "");
  if (blank !== -1)
    throw new InvalidRequestError(`eventIds[${blank}]: must be an event id (evt_…), not empty.`);
  return new Set(eventIds);
}

/**
 * What a discard of set-aside records reports, from the messages it picked and those it left: the picked
 * ones deleted (a dry run: to delete), those SQS would not delete, and what stays, by kind.
 */
function discardReport(parts: {
  readonly dryRun: boolean;
  readonly ids: ReadonlySet<string> | undefined;
  readonly discarded: readonly StreamFailureMessage[];
  readonly notDeleted: readonly StreamFailureMessage[];
  readonly kept: readonly StreamFailureMessage[];
  readonly queued: number;
}): DiscardSetAsideReport {
  const stays = [...parts.kept, ...parts.notDeleted];
  const count = (kind: StreamFailure["kind"]) => stays.filter((m) => m.failure.kind === kind).length;
  const named = new Set(
    [...parts.discarded, ...parts.notDeleted].flatMap((m) =>
      m.failure.kind === "set-aside" && m.failure.eventId !== undefined ? [m.failure.eventId] : [],
    ),
  );
  return {
    dryRun: parts.dryRun,
    discarded: parts.discarded
      .map(streamFailureView)
      .filter((v): v is SetAsideView => v.kind === "set-aside"),
    notDeleted: parts.notDeleted.length,
    unmatched: [...(parts.ids ?? [])].filter((id) => !named.has(id)),
    left: { batches: count("batch"), setAside: count("set-aside"), unreadable: count("unreadable") },
    queued: parts.queued,
  };
}

type Batch = Extract<StreamFailure, { kind: "batch" }>;
const batchOf = (m: StreamFailureMessage): Batch | undefined =>
  m.failure.kind === "batch" ? m.failure : undefined;

/**
 * Where a batch's events can be when a redrive begins at `startedAt`: its window, ending at the latest
 * then. Every event of a batch the mapping gave up on was received before it began (its records were
 * in the stream), so a run whose windows end at `startedAt` covers a batch given up on minutes ago, whose
 * margin reaches past it.
 */
const batchWindow = (batch: Batch, startedAt: number): TimeWindow => {
  const window = failureWindow(batch, REDRIVE_MARGIN_MS);
  return { since: window.since, until: Math.min(window.until, startedAt) };
};

/**
 * The stream failures queue and the redrive of what the router never fanned out: "route again every
 * stored event received in a time window that the event index does not list".
 *
 * An event the router never routed is in the event table and absent from the event index (the router
 * writes the index before it sends any copy). The windows come from the batches in the stream failures
 * queue (first to last arrival, widened by `REDRIVE_MARGIN_MS` each side) or from the operator. A
 * parallel, paged `Scan` of the event table finds the live events received in them (it works long after
 * the stream's 24 hours: events are kept for their retention); those the index lists for their hour are
 * left alone, so no event gets a second copy from a redrive; the others are read back whole and handed to
 * the router's own use case (`createRouteEvents`), which writes their index item and sends each matching
 * subscription its copy, exactly as the router would have (a body in the payload bucket travels as
 * `dataref`). Items that cannot be routed (unreadable, or without a payload) are reported, never routed.
 *
 * A call is bounded: it scans until `sliceMs` has passed or it has found `redriveEvents` events to route,
 * routes what it found, and answers with a cursor that continues it; the next call sends again first the
 * copies that could not be queued. A dry run counts the same way and changes nothing. Once the scan is
 * done and every event went out, the real run deletes the batch messages it covered (sent before it
 * began, their whole window inside the run's, no unroutable event in it; a dry run counts them);
 * set-aside records stay: the operator reads them and discards them (`discardSetAside`), which deletes
 * only set-aside records.
 */
export function createStreamFailureOps(deps: OpsDeps, settings: ResolvedSettings) {
  const { config } = deps;

  async function listStreamFailures(options: { readonly limit?: number } = {}): Promise<StreamFailureList> {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > QUEUE_READ_MAX)
      throw new InvalidRequestError(`limit: must be a whole number from 1 to ${QUEUE_READ_MAX}.`);
    const listing = await deps.streamFailures.list(limit);
    return { messages: listing.messages.map(streamFailureView), queued: listing.queued };
  }

  /** A new redrive's state: its windows, and the messages it covers. */
  async function begin(request: RedriveRequest, now: number): Promise<RedriveState> {
    const listing = await deps.streamFailures.list(QUEUE_READ_MAX);
    const batches = listing.messages.flatMap((m) => batchOf(m) ?? []);
    const setAside = listing.messages.filter((m) => m.failure.kind === "set-aside").length;
    let windows: TimeWindow[];
    let from: RedriveState["from"];
    if (request.since !== undefined || request.until !== undefined) {
      if (request.since === undefined)
        throw new InvalidRequestError(
          "since: give it with until (the window is since ≤ received < until; until defaults to now).",
        );
      const since = parseTime("since", request.since);
      const until = Math.min(now, request.until === undefined ? now : parseTime("until", request.until));
      if (since >= until)
        throw new InvalidRequestError(
          `since (${iso(since)}) must be before until (${iso(until)}; a window ends at the latest now).`,
        );
      windows = [{ since, until }];
      from = "operator";
    } else {
      // A window ends at the latest now: no event of a given-up batch is received later.
      windows = mergeWindows(
        batches.map((b) => batchWindow(b, now)),
        MAX_WINDOWS,
      );
      from = "stream-failures";
    }
    return {
      v: 1,
      dryRun: request.dryRun === true,
      startedAt: now,
      from,
      windows,
      segments: Array.from({ length: settings.scanSegments }, () => null),
      retry: [],
      covered: batches.filter((b) => windowsCover(windows, batchWindow(b, now))).length,
      setAside,
      tally: EMPTY_TALLY,
    };
  }

  function resume(request: RedriveRequest, cursor: string): RedriveState {
    if (request.since !== undefined || request.until !== undefined)
      throw new InvalidRequestError(
        "cursor: it carries the redrive's windows; give either a cursor or since/until, not both.",
      );
    const state = decodeRedriveCursor(cursor);
    if (state.dryRun !== (request.dryRun === true))
      throw new InvalidRequestError(
        state.dryRun
          ? "cursor: it continues a dry run; continue it with dryRun, or start the redrive without a cursor."
          : "cursor: it continues a redrive that routes; continue it without dryRun.",
      );
    return state;
  }

  async function redriveStreamFailures(request: RedriveRequest, by: Operator): Promise<RedriveReport> {
    if (request.dryRun !== true) requireWrite(by, "redriving what the router never fanned out");
    const now = deps.clock.now();
    const start = request.cursor === undefined ? await begin(request, now) : resume(request, request.cursor);
    if (start.windows.length === 0) return reportOf(start, { done: true, failures: [] });

    const nowSeconds = Math.floor(now / 1000);
    const deadline = now + settings.sliceMs;
    const { windows } = start;
    const segments = [...start.segments];
    let tally: Tally = start.tally;
    const add = (more: Partial<Record<"scannedItems" | "readUnits" | "inWindows" | "indexed", number>>) => {
      tally = {
        ...tally,
        scannedItems: tally.scannedItems + (more.scannedItems ?? 0),
        readUnits: tally.readUnits + (more.readUnits ?? 0),
        inWindows: tally.inWindows + (more.inWindows ?? 0),
        indexed: tally.indexed + (more.indexed ?? 0),
      };
    };

    // The ids the index lists, per window and hour (read once per call, when an event of it is found).
    const listed = new Map<string, Promise<ReadonlySet<string>>>();
    const isIndexed = async (event: ScannedEvent): Promise<boolean> => {
      const w = windows.findIndex((window) => inWindow(window, event.receivedAt));
      const window = windows[w];
      if (!window) return false;
      const hour = Math.floor(event.receivedAt / HOUR_MS) * HOUR_MS;
      const key = `${w}/${hour}`;
      let ids = listed.get(key);
      if (!ids) {
        ids = (async () => {
          const found = new Set<string>();
          for await (const entry of deps.index.scan({
            since: Math.max(window.since, hour),
            until: Math.min(window.until, hour + HOUR_MS),
          }))
            found.add(entry.id);
          return found;
        })();
        listed.set(key, ids);
      }
      return (await ids).has(event.id);
    };

    // 1. Scan: each segment page by page until the time is up or enough events to route were found.
    const found: ScannedEvent[] = [];
    let stopped = false;
    const enough = () => stopped || found.length + start.retry.length >= settings.redriveEvents;
    await Promise.all(
      segments.map(async (_, segment) => {
        let position = segments[segment];
        while (position !== true && !enough() && deps.clock.now() < deadline) {
          const page = await deps.storedEvents.page({
            windows,
            segment,
            totalSegments: segments.length,
            nowSeconds,
            ...(typeof position === "string" ? { after: position } : {}),
            ...(settings.scanPageItems > 0 ? { limit: settings.scanPageItems } : {}),
          });
          const indexed = await Promise.all(page.events.map(isIndexed));
          page.events.forEach((event, i) => {
            if (!indexed[i]) found.push(event);
          });
          add({
            scannedItems: page.scannedItems,
            readUnits: page.readUnits,
            inWindows: page.events.length,
            indexed: indexed.filter(Boolean).length,
          });
          position = page.next ?? true;
          segments[segment] = position;
        }
      }),
    ).catch((error: unknown) => {
      stopped = true; // the other segments stop after their page; the caller continues from its cursor
      throw error;
    });

    // 2. Read each event back whole, as the router gets it from the stream.
    const wanted = [
      ...start.retry.map((id) => ({ id, receivedAt: undefined as number | undefined })),
      ...found.map((e) => ({ id: e.id, receivedAt: e.receivedAt as number | undefined })),
    ];
    const read = await mapBounded(wanted, settings.parallelReads, (w) =>
      deps.storedEvents.read(w.id, nowSeconds),
    );
    const routable: StoredEvent[] = [];
    const unroutable: { id: string; at?: number; reason: string }[] = [];
    wanted.forEach((w, i) => {
      const event = read[i];
      const at = w.receivedAt;
      const atField = at === undefined ? {} : { at };
      if (event === undefined)
        unroutable.push({ id: w.id, ...atField, reason: "no longer stored (past its retention)" });
      else if ("invalid" in event) unroutable.push({ id: w.id, ...atField, reason: event.invalid });
      else {
        const reason = unroutableReason(event);
        if (reason === undefined) routable.push(event);
        else
          unroutable.push({
            id: w.id,
            at: event.receivedAt,
            reason: event.erasedAt === undefined ? reason : `its payload was erased at ${event.erasedAt}`,
          });
      }
    });

    // 3. Route them through the router's own use case (a dry run only counts them).
    const failures: { eventId: string; error: string }[] = [];
    const routed: StoredEvent[] = [];
    if (start.dryRun) routed.push(...routable);
    else if (routable.length > 0) {
      const urls = new Map(
        await Promise.all(
          config.subscriptions.map(async (s) => [s.id, await deps.routing.queueUrl(s.id)] as const),
        ),
      );
      const route = createRouteEvents({
        subscriptions: config.subscriptions,
        queue: deps.routing.queue,
        queueUrlFor: (id) => urls.get(id) ?? "",
        index: deps.routing.index,
        failuresQueueUrl: await deps.routing.failuresQueueUrl(),
      });
      for (let i = 0; i < routable.length; i += ROUTE_CHUNK) {
        const chunk = routable.slice(i, i + ROUTE_CHUNK);
        // The sequence number names the record in the router's report (and the batch's index item).
        const records = chunk.map((event) => ({ sequenceNumber: `redrive-${event.id}`, event }));
        try {
          const report = await route(records);
          const failed = new Set(report.failedSequenceNumbers);
          for (const record of records) {
            if (failed.has(record.sequenceNumber))
              failures.push({ eventId: record.event.id, error: "a copy could not be queued" });
            else routed.push(record.event);
          }
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          for (const event of chunk) failures.push({ eventId: event.id, error: message });
        }
      }
    }

    const perSubscription: Record<string, number> = { ...tally.perSubscription };
    let unmatched = tally.unmatched;
    for (const event of routed) {
      const targets = routedSubscriptions(config, event);
      if (targets.length === 0) unmatched++;
      for (const s of targets) perSubscription[s.id] = (perSubscription[s.id] ?? 0) + 1;
    }
    tally = {
      ...tally,
      routed: tally.routed + routed.length,
      perSubscription,
      unmatched,
      firstIds: [...tally.firstIds, ...routed.map((e) => e.id)].slice(0, FIRST_IDS),
      unroutable: [...tally.unroutable, ...unroutable].slice(0, UNROUTABLE_KEPT),
      unroutableCount: tally.unroutableCount + unroutable.length,
    };

    const state: RedriveState = {
      ...start,
      segments,
      retry: failures.map((f) => f.eventId),
      tally,
    };
    const done = segments.every((p) => p === true) && state.retry.length === 0;
    if (!done) return reportOf(state, { done, failures });

    // 4. Every event of the windows went out (a dry run: would have): the batch messages the run covered
    // are deleted — those sent before it began, whose whole window lies in the run's, holding no event
    // that cannot be routed. A dry run counts them.
    const held = tally.unroutable.flatMap((u) => (u.at === undefined ? [] : [u.at]));
    const allKnown = tally.unroutableCount === held.length;
    const deletable = (message: StreamFailureMessage): boolean => {
      const batch = batchOf(message);
      if (!batch || message.sentAt === undefined || message.sentAt > state.startedAt) return false;
      const window = batchWindow(batch, state.startedAt);
      if (!windowsCover(windows, window)) return false;
      return allKnown && !held.some((at) => inWindow(window, at));
    };
    if (state.dryRun) {
      const listing = await deps.streamFailures.list(QUEUE_READ_MAX);
      const picked = listing.messages.filter(deletable).length;
      return reportOf(state, { done, failures, deleted: picked, left: listing.messages.length - picked });
    }
    const removal = await deps.streamFailures.removeWhere(deletable, QUEUE_READ_MAX);
    return reportOf(state, {
      done,
      failures,
      deleted: removal.deleted,
      left: removal.kept + removal.notDeleted,
    });
  }

  function reportOf(
    state: RedriveState,
    outcome: {
      readonly done: boolean;
      readonly failures: readonly { eventId: string; error: string }[];
      readonly deleted?: number;
      readonly left?: number;
    },
  ): RedriveReport {
    const { tally } = state;
    return {
      dryRun: state.dryRun,
      windowsFrom: state.from,
      windows: state.windows.map((w) => ({ since: iso(w.since), until: iso(w.until) })),
      done: outcome.done,
      ...(outcome.done ? {} : { cursor: encodeRedriveCursor(state) }),
      scannedItems: tally.scannedItems,
      readUnits: tally.readUnits,
      inWindows: tally.inWindows,
      indexed: tally.indexed,
      routed: tally.routed,
      perSubscription: Object.fromEntries(
        config.subscriptions.map((s) => [s.id, tally.perSubscription[s.id] ?? 0]),
      ),
      unmatched: tally.unmatched,
      firstIds: tally.firstIds,
      unroutable: tally.unroutable.slice(0, 20).map((u) => ({
        eventId: u.id,
        ...(u.at === undefined ? {} : { receivedAt: iso(u.at) }),
        reason: u.reason,
      })),
      unroutableCount: tally.unroutableCount,
      failures: outcome.failures,
      messages: {
        covered: state.covered,
        deleted: outcome.deleted ?? 0,
        left: outcome.left ?? 0,
        setAside: state.setAside,
      },
    };
  }

  /**
   * Deletes from the stream failures queue the records the router set aside — every one, or those naming
   * the given event ids — and never anything else: a batch message (its events still need a redrive) or
   * a message of neither kind stays. A dry run lists what it would delete and deletes nothing. Bounded
   * like the listing (the first 1000 messages visible now); the answer says what the queue held.
   */
  async function discardSetAside(
    request: DiscardSetAsideRequest,
    by: Operator,
  ): Promise<DiscardSetAsideReport> {
    const dryRun = request.dryRun === true;
    if (!dryRun) requireWrite(by, "discarding the records the router set aside");
    const ids = discardIds(request.eventIds);
    const picks = (message: StreamFailureMessage): boolean => {
      const { failure } = message;
      if (failure.kind !== "set-aside") return false;
      return ids === undefined || (failure.eventId !== undefined && ids.has(failure.eventId));
    };
    if (dryRun) {
      const listing = await deps.streamFailures.list(QUEUE_READ_MAX);
      return discardReport({
        dryRun,
        ids,
        discarded: listing.messages.filter(picks),
        notDeleted: [],
        kept: listing.messages.filter((m) => !picks(m)),
        queued: listing.queued,
      });
    }
    const removal = await deps.streamFailures.removeWhere(picks, QUEUE_READ_MAX);
    return discardReport({
      dryRun,
      ids,
      discarded: removal.deletedMessages,
      notDeleted: removal.notDeletedMessages,
      kept: removal.keptMessages,
      queued: removal.queued,
    });
  }

  return { listStreamFailures, redriveStreamFailures, discardSetAside };
}
