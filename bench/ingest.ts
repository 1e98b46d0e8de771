import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { freePort, LOCAL_AWS_ENV, startDynamoDbEmulator, startSqsEmulator } from "../local/emulators.js";
import { createTable } from "../local/provision.js";
import { startLocalPlatform } from "../local/runtime.js";
import { packBlob, toItem } from "../shared/adapters/event-item.js";
import { keptHeaders } from "../shared/domain/kept-headers.js";
import { dynamoDbLocalPid, ownCpuMs, processCpuMs } from "./cpu.js";
import { type HttpClient, httpClient, percentile } from "./http.js";
import { fmt, printTable } from "./table.js";
import { functionCalls, type Usage, UsageMeter, usageBetween } from "./usage-meter.js";
import { stripeLikeWebhook } from "./webhook.js";

export interface LoadResult {
  readonly name: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statuses: Record<number, number>;
  /** CPU milliseconds per request: this node process (every thread) and the DynamoDB Local JVM. */
  readonly cpuMsPerRequest: { readonly node: number; readonly dynamodb: number };
  readonly latencies: readonly number[];
}

async function load(
  client: HttpClient,
  javaPid: number | undefined,
  name: string,
  requests: number,
  concurrency: number,
  make: () => { url: string; headers: Record<string, string>; body: string },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  // Requests are prepared before the clock starts: signing is the sender's work, not the server's.
  const prepared = Array.from({ length: requests }, make);
  let next = 0;
  const cpuBefore = { node: ownCpuMs(), dynamodb: processCpuMs(javaPid) };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let request = prepared[next++]; request; request = prepared[next++]) {
        const t0 = performance.now();
        const response = await client.post(request.url, request.headers, request.body);
        latencies.push(performance.now() - t0);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuMsPerRequest = {
    node: (ownCpuMs() - cpuBefore.node) / requests,
    dynamodb: (processCpuMs(javaPid) - cpuBefore.dynamodb) / requests,
  };
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests,
    concurrency,
    perSecond: requests / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses,
    cpuMsPerRequest,
    latencies,
  };
}

const SECRET = "whsec_ingest_bench_0123456789";

