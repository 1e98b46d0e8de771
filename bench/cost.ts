import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_CLIENT_CONFIG } from "../local/emulator-clients.js";
import { type Emulator, freePort, startDynamoDbEmulator, startSqsEmulator } from "../local/emulators.js";
import { type LocalPlatform, startLocalPlatform } from "../local/runtime.js";
import { DEFAULT_BATCHING } from "../shared/config/schema.js";
import type { FunctionKey } from "../shared/topology/topology.js";
import { modelledMs } from "./cost-model.js";
import { type HttpClient, httpClient } from "./http.js";
import { addUsage, functionCalls, NO_USAGE, type Usage, UsageMeter, usageBetween } from "./usage-meter.js";
import { stripeLikeWebhook } from "./webhook.js";

/**
 * `npm run cost`: what a million 1 KiB webhooks cost, counted by the platform itself. The local platform
 * runs with a meter in every sandbox (`local/sandbox-meter.ts`: DynamoDB units as DynamoDB Local reports
 * them, SQS requests in 64 KB chunks, S3 requests, log bytes, invocation durations) and at its edges
 * (front-door requests, the SQS mapping's non-empty receives and deletes); the counts are multiplied by
 * `bench/prices.ts`.
 */

export type SubscriptionKind = "http" | "queue";
export type Ingress = "function-url" | "http-api";
export type Regime = "ten-at-a-time" | "one-by-one" | "steady-5-per-s";
export type Windows = "default" | "zero";

export const REGIME_TEXT: Record<Regime, string> = {
  "ten-at-a-time": "high: 10 at a time",
  "one-by-one": "low: one by one",
  "steady-5-per-s": "low: 5/s, one at a time",
};

export interface Scenario {
  readonly subscription: SubscriptionKind;
  readonly ingress: Ingress;
  readonly regime: Regime;
  readonly windows: Windows;
  readonly webhooks: number;
  readonly usage: Usage;
  /** Milliseconds from the sender's 202 to the receiver's 200 (or the consumer's receive), sorted. */
  readonly latenciesMs: readonly number[];
  /** A queue subscription's consumer: its non-empty receives and deletes (the subscriber's own bill). */
  readonly consumerRequests: number;
}

/** Where webhooks end up: an HTTP receiver, or a consumer reading the subscription's queue. */
class Arrivals {
  private readonly at = new Map<string, number>();
  private waiters: { ids: readonly string[]; resolve: () => void }[] = [];

  arrived(id: string): void {
    if (!this.at.has(id)) this.at.set(id, performance.now());
    this.waiters = this.waiters.filter((w) => {
      if (!w.ids.every((i) => this.at.has(i))) return true;
      w.resolve();
      return false;
    });
  }

  time(id: string): number | undefined {
    return this.at.get(id);
  }

  async all(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
    if (ids.every((i) => this.at.has(i))) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = ids.filter((i) => !this.at.has(i));
        reject(new Error(`${missing.length} webhook(s) not delivered within ${timeoutMs} ms: ${missing[0]}`));
      }, timeoutMs);
      this.waiters.push({
        ids,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

async function startReceiver(arrivals: Arrivals): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const id = request.headers["webhook-id"];
      if (typeof id === "string") arrivals.arrived(id);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hook`, server };
}

/** An internal consumer of the queue subscription: long-polls, notes each event, deletes the batch. */
function startConsumer(sqs: SQSClient, queueUrl: string, arrivals: Arrivals) {
  const abort = new AbortController();
  let requests = 0;
  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          { abortSignal: abort.signal },
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) continue;
        requests += 1;
        for (const m of messages) arrivals.arrived((JSON.parse(m.Body ?? "{}") as { id: string }).id);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
        requests += 1;
      } catch {
        if (!abort.signal.aborted) await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const loops = [loop(), loop()];
  return {
    requests: () => requests,
    stop: async () => {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

const SECRET = "whsec_cost_bench_0123456789";
const RECEIVER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SOURCE: Record<SubscriptionKind, string> = { http: "to-http", queue: "to-queue" };

interface Bed {
  readonly platform: LocalPlatform;
  readonly meter: UsageMeter;
  readonly client: HttpClient;
  readonly arrivals: Record<SubscriptionKind, Arrivals>;
  readonly consumer: ReturnType<typeof startConsumer>;
  readonly windows: Windows;
}

function urlFor(bed: Bed, ingress: Ingress, subscription: SubscriptionKind): string {
  const base = ingress === "http-api" ? bed.platform.ingestUrl : bed.platform.functionIngestUrl;
  if (!base) throw new Error("the cost platform runs both ingress options");
  return `${base}${SOURCE[subscription]}`;
}

/** Sends one signed webhook; resolves with its event id and when the 202 came. */
async function send(bed: Bed, ingress: Ingress, subscription: SubscriptionKind) {
  const webhook = stripeLikeWebhook(SECRET);
  const response = await bed.client.post(urlFor(bed, ingress, subscription), webhook.headers, webhook.body);
  const acceptedAt = performance.now();
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${response.body}`);
  return { id: (JSON.parse(response.body) as { id: string }).id, acceptedAt };
}

