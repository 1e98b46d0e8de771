import type { IndexEntry, IndexScan } from "../../shared/ports/event-index-reader.js";
import type { NewEvent, StoredEvent } from "../../shared/ports/event-store.js";
import type { JobQueue, ReplayJob } from "../../shared/ports/job-queue.js";
import type { DeadLetterMark, ReplayStore, VersionedReplay } from "../../shared/ports/replay-store.js";
import type {
  FreshDelivery,
  QueueDepth,
  SubscriptionQueues,
} from "../../shared/ports/subscription-queues.js";
import type { OpsDeps } from "../../shared/use-cases/ops/deps.js";
import type { ReplayRecord } from "../../shared/use-cases/ops/replay-record.js";
import { InMemoryDeliveryStore } from "./in-memory-delivery-store.js";

/**
 * In-memory ports of the ops use cases, for unit tests of their decisions (slicing, leases, retries);
 * every adapter has its own tests against the emulators.
 */
export class InMemoryReplayStore<R> implements ReplayStore<R> {
  readonly records = new Map<string, VersionedReplay<R>>();
  readonly marks = new Map<string, DeadLetterMark>();
  /** Called before each save; a test can change the store behind the caller's back here. */
  beforeSave: (id: string) => void = () => undefined;

  async create(id: string, record: R): Promise<void> {
    if (this.records.has(id)) throw new Error(`replay ${id} exists`);
    this.records.set(id, { record: structuredClone(record), version: 1 });
  }

  async get(id: string): Promise<VersionedReplay<R> | undefined> {
    const found = this.records.get(id);
    return found ? structuredClone(found) : undefined;
  }

  async save(id: string, record: R, expectedVersion: number): Promise<boolean> {
    this.beforeSave(id);
    const found = this.records.get(id);
    if (!found || found.version !== expectedVersion) return false;
    this.records.set(id, { record: structuredClone(record), version: expectedVersion + 1 });
    return true;
  }

  async recall(replayId: string, ids: readonly string[]): Promise<ReadonlyMap<string, DeadLetterMark>> {
    return new Map(
      ids.flatMap((id) => {
        const mark = this.marks.get(`${replayId}/${id}`);
        return mark ? [[id, mark] as const] : [];
      }),
    );
  }

  async remember(
    replayId: string,
    marks: readonly { messageId: string; mark: DeadLetterMark }[],
  ): Promise<void> {
    for (const { messageId, mark } of marks) this.marks.set(`${replayId}/${messageId}`, mark);
  }
}

/** Records what was enqueued; `failNext` makes the next calls fail every delivery. */
export class RecordingQueues implements SubscriptionQueues {
  readonly sent: { subscriptionId: string; delivery: FreshDelivery }[] = [];
  failNext = 0;
  onEnqueue: () => void = () => undefined;

  async enqueue(subscriptionId: string, deliveries: readonly FreshDelivery[]): Promise<readonly number[]> {
    this.onEnqueue();
    if (this.failNext > 0) {
      this.failNext--;
      return deliveries.map((_, i) => i);
    }
    for (const delivery of deliveries) this.sent.push({ subscriptionId, delivery });
    return [];
  }

  async backlog(): Promise<QueueDepth> {
    return { total: 0, visible: 0, inFlight: 0, delayed: 0 };
  }
}

const unused = (what: string) => () => Promise.reject(new Error(`${what} is not used in this test`));

/** Ops deps over in-memory events (the index lists them newest first; its cursor is a position). */
export function inMemoryOps(config: OpsDeps["config"], events: readonly NewEvent[], now: number) {
  const sorted = [...events].sort((a, b) => b.receivedAt - a.receivedAt || b.id.localeCompare(a.id));
  const stored = new Map<string, StoredEvent>(sorted.map((e) => [e.id, { ...e, bodyBytes: e.body.length }]));
  const replays = new InMemoryReplayStore<ReplayRecord>();
  const queues = new RecordingQueues();
  const jobs: ReplayJob[] = [];
  const jobQueue: JobQueue = { send: async (job) => void jobs.push(job) };
  const delivery = new InMemoryDeliveryStore();
  let clock = now;
  const deps: OpsDeps = {
    config,
    events: {
      get: async (id) => stored.get(id),
      erasePayload: async (id, at) => {
        const event = stored.get(id);
        if (!event) return false;
        const { body: _body, ...rest } = event;
        stored.set(id, { ...rest, erasedAt: at.toISOString() });
        return true;
      },
    },
    payloads: { get: unused("the payload store") },
    index: {
      async *scan(query: IndexScan): AsyncGenerator<IndexEntry> {
        const start = query.cursor === undefined ? 0 : Number(query.cursor.slice("pos:".length)) + 1;
        for (let i = start; i < sorted.length; i++) {
          const e = sorted[i] as NewEvent;
          if (e.receivedAt < query.since || e.receivedAt >= query.until) continue;
          if (query.type !== undefined && e.type !== query.type) continue;
          if (query.sourceId !== undefined && e.sourceId !== query.sourceId) continue;
          yield { id: e.id, sourceId: e.sourceId, type: e.type, receivedAt: e.receivedAt, after: `pos:${i}` };
        }
      },
    },
    attempts: delivery,
    outcomes: { outcomes: async () => new Map() },
    stats: { statsBetween: async () => [] },
    subscriptionStates: delivery,
    breakers: delivery,
    queues,
    deadLetters: {
      depth: unused("the DLQ"),
      list: unused("the DLQ"),
      receive: unused("the DLQ"),
      requeue: unused("the DLQ"),
      remove: unused("the DLQ"),
      release: unused("the DLQ"),
    },
    replays,
    storedEvents: { page: unused("the event table scan"), read: unused("the event table scan") },
    streamFailures: {
      list: unused("the stream failures queue"),
      removeWhere: unused("the stream failures queue"),
    },
    routing: {
      queue: { send: unused("the router's queue"), sendBatch: unused("the router's queue") },
      index: { append: unused("the event index writer") },
      queueUrl: unused("the router's queue"),
      failuresQueueUrl: unused("the stream failures queue"),
    },
    jobs: jobQueue,
    clock: { now: () => clock },
  };
  return { deps, replays, queues, jobs, advance: (ms: number) => (clock += ms) };
}
