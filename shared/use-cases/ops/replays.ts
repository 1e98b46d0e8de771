import type { SubscriptionConfig } from "../../config/schema.js";
import { mapBounded } from "../../domain/bounded.js";
import { ERROR_CODES, InvalidRequestError } from "../../domain/errors.js";
import type { IndexEntry } from "../../ports/event-index-reader.js";
import type { DeadLetter, FreshDelivery } from "../../ports/subscription-queues.js";
import { routedCloudEvent } from "../routed-event.js";
import type { Operator, ReplayEstimate, ReplayFilter, ReplayStatus } from "./contract.js";
import { type DeadLetterMemory, deadLetterMatcher, moveDeadLetters } from "./dead-letters.js";
import {
  findSubscription,
  newIdOf,
  notFound,
  type OpsDeps,
  parseTime,
  type ResolvedSettings,
  requireWrite,
  routedSubscriptions,
  timeRange,
} from "./deps.js";
import type { DeadLettersProgress, EventsProgress, ReplayRecord } from "./replay-record.js";
import { withFailures } from "./replay-record.js";

/** The first ids an estimate shows. */
const FIRST_IDS = 10;
/** Events whose deliveries are sent, then recorded, together within a slice. */
const CHUNK_EVENTS = 25;
/** A slice in a row that fails this often gives the replay up. */
const MAX_FAILED_SLICES = 3;
/** DLQ messages an estimate lists per subscription, at most. */
const DLQ_LIST_MAX = 100_000;

/** A replay filter checked against the config, with its time range as epoch ms. */
interface CheckedFilter {
  readonly filter: ReplayFilter;
  readonly targets: readonly SubscriptionConfig[];
  readonly since?: number;
  readonly until?: number;
}

/** Raised inside a slice when another slice took the replay over (its lease had run out). */
class LostLease extends Error {}

/**
 * Replays: an estimate (dry run), then a background run in bounded slices. A replay of dead letters
 * moves them out of the subscriptions' DLQs (copied back as fresh deliveries, then deleted; never the
 * same message twice; at most the DLQ's count at the start); any other replay sends each stored event
 * the filter matches to each of its subscriptions again, as a resend named by the replay's id — so each
 * (event, subscription) is delivered once per replay, even if a slice is retried or a copy duplicated.
 *
 * A slice owns the replay through a lease in its record (compare-and-set on the record's version),
 * handles up to `sliceEvents` events or dead letters within `sliceMs`, records its progress (the index
 * cursor, or per DLQ how many messages it looked at) after every chunk, and, if the replay is not done,
 * enqueues the next slice on the jobs queue. Without a jobs queue the caller runs the slices.
 */
