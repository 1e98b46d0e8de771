import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { InitializeMiddleware, MetadataBearer, MiddlewareStack } from "@smithy/types";
import { emulatorClients } from "../local/emulator-clients.js";
import { freePort, startDynamoDbEmulator, startSqsEmulator } from "../local/emulators.js";
import { provision } from "../local/provision.js";
import { DynamoDbDeliveryStore } from "../shared/adapters/dynamodb-delivery-store.js";
import { DynamoDbEventIndex } from "../shared/adapters/dynamodb-event-index.js";
import { packBlob, toItem } from "../shared/adapters/event-item.js";
import { opsAdapters } from "../shared/adapters/ops-adapters.js";
import { DELIVERY_ATTRIBUTES as A } from "../shared/adapters/sqs-delivery-queue.js";
import { queueUrlsByPrefix } from "../shared/adapters/sqs-subscription-queues.js";
import { parseConfig } from "../shared/config/load-config.js";
import { mapBounded } from "../shared/domain/bounded.js";
import { eventIdFor } from "../shared/domain/cloud-event.js";
import type { AttemptRecord } from "../shared/ports/attempt-log.js";
import { systemClock } from "../shared/ports/clock.js";
import type { NewEvent } from "../shared/ports/event-store.js";
import { queueNames } from "../shared/topology/names.js";
import { buildTopology, ROUTER_BATCH_SIZE } from "../shared/topology/topology.js";
import type { EventFilter, ReplayFilter } from "../shared/use-cases/ops/contract.js";
import { createOpsUseCases } from "../shared/use-cases/ops/create-ops-use-cases.js";
import { routedSubscriptions } from "../shared/use-cases/ops/deps.js";
import type { ReplayRecord } from "../shared/use-cases/ops/replay-record.js";
import { fmt, printTable } from "./table.js";

export interface OpsBenchRow {
  readonly name: string;
  /** What the call returned: events listed, or deliveries a replay would send. */
  readonly result: string;
  /** AWS calls the use case made (DynamoDB and SQS, by the SDK's count). */
  readonly calls: number;
  /** Median of the runs, ms. */
  readonly ms: number;
}

export interface OpsBench {
  readonly events: number;
  readonly hours: number;
  readonly indexItems: number;
  readonly seedMs: number;
  readonly rows: readonly OpsBenchRow[];
}

const HOUR = 3_600_000;

/** A deterministic stream of numbers in [0, 1) (the same archive every run). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const TYPES = [
  { source: "stripe", type: "invoice.paid", weight: 30 },
  { source: "stripe", type: "invoice.created", weight: 20 },
  { source: "stripe", type: "customer.updated", weight: 10 },
  { source: "gh", type: "push", weight: 25 },
  { source: "gh", type: "pull_request", weight: 15 },
] as const;

/** Counts every AWS call a client makes (an SDK middleware). */
function counting(client: SQSClient | DynamoDBClient, counter: { calls: number }): void {
  const count: InitializeMiddleware<object, MetadataBearer> = (next) => async (args) => {
    counter.calls++;
    return next(args);
  };
  (client.middlewareStack as unknown as MiddlewareStack<object, MetadataBearer>).add(count, {
    step: "initialize",
    name: "countCalls",
  });
}

/**
 * The ops use cases over an archive of 10,000 events on the emulators: the event items and index items
 * written as ingest and the router write them (in bulk), success records and failed attempts as the
 * deliver function writes them (90% delivered, 5% dead-lettered, the rest pending), and 1,000 dead
 * letters in one DLQ. Times the event list (first page, every page) with and without filters, and replay
 * estimates (dry runs) over the whole archive. Each case runs `runs` times; the median is shown.
 */