/** The baseline in a thread of its own (see `bare-server.mjs`); resolves with its URL and a stop. */
async function startBareServer(endpoint: string, tableName: string) {
  // The item ingest writes for a webhook of this bench, keyed afresh for each request by the server.
  const sample = stripeLikeWebhook(SECRET);
  const body = Buffer.from(sample.body);
  const nowMs = Date.now();
  const item = toItem(
    {
      id: "evt_0123456789abcdefghijkl",
      sourceId: "stripe",
      provider: "stripe",
      type: "invoice.paid",
      deliveryId: sample.id,
      receivedAt: nowMs,
      contentType: sample.headers["content-type"] as string,
      headers: keptHeaders(sample.headers),
      body,
      expiresAt: Math.floor(nowMs / 1000) + 7 * 86_400,
    },
    packBlob(keptHeaders(sample.headers), body),
  );
  const worker = new Worker(fileURLToPath(new URL("./bare-server.mjs", import.meta.url)), {
    workerData: {
      endpoint,
      tableName,
      item,
      region: LOCAL_AWS_ENV.AWS_REGION,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (message: { port: number }) => resolve(message.port));
    worker.once("error", reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      worker.postMessage("stop");
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

export interface IngestBench {
  /** In the order they ran: baseline and ingest interleaved, then duplicates. */
  readonly results: readonly LoadResult[];
  /** Ingest over the bare server, new events: throughput (all runs), p99 (all latencies pooled). */
  readonly ratios: { readonly throughput: number; readonly p99: number };
  /** The pooled figures the ratios come from. */
  readonly pooled: Readonly<Record<"bare" | "ingest", { perSecond: number; p99Ms: number; p50Ms: number }>>;
  /** AWS calls ingest made per new webhook and per duplicate, by operation (the meter's count). */
  readonly callsPerNew: Readonly<Record<string, number>>;
  readonly callsPerDuplicate: Readonly<Record<string, number>>;
  readonly writeUnitsPerNew: number;
  readonly writeUnitsPerDuplicate: number;
  readonly counted: number;
  readonly bundles: readonly { key: string; bytes: number; initMs: number }[];
}

const perRequest = (usage: Usage, requests: number) => {
  const ingest = usage.functions.ingest;
  const calls: Record<string, number> = {};
  for (const [op, n] of Object.entries(ingest?.calls ?? {})) calls[op] = n / requests;
  calls.total = functionCalls(usage, ["ingest"]) / requests;
  return { calls, writeUnits: (ingest?.writeUnits ?? 0) / requests };
};

/** The platform as ingest runs in it: as deployed (INFO, metrics on), output dropped, the stream unread. */
async function startIngestPlatform(
  endpoints: { sqs: string; dynamodb: string },
  prefix: string,
  meter?: UsageMeter,
) {
  const dir = mkdtempSync(join(tmpdir(), "webhooks-bench-"));
  const configPath = join(dir, "config.json");
  const source = { id: "stripe", provider: "stripe" as const, secrets: [SECRET] };
  writeFileSync(
    configPath,
    JSON.stringify({ sources: [source], subscriptions: [{ id: "audit", target: { type: "queue" } }] }),
  );
  return startLocalPlatform({
    configPath,
    port: 0,
    prefix,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    logLevel: "INFO",
    functionEnv: { POWERTOOLS_METRICS_DISABLED: "false" },
    functionOutput: "discard",
    ...(meter ? { meter } : {}),
    // Only ingest runs: nothing reads the event table's stream during the measurement.
    alterTopology: (topology) => ({
      ...topology,
      functions: topology.functions.map((f) => (f.key === "router" ? { ...f, streamTriggers: [] } : f)),
    }),
  });
}

/**
 * Ingest through the local runtime (HTTP → API Gateway v2 event → the ingest bundle in its sandbox →
 * one conditional PutItem on DynamoDB Local → 202) against a bare node HTTP server making the same single
 * conditional PutItem of an item of the same size on the same DynamoDB Local: same load generator, same
 * request count and concurrency, runs interleaved A B B A B A A B so a drift favours neither side. The
 * bare server's table is the event table's twin (stream of new images, TTL), and nothing reads either
 * stream during the runs: the router's mapping is
 * off here, so only ingest runs. Ingest verifies the Stripe signature, parses the JSON, compresses the
 * item and logs at INFO (as deployed); the bare server does none of that — that work is ingest's own
 * cost. The timed platform carries no meter (the meter asks DynamoDB for consumed capacity, which costs
 * DynamoDB Local time); a second, metered platform counts the calls afterwards.
 */
export async function benchIngest(
  options: { requests?: number; concurrency?: number; warm?: number; counted?: number } = {},
): Promise<IngestBench> {
  const requests = options.requests ?? 400;
  const concurrency = options.concurrency ?? 16;
  const warm = options.warm ?? 1_000;
  const counted = options.counted ?? 50;
  const sqs = await startSqsEmulator(0);
  const dynamodb = await startDynamoDbEmulator(await freePort());
  const endpoints = { sqs: sqs.endpoint, dynamodb: dynamodb.endpoint };
  const client = httpClient(concurrency);
  const cleanups: (() => Promise<unknown>)[] = [
    () => dynamodb.stop(),
    () => sqs.stop(),
    async () => client.close(),
  ];
  const stopFirst = (cleanup: () => Promise<unknown>) => {
    cleanups.unshift(cleanup);
    return async () => {
      cleanups.splice(cleanups.indexOf(cleanup), 1);
      await cleanup();
    };
  };
  try {
    const platform = await startIngestPlatform(endpoints, "bench");
    const stopPlatform = stopFirst(() => platform.stop());
    // The bare server's table is the event table's twin: same keys, stream (new images) and TTL.
    const ddb = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: LOCAL_AWS_ENV.AWS_REGION,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    });
    await createTable(ddb, { ...platform.topology.tables.events, name: "bench-bare-events" });
    ddb.destroy();
    const bare = await startBareServer(dynamodb.endpoint, "bench-bare-events");
    const stopBare = stopFirst(() => bare.stop());

    const javaPid = dynamoDbLocalPid(dynamodb.endpoint);
    const url = `${platform.ingestUrl}stripe`;
    const duplicate = stripeLikeWebhook(SECRET);
    const sides = {
      bare: {
        name: "bare server: PutItem → 202",
        make: () => ({ url: `${bare.url}/new`, ...stripeLikeWebhook(SECRET) }),
      },
      ingest: { name: "ingest: verify + PutItem → 202", make: () => ({ url, ...stripeLikeWebhook(SECRET) }) },
    };
    // Warm both (JIT here and in DynamoDB Local's JVM, connections, the sandbox); store the duplicate once each.
    await load(client, javaPid, "warm", warm, concurrency, sides.bare.make);
    await load(client, javaPid, "warm", warm, concurrency, sides.ingest.make);
    await client.post(`${bare.url}/duplicate`, duplicate.headers, duplicate.body);
    await client.post(url, duplicate.headers, duplicate.body);

    const results: LoadResult[] = [];
    const pooled = {
      bare: { seconds: 0, latencies: [] as number[] },
      ingest: { seconds: 0, latencies: [] as number[] },
    };
    const runs = { bare: 0, ingest: 0 };
    for (const side of ["bare", "ingest", "ingest", "bare", "ingest", "bare", "bare", "ingest"] as const) {
      runs[side] += 1;
      const result = await load(
        client,
        javaPid,
        `${sides[side].name} (run ${runs[side]})`,
        requests,
        concurrency,
        sides[side].make,
      );
      pooled[side].seconds += requests / result.perSecond;
      pooled[side].latencies.push(...result.latencies);
      results.push(result);
    }
    results.push(
      await load(
        client,
        javaPid,
        "bare server: duplicate, PutItem refused → 202",
        requests,
        concurrency,
        () => ({
          url: `${bare.url}/duplicate`,
          ...duplicate,
        }),
      ),
      await load(
        client,
        javaPid,
        "ingest: duplicate, verify + PutItem refused → 202",
        requests,
        concurrency,
        () => ({
          url,
          ...duplicate,
        }),
      ),
    );
    const summary = (side: "bare" | "ingest") => {
      const sorted = pooled[side].latencies.sort((a, b) => a - b);
      return {
        perSecond: (runs[side] * requests) / pooled[side].seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
      };
    };
    const bareSummary = summary("bare");
    const ingestSummary = summary("ingest");
    const bundles = platform.bundles.map((b) => ({
      key: b.key,
      bytes: b.bytes,
      initMs: platform.initMs[b.key] ?? 0,
    }));
    await stopBare();
    await stopPlatform();

    // The count: a metered platform, `counted` new webhooks, then as many duplicates of one of them.
    const meter = new UsageMeter(() => 0);
    const metered = await startIngestPlatform(endpoints, "bench-metered", meter);
    stopFirst(() => metered.stop());
    const meteredUrl = `${metered.ingestUrl}stripe`;
    const repeated = stripeLikeWebhook(SECRET);
    await client.post(meteredUrl, repeated.headers, repeated.body);
    await meter.quiet(100);
    const beforeNew = meter.snapshot();
    await load(client, javaPid, "count new", counted, concurrency, () => ({
      url: meteredUrl,
      ...stripeLikeWebhook(SECRET),
    }));
    await meter.quiet(100);
    const beforeDuplicates = meter.snapshot();
    await load(client, javaPid, "count duplicates", counted, concurrency, () => ({
      url: meteredUrl,
      ...repeated,
    }));
    await meter.quiet(100);
    const perNew = perRequest(usageBetween(beforeNew, beforeDuplicates), counted);
    const perDuplicate = perRequest(usageBetween(beforeDuplicates, meter.snapshot()), counted);
    return {
      results,
      ratios: {
        throughput: ingestSummary.perSecond / bareSummary.perSecond,
        p99: ingestSummary.p99Ms / bareSummary.p99Ms,
      },
      pooled: { bare: bareSummary, ingest: ingestSummary },
      callsPerNew: perNew.calls,
      callsPerDuplicate: perDuplicate.calls,
      writeUnitsPerNew: perNew.writeUnits,
      writeUnitsPerDuplicate: perDuplicate.writeUnits,
      counted,
      bundles,
    };
  } finally {
    for (const cleanup of [...cleanups]) await cleanup().catch(() => undefined);
  }
}

const verdict = (ok: boolean) => (ok ? "met" : "MISSED");

export function printIngest(bench: IngestBench): void {
  printTable(
    [
      "case",
      "requests",
      "concurrency",
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU ms/req node",
      "CPU ms/req DynamoDB Local",
      "statuses",
    ],
    bench.results.map((r) => [
      r.name,
      String(r.requests),
      String(r.concurrency),
      fmt(r.perSecond),
      fmt(r.p50Ms, 1),
      fmt(r.p99Ms, 1),
      fmt(r.cpuMsPerRequest.node, 2),
      fmt(r.cpuMsPerRequest.dynamodb, 2),
      Object.entries(r.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" "),
    ]),
  );
  const { bare, ingest } = bench.pooled;
  console.log(
    `\nNew webhooks, all runs pooled: bare server ${fmt(bare.perSecond)} req/s, p99 ${fmt(bare.p99Ms, 1)} ms; ` +
      `ingest ${fmt(ingest.perSecond)} req/s, p99 ${fmt(ingest.p99Ms, 1)} ms.`,
  );
  console.log(
    `Throughput ${fmt(bench.ratios.throughput, 2)}× the bare server's (target ≥ 0.90: ${verdict(bench.ratios.throughput >= 0.9)}); ` +
      `p99 ${fmt(bench.ratios.p99, 2)}× its p99 (target ≤ 1.25: ${verdict(bench.ratios.p99 <= 1.25)}).`,
  );
  const calls = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts)
      .filter(([op]) => op !== "total")
      .map(([op, n]) => `${op} ${fmt(n, 2)}`)
      .join(", ");
  console.log(
    `AWS calls per new webhook: ${fmt(bench.callsPerNew.total ?? 0, 2)} (${calls(bench.callsPerNew)}; ` +
      `${fmt(bench.writeUnitsPerNew, 2)} write units); per duplicate: ${fmt(bench.callsPerDuplicate.total ?? 0, 2)} ` +
      `(${calls(bench.callsPerDuplicate)}, refused; ${fmt(bench.writeUnitsPerDuplicate, 2)} write units) — ` +
      `counted by the meter over ${bench.counted} of each (target 1 and 1: ` +
      `${verdict(bench.callsPerNew.total === 1 && bench.callsPerDuplicate.total === 1)}).`,
  );
}
