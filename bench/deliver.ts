import { createServer } from "node:http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { InitializeMiddleware, MetadataBearer, MiddlewareStack } from "@smithy/types";
import { emulatorClients } from "../local/emulator-clients.js";
import { freePort, startDynamoDbEmulator, startSqsEmulator } from "../local/emulators.js";
import { provision } from "../local/provision.js";
import { CachingSecretResolver } from "../shared/adapters/caching-secret-resolver.js";
import { DynamoDbDeliveryStore } from "../shared/adapters/dynamodb-delivery-store.js";
import { NodeHttpSender } from "../shared/adapters/node-http-sender.js";
import { deliveryMessageOf, SqsDeliveryQueue } from "../shared/adapters/sqs-delivery-queue.js";
import { SqsMessageQueue } from "../shared/adapters/sqs-message-queue.js";
import { LOCAL_POLICY } from "../shared/adapters/ssrf-guard.js";
import { parseConfig } from "../shared/config/load-config.js";
import type { HttpTarget, SubscriptionConfig } from "../shared/config/schema.js";
import { systemClock } from "../shared/ports/clock.js";
import { queueNames } from "../shared/topology/names.js";
import { buildTopology } from "../shared/topology/topology.js";
import { createDeliverEvents } from "../shared/use-cases/deliver/deliver-batch.js";
import { statePortsOf } from "../shared/use-cases/deliver/deps.js";

export interface DeliverBench {
  readonly deliveries: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly baseline: { readonly perSecond: number; readonly p50Ms: number; readonly p99Ms: number };
  /** AWS API calls the deliver function makes per delivered webhook, by operation. */
  readonly callsPerDelivery: Readonly<Record<string, number>>;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Counts every AWS API call a client makes, by operation (an SDK middleware, as the issue asks). */
function counting(client: SQSClient | DynamoDBClient, counts: Map<string, number>): void {
  const count: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
    const name = `${context.clientName?.replace("Client", "") ?? "?"}.${context.commandName?.replace("Command", "") ?? "?"}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return next(args);
  };
  (client.middlewareStack as unknown as MiddlewareStack<object, MetadataBearer>).add(count, {
    step: "initialize",
    name: "countCalls",
  });
}

/**
 * The deliver use case with its real adapters (SQS and DynamoDB emulators, HTTP to a local sink that
 * answers 204), fed batches of 10 records as Lambda would. Baseline: a bare `fetch` POST of the same
 * body to the same sink, in the same run. SQS receive/delete are the event source mapping's, not the
 * function's, and are not counted (one of each per batch of up to 10).
 */
export async function benchDeliver(
  options: { deliveries?: number; concurrency?: number } = {},
): Promise<DeliverBench> {
  const total = options.deliveries ?? 1_000;
  const concurrency = options.concurrency ?? 4;
  const sink = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((ok) => sink.listen(0, "127.0.0.1", () => ok()));
  const address = sink.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
  const sqsEmu = await startSqsEmulator(0);
  const ddbEmu = await startDynamoDbEmulator(await freePort());
  try {
    const config = parseConfig({
      sources: [],
      subscriptions: [
        { id: "bench", target: { type: "http", url, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } },
      ],
    });
    const topology = buildTopology(config, { prefix: "bench" });
    const counts = new Map<string, number>();
    const { sqs, dynamodb: ddb, s3 } = emulatorClients({ sqs: sqsEmu.endpoint, dynamodb: ddbEmu.endpoint });
    counting(sqs, counts);
    counting(ddb, counts);
    const provisioned = await provision(topology, { sqs, dynamodb: ddb, s3 });
    counts.clear();
    const subscription = config.subscriptions[0] as SubscriptionConfig & { target: HttpTarget };
    const queueName = queueNames.subscription("bench", "bench");
    const messageQueue = new SqsMessageQueue(sqs);
    const table = new DynamoDbDeliveryStore(ddb, provisioned.tableNames.delivery);
    const deliver = createDeliverEvents(
      {
        subscriptionFor: () => subscription,
        http: new NodeHttpSender(systemClock, { policy: LOCAL_POLICY }),
        queue: new SqsDeliveryQueue({
          queue: messageQueue,
          queueUrlFor: (name) => `${provisioned.queueUrlPrefix}${name}`,
          dlqNameFor: queueNames.dlq,
          clock: systemClock,
        }),
        ...statePortsOf(table),
        secrets: new CachingSecretResolver(),
        payloads: { get: () => Promise.reject(new Error("the bench sends no claim-checked bodies")) },
        clock: systemClock,
        random: Math.random,
      },
      { userAgent: "bench", attemptLogTtlSeconds: 86_400, statsTtlSeconds: 86_400 },
    );
    const body = (i: number) =>
      JSON.stringify({
        specversion: "1.0",
        id: `evt_bench_${i}`,
        source: "/webhooks/bench",
        type: "invoice.paid",
        time: new Date().toISOString(),
        datacontenttype: "application/json",
        data: { id: `in_${i}`, amount_due: 4200, pad: "x".repeat(900) },
        webhooksourceid: "bench",
        webhookprovider: "stripe",
      });

    /** Invocations of up to 10 records, `concurrency` at a time; each record's latency is its invocation's. */
    const runBatches = async (n: number, invoke: (indexes: number[]) => Promise<number>) => {
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const batch = Array.from({ length: Math.min(10, n - next) }, (_, k) => next + k);
            next += batch.length;
            const ms = await invoke(batch);
            for (const _ of batch) latencies.push(ms);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      return {
        perSecond: n / ((performance.now() - started) / 1000),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    };
    const run = async (n: number, one: (i: number) => Promise<number>) => {
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < n) {
            const i = next;
            next += 10;
            const batch = Array.from({ length: Math.min(10, n - i) }, (_, k) => i + k);
            const results = await Promise.all(batch.map(one));
            latencies.push(...results);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      return {
        perSecond: n / ((performance.now() - started) / 1000),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    };

    // Warm-up (connections, JIT), not counted.
    await deliver(
      Array.from({ length: 20 }, (_, i) =>
        deliveryMessageOf({ messageId: `w${i}`, body: body(-1 - i), queueName, attributes: {} }),
      ),
    );
    counts.clear();
    const measured = await runBatches(total, async (indexes) => {
      const t0 = performance.now();
      const results = await deliver(
        indexes.map((i) =>
          deliveryMessageOf({ messageId: `m${i}`, body: body(i), queueName, attributes: {} }),
        ),
      );
      const bad = results.find((r) => r.result !== "delivered");
      if (bad) throw new Error(`delivery ${bad.messageId}: ${bad.result}`);
      return performance.now() - t0;
    });
    const callsPerDelivery = Object.fromEntries(
      [...counts].sort().map(([k, v]) => [k, Math.round((v / total) * 100) / 100]),
    );
    const baseline = await run(total, async (i) => {
      const t0 = performance.now();
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(i),
      });
      await response.arrayBuffer();
      return performance.now() - t0;
    });
    sqs.destroy();
    ddb.destroy();
    return { deliveries: total, ...measured, baseline, callsPerDelivery };
  } finally {
    await ddbEmu.stop();
    await sqsEmu.stop();
    await new Promise<void>((ok) => sink.close(() => ok()));
  }
}