export function createReplayOps(deps: OpsDeps, settings: ResolvedSettings) {
  const { config } = deps;
  const newId = newIdOf(deps);
  const expiresAt = () => Math.floor(deps.clock.now() / 1000) + settings.replayTtlSeconds;

  function check(filter: ReplayFilter): CheckedFilter {
    if (filter.deadLettered !== undefined && typeof filter.deadLettered !== "boolean")
      throw new InvalidRequestError("filter.deadLettered: must be true or false.");
    if (filter.reason !== undefined && filter.deadLettered !== true)
      throw new InvalidRequestError(
        'filter.reason: only dead letters have a reason; add "deadLettered": true, or leave the reason out.',
      );
    const targets =
      filter.subscription === undefined
        ? config.subscriptions
        : [findSubscription(config, filter.subscription, ERROR_CODES.invalidRequest, "filter.subscription")];
    if (filter.deadLettered === true) {
      const since = filter.since === undefined ? undefined : parseTime("filter.since", filter.since);
      const until = filter.until === undefined ? undefined : parseTime("filter.until", filter.until);
      if (since !== undefined && until !== undefined && since >= until)
        throw new InvalidRequestError("filter.since must be before filter.until.");
      return {
        filter,
        targets,
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
      };
    }
    const { since, until } = timeRange(config, filter, deps.clock.now());
    return {
      filter: { ...filter, since: new Date(since).toISOString(), until: new Date(until).toISOString() },
      targets,
      since,
      until,
    };
  }

  const letterMatcher = (checked: CheckedFilter) =>
    deadLetterMatcher({
      ...(checked.filter.source === undefined ? {} : { source: checked.filter.source }),
      ...(checked.filter.type === undefined ? {} : { type: checked.filter.type }),
      ...(checked.filter.reason === undefined ? {} : { reason: checked.filter.reason }),
      ...(checked.since === undefined ? {} : { since: checked.since }),
      ...(checked.until === undefined ? {} : { until: checked.until }),
    });

  /** The filter's subscriptions among those an event is routed to (cached per source and type). */
  function routing(checked: CheckedFilter): (entry: { sourceId: string; type: string }) => string[] {
    const cache = new Map<string, string[]>();
    const wanted = new Set(checked.targets.map((s) => s.id));
    return (entry) => {
      const key = `${entry.sourceId}\n${entry.type}`;
      let found = cache.get(key);
      if (!found) {
        found = routedSubscriptions(config, entry)
          .filter((s) => wanted.has(s.id))
          .map((s) => s.id);
        cache.set(key, found);
      }
      return found;
    };
  }

  const scanOf = (checked: CheckedFilter, cursor?: string) =>
    deps.index.scan({
      since: checked.since as number,
      until: checked.until as number,
      ...(checked.filter.source === undefined ? {} : { sourceId: checked.filter.source }),
      ...(checked.filter.type === undefined ? {} : { type: checked.filter.type }),
      ...(cursor === undefined ? {} : { cursor }),
    });

  async function estimate(checked: CheckedFilter): Promise<ReplayEstimate> {
    const perSubscription: Record<string, number> = Object.fromEntries(checked.targets.map((s) => [s.id, 0]));
    if (checked.filter.deadLettered === true) {
      const matches = letterMatcher(checked);
      const letters: DeadLetter[] = [];
      await mapBounded(checked.targets, 4, async (subscription) => {
        const listing = await deps.deadLetters.list(subscription.id, { max: DLQ_LIST_MAX });
        const matched = listing.messages.filter(matches);
        perSubscription[subscription.id] = matched.length;
        letters.push(...matched);
      });
      const newestFirst = [...letters].sort((a, b) => (b.receivedAt ?? "").localeCompare(a.receivedAt ?? ""));
      const firstIds = [...new Set(newestFirst.flatMap((l) => (l.eventId ? [l.eventId] : [])))].slice(
        0,
        FIRST_IDS,
      );
      return { dryRun: true, total: letters.length, perSubscription, firstIds };
    }
    const routedTo = routing(checked);
    let total = 0;
    const firstIds: string[] = [];
    for await (const entry of scanOf(checked)) {
      const targets = routedTo(entry);
      if (targets.length === 0) continue;
      total += targets.length;
      for (const id of targets) perSubscription[id] = (perSubscription[id] ?? 0) + 1;
      if (firstIds.length < FIRST_IDS) firstIds.push(entry.id);
    }
    return { dryRun: true, total, perSubscription, firstIds };
  }

  async function estimateReplay(filter: ReplayFilter): Promise<ReplayEstimate> {
    return estimate(check(filter));
  }

  async function startReplay(filter: ReplayFilter, by: Operator): Promise<{ readonly id: string }> {
    requireWrite(by, "starting a replay");
    const checked = check(filter);
    const id = newId("rpl");
    let progress: ReplayRecord["progress"];
    if (checked.filter.deadLettered === true) {
      // The bound of each DLQ is its count now, before anything moves.
      const depths = await mapBounded(checked.targets, 4, (s) => deps.deadLetters.depth(s.id));
      progress = {
        kind: "dead-letters",
        subscriptions: Object.fromEntries(
          checked.targets.map((s, i) => {
            const bound = (depths[i]?.visible ?? 0) + (depths[i]?.inFlight ?? 0);
            return [s.id, { bound, examined: 0, done: bound === 0 }];
          }),
        ),
      };
    } else {
      progress = { kind: "events", done: false };
    }
    const { total } = await estimate(checked);
    const now = new Date(deps.clock.now()).toISOString();
    const record: ReplayRecord = {
      id,
      filter: checked.filter,
      by: by.id,
      startedAt: now,
      ...(total === 0 ? { finishedAt: now } : {}),
      state: total === 0 ? "done" : "running",
      total,
      sent: 0,
      perSubscription: {},
      failures: [],
      moreFailures: 0,
      leaseUntil: 0,
      slicesFailed: 0,
      progress,
    };
    await deps.replays.create(id, record, expiresAt());
    if (record.state === "running" && deps.jobs) {
      try {
        await deps.jobs.send({ replayId: id });
      } catch (error) {
        await deps.replays.save(
          id,
          {
            ...record,
            state: "failed",
            finishedAt: new Date(deps.clock.now()).toISOString(),
            ...withFailures(record, [{ error: `could not start: ${(error as Error).message}` }]),
          },
          1,
          expiresAt(),
        );
        throw error;
      }
    }
    return { id };
  }

  async function recordOf(id: string) {
    const found = await deps.replays.get(id);
    if (!found) throw notFound(`No replay '${id}': it is unknown, or older than its retention.`);
    return found;
  }

  async function getReplay(id: string): Promise<ReplayStatus> {
    return replayStatusOf((await recordOf(id)).record);
  }

  async function continueReplay(id: string): Promise<ReplayStatus> {
    const found = await recordOf(id);
    let { record, version } = found;
    const started = deps.clock.now();
    if (record.state !== "running" || record.leaseUntil > started) return replayStatusOf(record);
    const claimed: ReplayRecord = { ...record, leaseUntil: started + settings.sliceMs + 60_000 };
    if (!(await deps.replays.save(id, claimed, version, expiresAt())))
      return replayStatusOf((await recordOf(id)).record);
    record = claimed;
    version++;

    /** Saves the next state of the record, unless another slice took the replay over. */
    const checkpoint = async (update: (current: ReplayRecord) => ReplayRecord): Promise<void> => {
      const next = update(record);
      if (!(await deps.replays.save(id, next, version, expiresAt()))) throw new LostLease();
      record = next;
      version++;
    };
    const deadline = started + settings.sliceMs;

    try {
      const finished =
        record.progress.kind === "events"
          ? await eventSlice(record, checkpoint, deadline)
          : await deadLetterSlice(record, checkpoint, deadline);
      const at = new Date(deps.clock.now()).toISOString();
      await checkpoint((r) => ({
        ...r,
        leaseUntil: 0,
        slicesFailed: 0,
        ...(finished
          ? {
              state: "done" as const,
              finishedAt: at,
              progress: r.progress.kind === "events" ? { ...r.progress, done: true } : r.progress,
            }
          : {}),
      }));
    } catch (error) {
      if (error instanceof LostLease) return replayStatusOf((await recordOf(id)).record);
      const givenUp = record.slicesFailed + 1 >= MAX_FAILED_SLICES;
      const message = (error as Error).message ?? String(error);
      await checkpoint((r) => ({
        ...r,
        leaseUntil: 0,
        slicesFailed: r.slicesFailed + 1,
        ...withFailures(r, [{ error: `a slice failed: ${message}` }]),
        ...(givenUp
          ? { state: "failed" as const, finishedAt: new Date(deps.clock.now()).toISOString() }
          : {}),
      })).catch(() => undefined);
      if (!givenUp) throw error;
      return replayStatusOf(record);
    }
    if (record.state === "running" && deps.jobs) await deps.jobs.send({ replayId: id });
    return replayStatusOf(record);
  }

  /** Sends the next events of the index to their subscriptions; true when the scan is done. */
  async function eventSlice(
    start: ReplayRecord,
    checkpoint: (update: (current: ReplayRecord) => ReplayRecord) => Promise<void>,
    deadline: number,
  ): Promise<boolean> {
    const progress = start.progress as EventsProgress;
    const checked: CheckedFilter = {
      filter: start.filter,
      targets:
        start.filter.subscription === undefined
          ? config.subscriptions
          : config.subscriptions.filter((s) => s.id === start.filter.subscription),
      since: parseTime("filter.since", start.filter.since as string),
      until: parseTime("filter.until", start.filter.until as string),
    };
    const routedTo = routing(checked);
    const scan = scanOf(checked, progress.cursor)[Symbol.asyncIterator]();
    let handled = 0;
    try {
      for (;;) {
        const chunk: IndexEntry[] = [];
        let exhausted = false;
        while (chunk.length < Math.min(CHUNK_EVENTS, settings.sliceEvents - handled)) {
          const step = await scan.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          chunk.push(step.value);
        }
        if (chunk.length > 0) await sendChunk(start.id, chunk, routedTo, checkpoint, exhausted);
        handled += chunk.length;
        if (exhausted) return true;
        if (handled >= settings.sliceEvents || deps.clock.now() >= deadline) return false;
      }
    } finally {
      await scan.return?.();
    }
  }

  async function sendChunk(
    replayId: string,
    chunk: readonly IndexEntry[],
    routedTo: (entry: IndexEntry) => string[],
    checkpoint: (update: (current: ReplayRecord) => ReplayRecord) => Promise<void>,
    exhausted: boolean,
  ): Promise<void> {
    const nowSeconds = Math.floor(deps.clock.now() / 1000);
    const work = chunk
      .map((entry) => ({ entry, targets: routedTo(entry) }))
      .filter((w) => w.targets.length > 0);
    const stored = await mapBounded(work, settings.parallelReads, (w) =>
      deps.events.get(w.entry.id, nowSeconds),
    );
    const failures: { eventId?: string; subscription?: string; error: string }[] = [];
    const perSubscription = new Map<string, { eventId: string; delivery: FreshDelivery }[]>();
    work.forEach(({ entry, targets }, i) => {
      const event = stored[i];
      if (!event) {
        failures.push({ eventId: entry.id, error: "no longer stored (past its retention)" });
        return;
      }
      if (event.erasedAt !== undefined) {
        failures.push({ eventId: entry.id, error: `its payload was erased at ${event.erasedAt}` });
        return;
      }
      const body = routedCloudEvent(event);
      for (const subscription of targets) {
        const list = perSubscription.get(subscription) ?? [];
        list.push({ eventId: entry.id, delivery: { body, resendId: replayId } });
        perSubscription.set(subscription, list);
      }
    });
    const sentPer: Record<string, number> = {};
    const unqueued: string[] = [];
    await Promise.all(
      [...perSubscription].map(async ([subscription, list]) => {
        const failed = await deps.queues
          .enqueue(
            subscription,
            list.map((l) => l.delivery),
          )
          .catch(() => list.map((_, i) => i));
        sentPer[subscription] = list.length - failed.length;
        for (const i of failed) unqueued.push(`${list[i]?.eventId} to ${subscription}`);
      }),
    );
    // Not recorded: the slice is retried from the last recorded cursor. What this chunk did send goes
    // again under the same resend id, which the delivery ledger never POSTs twice.
    if (unqueued.length > 0)
      throw new Error(
        `${unqueued.length} deliveries could not be queued (${unqueued.slice(0, 3).join(", ")})`,
      );
    const sent = Object.values(sentPer).reduce((a, b) => a + b, 0);
    const last = chunk[chunk.length - 1] as IndexEntry;
    await checkpoint((r) => ({
      ...r,
      sent: r.sent + sent,
      perSubscription: addCounts(r.perSubscription, sentPer),
      ...withFailures(r, failures),
      progress: { kind: "events", cursor: last.after, done: exhausted },
    }));
  }

  /** Moves the next dead letters of each DLQ the replay covers; true when every DLQ is done. */
  async function deadLetterSlice(
    start: ReplayRecord,
    checkpoint: (update: (current: ReplayRecord) => ReplayRecord) => Promise<void>,
    deadline: number,
  ): Promise<boolean> {
    const checked: CheckedFilter = {
      filter: start.filter,
      targets: [],
      ...(start.filter.since === undefined ? {} : { since: parseTime("filter.since", start.filter.since) }),
      ...(start.filter.until === undefined ? {} : { until: parseTime("filter.until", start.filter.until) }),
    };
    const matches = letterMatcher(checked);
    const memory: DeadLetterMemory = {
      recall: (ids) => deps.replays.recall(start.id, ids),
      remember: (marks) => deps.replays.remember(start.id, marks, expiresAt()),
    };
    let handled = 0;
    for (const [subscription, state] of Object.entries(
      (start.progress as DeadLettersProgress).subscriptions,
    )) {
      if (state.done) continue;
      if (handled >= settings.sliceEvents || deps.clock.now() >= deadline) return false;
      let reportedMoved = 0;
      let reportedExamined = 0;
      const bump = (moved: number, examined: number) =>
        checkpoint((r) => {
          const p = r.progress as DeadLettersProgress;
          const s = p.subscriptions[subscription] ?? state;
          return {
            ...r,
            sent: r.sent + moved,
            perSubscription: addCounts(r.perSubscription, { [subscription]: moved }),
            progress: {
              ...p,
              subscriptions: {
                ...p.subscriptions,
                [subscription]: { ...s, examined: s.examined + examined },
              },
            },
          };
        });
      const report = await moveDeadLetters(deps.deadLetters, subscription, {
        bound: state.bound - state.examined,
        limit: settings.sliceEvents - handled,
        holdSeconds: Math.ceil(settings.sliceMs / 1000) + 60,
        matches,
        memory,
        deadline,
        now: () => deps.clock.now(),
        onProgress: async (moved, examined) => {
          await bump(moved.length - reportedMoved, examined - reportedExamined);
          reportedMoved = moved.length;
          reportedExamined = examined;
        },
      });
      handled += report.examined;
      if (report.unsent.length > 0 || report.notDeleted > 0) {
        // What did not move stays in the DLQ (a copied message that was not deleted is deleted, not copied,
        // when it is seen again): the slice is retried, and after three failures in a row given up.
        const first = report.unsent[0];
        throw new Error(
          [
            report.unsent.length > 0
              ? `${report.unsent.length} dead letter(s) of '${subscription}' could not be copied back (${first?.error ?? ""})`
              : "",
            report.notDeleted > 0
              ? `${report.notDeleted} copied back from the DLQ of '${subscription}' but not deleted`
              : "",
          ]
            .filter(Boolean)
            .join("; "),
        );
      }
      const done = report.finished;
      if (done)
        await checkpoint((r) => {
          const p = r.progress as DeadLettersProgress;
          const s = p.subscriptions[subscription] ?? state;
          return {
            ...r,
            progress: { ...p, subscriptions: { ...p.subscriptions, [subscription]: { ...s, done } } },
          };
        });
      if (!done) return false;
    }
    return true;
  }

  return { estimateReplay, startReplay, getReplay, continueReplay };
}

function addCounts(
  counts: Readonly<Record<string, number>>,
  more: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...counts };
  for (const [key, n] of Object.entries(more)) if (n > 0) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** What callers see of a replay. */
export function replayStatusOf(record: ReplayRecord): ReplayStatus {
  return {
    id: record.id,
    state: record.state,
    filter: record.filter,
    startedAt: record.startedAt,
    ...(record.finishedAt === undefined ? {} : { finishedAt: record.finishedAt }),
    by: record.by,
    total: record.total,
    sent: record.sent,
    perSubscription: record.perSubscription,
    failures:
      record.moreFailures > 0
        ? [...record.failures, { error: `${record.moreFailures} more failure(s), not listed` }]
        : record.failures,
  };
}