export async function benchOps(options: { events?: number; runs?: number } = {}): Promise<OpsBench> {
  const total = options.events ?? 10_000;
  const runs = options.runs ?? 3;
  const sqsEmu = await startSqsEmulator(0);
  const ddbEmu = await startDynamoDbEmulator(await freePort());
  try {
    const config = parseConfig({
      sources: [
        { id: "stripe", provider: "stripe", secrets: ["whsec_test"] },
        { id: "gh", provider: "github", secrets: ["s3cret"] },
      ],
      subscriptions: [
        {
          id: "billing",
          eventTypes: ["invoice.*"],
          target: {
            type: "http",
            url: "https://billing.example.com/hook",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          },
        },
        {
          id: "crm",
          eventTypes: ["customer.*"],
          target: {
            type: "http",
            url: "https://crm.example.com/hook",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          },
        },
        {
          id: "ci",
          sources: ["gh"],
          target: {
            type: "http",
            url: "https://ci.example.com/hook",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          },
        },
        { id: "audit", target: { type: "queue" } },
      ],
    });
    const topology = buildTopology(config, { prefix: "bench-ops" });
    const counter = { calls: 0 };
    const { sqs, dynamodb: ddb, s3 } = emulatorClients({ sqs: sqsEmu.endpoint, dynamodb: ddbEmu.endpoint });
    const provisioned = await provision(topology, { sqs, dynamodb: ddb, s3 });

    // The archive: `total` events over the last 48 hours, oldest first.
    const seedStarted = performance.now();
    const random = seeded(42);
    const now = Date.now();
    const span = 48 * HOUR;
    const weights = TYPES.reduce((sum, t) => sum + t.weight, 0);
    const events: NewEvent[] = Array.from({ length: total }, (_, i) => {
      const pick = random() * weights;
      let below = 0;
      const kind =
        TYPES.find((t) => {
          below += t.weight;
          return pick < below;
        }) ?? TYPES[0];
      const receivedAt = now - span + Math.floor((i / total) * span);
      const body = Buffer.from(
        JSON.stringify({
          id: `evt_${i}`,
          type: kind.type,
          data: { object: { id: `obj_${i}`, amount: 4200, pad: "x".repeat(700) } },
        }),
      );
      return {
        id: eventIdFor(kind.source, `bench-${i}`),
        sourceId: kind.source,
        provider: kind.source === "gh" ? "github" : "stripe",
        type: kind.type,
        deliveryId: `d_${i}`,
        receivedAt,
        contentType: "application/json",
        headers: { "user-agent": "bench" },
        body,
        expiresAt: Math.floor(now / 1000) + 7 * 86_400,
      };
    });
    const batchWrite = async (table: string, requests: WriteRequest[]) => {
      const chunks: WriteRequest[][] = [];
      for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
      await mapBounded(chunks, 8, async (chunk) => {
        let pending = chunk;
        while (pending.length > 0) {
          const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
          pending = out.UnprocessedItems?.[table] ?? [];
        }
      });
    };
    // Event items as ingest writes them (here 25 per call rather than one per request).
    await batchWrite(
      provisioned.tableNames.events,
      events.map((e) => ({ PutRequest: { Item: toItem(e, packBlob(e.headers, e.body)) } })),
    );
    // Index items as the router writes them: one per stream batch of up to 100 events (and per hour).
    const index = new DynamoDbEventIndex(ddb, provisioned.tableNames.delivery);
    const batches: NewEvent[][] = [];
    for (let i = 0; i < events.length; i += ROUTER_BATCH_SIZE)
      batches.push(events.slice(i, i + ROUTER_BATCH_SIZE));
    await mapBounded(batches, 8, (batch, n) =>
      index.append(
        batch.map((e) => ({
          id: e.id,
          sourceId: e.sourceId,
          type: e.type,
          receivedAt: e.receivedAt,
          expiresAt: e.expiresAt,
        })),
        String(n).padStart(20, "0"),
      ),
    );
    const indexItems = batches.reduce(
      (n, b) => n + new Set(b.map((e) => Math.floor(e.receivedAt / HOUR))).size,
      0,
    );
    // Deliveries to the HTTP subscriptions: 90% delivered, 5% dead-lettered (after a retry), 5% pending.
    const store = new DynamoDbDeliveryStore(ddb, provisioned.tableNames.delivery);
    const successes: AttemptRecord[] = [];
    const failures: AttemptRecord[] = [];
    const outcomes = seeded(7);
    for (const e of events) {
      for (const s of routedSubscriptions(config, e)) {
        if (s.target.type !== "http") continue;
        const roll = outcomes();
        const base = { eventId: e.id, subscriptionId: s.id, latencyMs: 40 + Math.floor(roll * 200) };
        if (roll < 0.9)
          successes.push({ ...base, attempt: 1, at: e.receivedAt + 1000, status: 200, result: "delivered" });
        else if (roll < 0.95) {
          failures.push({
            ...base,
            attempt: 1,
            at: e.receivedAt + 1000,
            status: 503,
            result: "retry-scheduled",
          });
          failures.push({
            ...base,
            attempt: 2,
            at: e.receivedAt + 6000,
            status: 503,
            result: "dead-lettered",
          });
        }
      }
    }
    const successChunks: AttemptRecord[][] = [];
    for (let i = 0; i < successes.length; i += 25) successChunks.push(successes.slice(i, i + 25));
    await mapBounded(successChunks, 8, (chunk) =>
      store.recordBatch(
        chunk.map((attempt) => ({ attempt, expiresAtSeconds: Math.floor(now / 1000) + 86_400 })),
        [],
        86_400,
      ),
    );
    await mapBounded(failures, 16, (f) => store.recordAttempt(f, 86_400));
    // 1,000 dead letters in the billing DLQ, as the deliver function leaves them.
    const dlqUrl = `${provisioned.queueUrlPrefix}${queueNames.dlq(queueNames.subscription(topology.prefix, "billing"))}`;
    const dead = events.filter((e) => e.type.startsWith("invoice.")).slice(0, 1_000);
    const dlqChunks: NewEvent[][] = [];
    for (let i = 0; i < dead.length; i += 10) dlqChunks.push(dead.slice(i, i + 10));
    await mapBounded(dlqChunks, 8, (chunk) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: chunk.map((e, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify({
              specversion: "1.0",
              id: e.id,
              source: `/webhooks/${e.sourceId}`,
              type: e.type,
              time: new Date(e.receivedAt).toISOString(),
              webhooksourceid: e.sourceId,
              webhookprovider: e.provider,
              datacontenttype: "application/json",
              data: {},
            }),
            MessageAttributes: {
              [A.reason]: {
                DataType: "String",
                StringValue: j % 2 === 0 ? "retries_exhausted" : "permanent_failure",
              },
            },
          })),
        }),
      ),
    );
    const seedMs = performance.now() - seedStarted;

    counting(ddb, counter);
    counting(sqs, counter);
    const useCases = createOpsUseCases({
      config,
      ...opsAdapters<ReplayRecord>({
        dynamodb: ddb,
        sqs,
        tables: provisioned.tableNames,
        prefix: topology.prefix,
        locate: queueUrlsByPrefix(provisioned.queueUrlPrefix),
        payloads: () => {
          throw new Error("the bench archive keeps every body in its event item");
        },
        clock: systemClock,
      }),
    });

    const rows: OpsBenchRow[] = [];
    const measure = async (name: string, run: () => Promise<string>) => {
      const times: number[] = [];
      let result = "";
      let calls = 0;
      for (let i = 0; i < runs; i++) {
        const before = counter.calls;
        const started = performance.now();
        result = await run();
        times.push(performance.now() - started);
        calls = counter.calls - before;
      }
      times.sort((a, b) => a - b);
      rows.push({ name, result, calls, ms: times[Math.floor(times.length / 2)] ?? 0 });
    };
    const firstPage =
      (filter: EventFilter, limit = 50) =>
      async () =>
        `${(await useCases.listEvents(filter, { limit })).events.length} events`;
    const everyPage = (filter: EventFilter, limit: number) => async () => {
      let listed = 0;
      let pages = 0;
      let cursor: string | undefined;
      do {
        const page = await useCases.listEvents(filter, {
          limit,
          ...(cursor === undefined ? {} : { cursor }),
        });
        listed += page.events.length;
        pages++;
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return `${listed} events, ${pages} pages`;
    };
    const estimate = (filter: ReplayFilter) => async () => {
      const e = await useCases.estimateReplay(filter);
      return `${e.total} deliveries`;
    };

    await measure("events list: first page (50)", firstPage({}));
    await measure("events list: every page (200 per page)", everyPage({}, 200));
    await measure("events list: every page (50 per page)", everyPage({}, 50));
    await measure("events list: first page, type=invoice.paid", firstPage({ type: "invoice.paid" }));
    await measure("events list: first page, status=dead-lettered", firstPage({ status: "dead-lettered" }));
    await measure(
      "events list: every page, subscription=billing status=dead-lettered",
      everyPage({ subscription: "billing", status: "dead-lettered" }, 50),
    );
    await measure(
      "events list: every page, status=pending (200 per page)",
      everyPage({ status: "pending" }, 200),
    );
    await measure("replay dry-run: all 10,000 events", estimate({}));
    await measure("replay dry-run: type=invoice.paid", estimate({ type: "invoice.paid" }));
    await measure("replay dry-run: subscription=billing", estimate({ subscription: "billing" }));
    await measure(
      "replay dry-run: dead letters of billing (1,000 in its DLQ), reason=retries_exhausted",
      estimate({ deadLettered: true, subscription: "billing", reason: "retries_exhausted" }),
    );
    sqs.destroy();
    ddb.destroy();
    s3.destroy();
    return { events: total, hours: 48, indexItems, seedMs, rows };
  } finally {
    await ddbEmu.stop();
    await sqsEmu.stop();
  }
}

export function printOpsBench(bench: OpsBench): void {
  console.log(
    `Archive: ${fmt(bench.events)} events over ${bench.hours} hours, ${fmt(bench.indexItems)} index items ` +
      `(seeded in ${fmt(bench.seedMs / 1000, 1)} s)\n`,
  );
  printTable(
    ["case", "result", "AWS calls", "ms (median)"],
    bench.rows.map((r) => [r.name, r.result, fmt(r.calls), fmt(r.ms, 1)]),
    2,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  printOpsBench(await benchOps());
}