/** Runs a regime; each wave's usage is attributed to the ingress it went through. */
async function runRegime(
  bed: Bed,
  subscription: SubscriptionKind,
  regime: Regime,
  webhooks: number,
): Promise<Scenario[]> {
  const arrivals = bed.arrivals[subscription];
  const byIngress: Record<
    Ingress,
    { usage: Usage; webhooks: number; latencies: number[]; consumer: number }
  > = {
    "function-url": { usage: NO_USAGE, webhooks: 0, latencies: [], consumer: 0 },
    "http-api": { usage: NO_USAGE, webhooks: 0, latencies: [], consumer: 0 },
  };
  const record = async (
    ingress: Ingress,
    sent: { id: string; acceptedAt: number }[],
    before: Usage,
    consumerBefore: number,
  ) => {
    await arrivals.all(sent.map((s) => s.id));
    await bed.meter.quiet();
    const into = byIngress[ingress];
    into.usage = addUsage(into.usage, usageBetween(before, bed.meter.snapshot()));
    into.webhooks += sent.length;
    into.consumer += bed.consumer.requests() - consumerBefore;
    for (const s of sent) into.latencies.push((arrivals.time(s.id) ?? Number.NaN) - s.acceptedAt);
  };

  if (regime === "steady-5-per-s") {
    // A steady trickle through the Function URL: one every 200 ms, each sent once the previous was answered.
    const before = bed.meter.snapshot();
    const consumerBefore = bed.consumer.requests();
    const start = performance.now();
    const sent: { id: string; acceptedAt: number }[] = [];
    for (let i = 0; i < webhooks; i++) {
      const due = start + i * 200 - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      sent.push(await send(bed, "function-url", subscription));
    }
    await record("function-url", sent, before, consumerBefore);
  } else {
    const size = regime === "ten-at-a-time" ? 10 : 1;
    for (let wave = 0; wave * size < webhooks; wave++) {
      const ingress: Ingress = wave % 2 === 0 ? "function-url" : "http-api";
      const before = bed.meter.snapshot();
      const consumerBefore = bed.consumer.requests();
      const sent = await Promise.all(Array.from({ length: size }, () => send(bed, ingress, subscription)));
      await record(ingress, sent, before, consumerBefore);
    }
  }
  return (Object.entries(byIngress) as [Ingress, (typeof byIngress)[Ingress]][])
    .filter(([, r]) => r.webhooks > 0)
    .map(([ingress, r]) => ({
      subscription,
      ingress,
      regime,
      windows: bed.windows,
      webhooks: r.webhooks,
      usage: r.usage,
      latenciesMs: [...r.latencies].sort((a, b) => a - b),
      consumerRequests: r.consumer,
    }));
}

async function withBed<T>(
  endpoints: { sqs: string; dynamodb: string },
  windows: Windows,
  run: (bed: Bed) => Promise<T>,
): Promise<T> {
  const arrivals = { http: new Arrivals(), queue: new Arrivals() };
  const receiver = await startReceiver(arrivals.http);
  const dir = mkdtempSync(join(tmpdir(), "webhooks-cost-"));
  const configPath = join(dir, "config.json");
  const sources = Object.values(SOURCE).map((id) => ({ id, provider: "stripe", secrets: [SECRET] }));
  writeFileSync(
    configPath,
    JSON.stringify({
      sources,
      subscriptions: [
        {
          id: "receiver",
          sources: [SOURCE.http],
          target: { type: "http", url: receiver.url, secret: RECEIVER_SECRET },
        },
        { id: "consumer", sources: [SOURCE.queue], target: { type: "queue" } },
      ],
      ingress: "both",
      ...(windows === "zero" ? { batching: { routerWindowSeconds: 0, deliveryWindowSeconds: 0 } } : {}),
    }),
  );
  const meter = new UsageMeter(modelledMs);
  const platform = await startLocalPlatform({
    configPath,
    port: 0,
    prefix: `cost-${windows}`,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    // As deployed: INFO, and the embedded-metric lines Powertools publishes (the local stack turns them
    // off; here they are written, counted and dropped like every other line).
    logLevel: "INFO",
    functionEnv: { POWERTOOLS_METRICS_DISABLED: "false" },
    functionOutput: "discard",
    meter,
  });
  const sqs = new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoints.sqs });
  const queueUrl = platform.queues.consumer?.url;
  if (!queueUrl) throw new Error("no consumer queue");
  const consumer = startConsumer(sqs, queueUrl, arrivals.queue);
  const client = httpClient(32);
  try {
    // Warm every sandbox (cold starts are not what a million webhooks cost).
    const bed = { platform, meter, client, arrivals, consumer, windows };
    for (const subscription of ["http", "queue"] as const)
      for (const ingress of ["function-url", "http-api"] as const) {
        const { id } = await send(bed, ingress, subscription);
        await arrivals[subscription].all([id]);
      }
    await meter.quiet();
    return await run(bed);
  } finally {
    client.close();
    await consumer.stop();
    sqs.destroy();
    await platform.stop();
    await new Promise<void>((ok) => receiver.server.close(() => ok()));
  }
}

export interface CostBench {
  readonly scenarios: readonly Scenario[];
  readonly memoryMb: Readonly<Partial<Record<FunctionKey, number>>>;
}

export async function benchCost(
  options: { tenAtATime?: number; oneByOne?: number; steady?: number } = {},
): Promise<CostBench> {
  const tenAtATime = options.tenAtATime ?? 40;
  const oneByOne = options.oneByOne ?? 4;
  const steady = options.steady ?? 15;
  const emulators: Emulator[] = [];
  try {
    const sqs = await startSqsEmulator(0);
    emulators.push(sqs);
    const dynamodb = await startDynamoDbEmulator(await freePort());
    emulators.push(dynamodb);
    const endpoints = { sqs: sqs.endpoint, dynamodb: dynamodb.endpoint };
    const scenarios: Scenario[] = [];
    let memoryMb: Partial<Record<FunctionKey, number>> = {};
    await withBed(endpoints, "default", async (bed) => {
      memoryMb = Object.fromEntries(bed.platform.topology.functions.map((f) => [f.key, f.memoryMb]));
      for (const subscription of ["http", "queue"] as const) {
        scenarios.push(...(await runRegime(bed, subscription, "ten-at-a-time", tenAtATime)));
        scenarios.push(...(await runRegime(bed, subscription, "one-by-one", oneByOne)));
        scenarios.push(...(await runRegime(bed, subscription, "steady-5-per-s", steady)));
      }
    });
    await withBed(endpoints, "zero", async (bed) => {
      for (const subscription of ["http", "queue"] as const) {
        scenarios.push(...(await runRegime(bed, subscription, "one-by-one", oneByOne)));
        scenarios.push(...(await runRegime(bed, subscription, "steady-5-per-s", steady)));
      }
    });
    return { scenarios, memoryMb };
  } finally {
    for (const emulator of emulators.reverse()) await emulator.stop().catch(() => undefined);
  }
}

export const DEFAULT_WINDOWS_TEXT = `router ${DEFAULT_BATCHING.routerWindowSeconds} s, delivery ${DEFAULT_BATCHING.deliveryWindowSeconds} s`;

/** Non-poll AWS calls per webhook: every SDK call of ingest, router and deliver. */
export const callsPerWebhook = (scenario: Scenario) => functionCalls(scenario.usage) / scenario.webhooks;
