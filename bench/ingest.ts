import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LOCAL_CLIENT_CONFIG } from "../local/emulator-clients.js";
import { freePort, LOCAL_AWS_ENV, startDynamoDbEmulator, startSqsEmulator } from "../local/emulators.js";
import { createTable } from "../local/provision.js";
import { startLocalPlatform } from "../local/runtime.js";
import { packBlob, toItem } from "../shared/adapters/event-item.js";
import { keptHeaders } from "../shared/domain/kept-headers.js";
import { BENCH_ITEM_ENV, encodeBenchItem } from "./bench-item.js";
import {
  dynamoDbLocalPid,
  osThreadName,
  ownCpuMs,
  processCpuMs,
  type ThreadCpu,
  threadCpuMs,
} from "./cpu.js";
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
  /** CPU milliseconds per request (see `CpuPerRequest`). */
  readonly cpuMsPerRequest: CpuPerRequest;
  readonly latencies: readonly number[];
}

/**
 * CPU milliseconds per request: this node process (`node`, every thread), and of it the thread that
 * serves the side (`server`: the bare server's thread, or the ingest function's sandbox) and the main
 * thread (`main`: the load generator and the SQS emulator; for the two local-runtime sides also the
 * front door and the function host); the rest of `node` is V8's helper threads (GC, compiler) and idle sandboxes. Then
 * the DynamoDB Local JVM (`dynamodb`). Per-thread figures are Linux's (10 ms ticks), 0 elsewhere.
 */
export interface CpuPerRequest {
  readonly node: number;
  readonly server: number;
  readonly main: number;
  readonly dynamodb: number;
}

/** CPU milliseconds each named thread used between two `threadCpuMs` readings; `main` is the main thread. */
function threadsBetween(before: Map<number, ThreadCpu>, after: Map<number, ThreadCpu>, server?: string) {
  const name = server === undefined ? undefined : osThreadName(server);
  let serverMs = 0;
  let mainMs = 0;
  for (const [tid, thread] of after) {
    const used = thread.ms - (before.get(tid)?.ms ?? 0);
    if (tid === process.pid) mainMs += used;
    else if (thread.name === name) serverMs += used;
  }
  return { server: serverMs, main: mainMs };
}

const CPU_KEYS = ["node", "server", "main", "dynamodb"] as const;

async function load(
  client: HttpClient,
  javaPid: number | undefined,
  name: string,
  requests: number,
  concurrency: number,
  make: () => { url: string; headers: Record<string, string>; body: string },
  /** The name of the thread that serves the requests (its CPU is `cpuMsPerRequest.server`). */
  serverThread?: string,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  // Requests are prepared before the clock starts: signing is the sender's work, not the server's.
  const prepared = Array.from({ length: requests }, make);
  let next = 0;
  const cpuBefore = { node: ownCpuMs(), dynamodb: processCpuMs(javaPid), threads: threadCpuMs() };
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
  const threads = threadsBetween(cpuBefore.threads, threadCpuMs(), serverThread);
  const cpuMsPerRequest: CpuPerRequest = {
    node: (ownCpuMs() - cpuBefore.node) / requests,
    server: threads.server / requests,
    main: threads.main / requests,
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

/** The item ingest writes for a webhook of this bench; the baselines key it afresh for each request. */
function benchItem(): Record<string, AttributeValue> {
  const sample = stripeLikeWebhook(SECRET);
  const body = Buffer.from(sample.body);
  const nowMs = Date.now();
  return toItem(
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
}

const BARE_SERVER_THREAD = "bare-server";

/** The bare server in a thread of its own (see `bare-server.mjs`); resolves with its URL and a stop. */
async function startBareServer(endpoint: string, tableName: string, item: Record<string, AttributeValue>) {
  const worker = new Worker(fileURLToPath(new URL("./bare-server.mjs", import.meta.url)), {
    name: BARE_SERVER_THREAD,
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

/** The three sides, in the order `printIngest` names them. */
export const SIDES = ["bare", "null", "ingest"] as const;
export type Side = (typeof SIDES)[number];

/** Throughput and p99 of one side over another: `throughput` a / b, `p99` a / b. */
export interface Ratio {
  readonly throughput: number;
  readonly p99: number;
}

export interface IngestBench {
  /** In the order they ran: the three sides interleaved, then duplicates. */
  readonly results: readonly LoadResult[];
  /**
   * New events, throughput over all runs and p99 over all latencies pooled: `ingestOverBare` (the
   * issue's target), `nullOverBare` (what the local runtime's plumbing costs), `ingestOverNull` (what
   * ingest's own code costs: verify, parse, compress, framework, logs, metrics).
   */
  readonly ratios: Readonly<Record<"ingestOverBare" | "nullOverBare" | "ingestOverNull", Ratio>>;
  /** The pooled figures the ratios come from, with CPU per request averaged over the runs. */
  readonly pooled: Readonly<
    Record<
      Side,
      {
        perSecond: number;
        p99Ms: number;
        p50Ms: number;
        cpuMsPerRequest: CpuPerRequest;
      }
    >
  >;
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

/**
 * The platform as ingest runs in it: as deployed (INFO, metrics on), output dropped, the stream unread.
 * With `nullIngest`, the ingest function's bundle is the null ingest (`bare-handler.ts`) instead, writing
 * that item: same front door, sandbox, IAM guard and table, none of ingest's own code.
 */
async function startIngestPlatform(
  endpoints: { sqs: string; dynamodb: string },
  prefix: string,
  options: { meter?: UsageMeter; nullIngest?: { item: Record<string, AttributeValue> } } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "webhooks-bench-"));
  const configPath = join(dir, "config.json");
  const source = { id: "stripe", provider: "stripe" as const, secrets: [SECRET] };
  writeFileSync(
    configPath,
    JSON.stringify({
      sources: [source],
      subscriptions: [
        { id: "audit", target: { type: "queue" } },
        // Matches no event: it only makes the stack build the deliver function, so section 3 lists every bundle.
        {
          id: "bundle-only",
          eventTypes: ["never.sent"],
          target: {
            type: "http",
            url: "https://example.com/hook",
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          },
        },
      ],
    }),
  );
  const nullIngest = options.nullIngest;
  return startLocalPlatform({
    configPath,
    port: 0,
    prefix,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    logLevel: "INFO",
    functionEnv: { POWERTOOLS_METRICS_DISABLED: "false" },
    functionOutput: "discard",
    ...(options.meter ? { meter: options.meter } : {}),
    // Only ingest runs: nothing reads the event table's stream during the measurement.
    alterTopology: (topology) => ({
      ...topology,
      functions: topology.functions.map((f) => {
        if (f.key === "router") return { ...f, streamTriggers: [] };
        if (f.key === "ingest" && nullIngest) {
          return {
            ...f,
            entry: NULL_INGEST_ENTRY,
            environment: { ...f.environment, [BENCH_ITEM_ENV]: encodeBenchItem(nullIngest.item) },
          };
        }
        return f;
      }),
    }),
  });
}

const NULL_INGEST_ENTRY = "bench/bare-handler.ts";

const SIDE_LABELS: Record<Side, string> = {
  bare: "bare server (PutItem in a plain thread)",
  null: "null lambda (PutItem in the local runtime)",
  ingest: "ingest (the ingest bundle in the local runtime)",
};

/** Runs of each side, interleaved so a drift of the machine's speed favours none (each side's mean position is the same). */
const ORDER: readonly Side[] = [
  "bare",
  "null",
  "ingest",
  "ingest",
  "null",
  "bare",
  "null",
  "ingest",
  "bare",
  "bare",
  "ingest",
  "null",
];

/**
 * Three sides, same load generator, same 1 KiB signed webhooks, same request count and concurrency, runs
 * interleaved (`ORDER`):
 *
 * - **bare**: a bare node HTTP server in a thread of its own making one conditional PutItem of a
 *   ready-made item of ingest's size on the same DynamoDB Local, into a twin of the event table (stream,
 *   TTL) — the baseline;
 * - **null**: the same PutItem of the same item made by a minimal Lambda handler (`bare-handler.ts`)
 *   in the local runtime (HTTP → API Gateway v2 event → sandbox thread → IAM guard → PutItem → result
 *   back → response), in its platform's own event table;
 * - **ingest**: the ingest bundle in the local runtime as deployed (verify, parse, compress, middy,
 *   Powertools logs at INFO and metrics).
 *
 * null/bare is what the local runtime's plumbing costs (AWS has its own, different plumbing);
 * ingest/null what ingest's own code costs. Nothing reads either stream during the runs: the router's
 * mapping is off. The timed platforms carry no meter (the meter asks DynamoDB for consumed capacity,
 * which costs DynamoDB Local time); a third, metered platform counts ingest's calls afterwards.
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
    const item = benchItem();
    const platform = await startIngestPlatform(endpoints, "bench");
    const stopPlatform = stopFirst(() => platform.stop());
    const nullPlatform = await startIngestPlatform(endpoints, "bench-null", { nullIngest: { item } });
    const stopNullPlatform = stopFirst(() => nullPlatform.stop());
    // The bare server's table is the event table's twin: same keys, stream (new images) and TTL.
    const ddb = new DynamoDBClient({
      ...LOCAL_CLIENT_CONFIG,
      endpoint: dynamodb.endpoint,
    });
    await createTable(ddb, { ...platform.topology.tables.events, name: "bench-bare-events" });
    ddb.destroy();
    const bare = await startBareServer(dynamodb.endpoint, "bench-bare-events", item);
    const stopBare = stopFirst(() => bare.stop());

    const javaPid = dynamoDbLocalPid(dynamodb.endpoint);
    const url = `${platform.ingestUrl}stripe`;
    const duplicate = stripeLikeWebhook(SECRET);
    const urls: Record<Side, { new: string; duplicate: string }> = {
      bare: { new: `${bare.url}/new`, duplicate: `${bare.url}/duplicate` },
      null: { new: `${nullPlatform.ingestUrl}new`, duplicate: `${nullPlatform.ingestUrl}duplicate` },
      ingest: { new: url, duplicate: url },
    };
    const names: Record<Side, string> = {
      bare: "bare server: PutItem → 202",
      null: "null lambda: PutItem → 202",
      ingest: "ingest: verify + PutItem → 202",
    };
    // The thread serving each side: the bare server's, and each platform's ingest sandbox (its function's name).
    const ingestFunctionName = (p: typeof platform) =>
      p.topology.functions.find((f) => f.key === "ingest")?.name ?? "ingest";
    const threads: Record<Side, string> = {
      bare: BARE_SERVER_THREAD,
      null: ingestFunctionName(nullPlatform),
      ingest: ingestFunctionName(platform),
    };
    const make = (side: Side) => () => ({ url: urls[side].new, ...stripeLikeWebhook(SECRET) });
    // Warm each (JIT here and in DynamoDB Local's JVM, connections, the sandboxes); store the duplicate once each.
    for (const side of SIDES) {
      await load(client, javaPid, "warm", warm, concurrency, make(side));
      await client.post(urls[side].duplicate, duplicate.headers, duplicate.body);
    }

    const results: LoadResult[] = [];
    const pooled = Object.fromEntries(
      SIDES.map((side) => [
        side,
        { seconds: 0, latencies: [] as number[], cpu: { node: 0, server: 0, main: 0, dynamodb: 0 }, runs: 0 },
      ]),
    ) as Record<
      Side,
      {
        seconds: number;
        latencies: number[];
        cpu: { -readonly [K in keyof CpuPerRequest]: number };
        runs: number;
      }
    >;
    for (const side of ORDER) {
      const into = pooled[side];
      into.runs += 1;
      const result = await load(
        client,
        javaPid,
        `${names[side]} (run ${into.runs})`,
        requests,
        concurrency,
        make(side),
        threads[side],
      );
      into.seconds += requests / result.perSecond;
      into.latencies.push(...result.latencies);
      for (const key of CPU_KEYS) into.cpu[key] += result.cpuMsPerRequest[key];
      results.push(result);
    }
    const duplicateNames: Record<Side, string> = {
      bare: "bare server: duplicate, PutItem refused → 202",
      null: "null lambda: duplicate, PutItem refused → 202",
      ingest: "ingest: duplicate, verify + PutItem refused → 202",
    };
    for (const side of SIDES) {
      results.push(
        await load(
          client,
          javaPid,
          duplicateNames[side],
          requests,
          concurrency,
          () => ({ url: urls[side].duplicate, ...duplicate }),
          threads[side],
        ),
      );
    }
    const summary = (side: Side) => {
      const { seconds, latencies, cpu, runs } = pooled[side];
      const sorted = latencies.sort((a, b) => a - b);
      return {
        perSecond: (runs * requests) / seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        cpuMsPerRequest: {
          node: cpu.node / runs,
          server: cpu.server / runs,
          main: cpu.main / runs,
          dynamodb: cpu.dynamodb / runs,
        },
      };
    };
    const summaries = { bare: summary("bare"), null: summary("null"), ingest: summary("ingest") };
    const ratio = (a: Side, b: Side): Ratio => ({
      throughput: summaries[a].perSecond / summaries[b].perSecond,
      p99: summaries[a].p99Ms / summaries[b].p99Ms,
    });
    const bundles = platform.bundles.map((b) => ({
      key: b.key,
      bytes: b.bytes,
      initMs: platform.initMs[b.key] ?? 0,
    }));
    await stopBare();
    await stopNullPlatform();
    await stopPlatform();

    // The count: a metered platform, `counted` new webhooks, then as many duplicates of one of them.
    const meter = new UsageMeter(() => 0);
    const metered = await startIngestPlatform(endpoints, "bench-metered", { meter });
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
        ingestOverBare: ratio("ingest", "bare"),
        nullOverBare: ratio("null", "bare"),
        ingestOverNull: ratio("ingest", "null"),
      },
      pooled: summaries,
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

const CPU_HEADERS = [
  "CPU ms/req node",
  "of it server thread",
  "of it main thread",
  "CPU ms/req DynamoDB Local",
] as const;
const cpuCells = (cpu: CpuPerRequest) => [
  fmt(cpu.node, 2),
  fmt(cpu.server, 2),
  fmt(cpu.main, 2),
  fmt(cpu.dynamodb, 2),
];

export function printIngest(bench: IngestBench): void {
  printTable(
    ["case", "requests", "concurrency", "req/s", "p50 ms", "p99 ms", ...CPU_HEADERS, "statuses"],
    bench.results.map((r) => [
      r.name,
      String(r.requests),
      String(r.concurrency),
      fmt(r.perSecond),
      fmt(r.p50Ms, 1),
      fmt(r.p99Ms, 1),
      ...cpuCells(r.cpuMsPerRequest),
      Object.entries(r.statuses)
        .map(([status, n]) => `${status}×${n}`)
        .join(" "),
    ]),
  );
  const pooled = bench.pooled;
  console.log(
    "\nNew webhooks, all runs of a side pooled (CPU: mean of its runs; server thread: the bare server's or the " +
      "ingest sandbox's; main thread: the load generator and the SQS emulator, and for the local runtime the front door and function host):",
  );
  printTable(
    ["side", "req/s", "p50 ms", "p99 ms", ...CPU_HEADERS],
    SIDES.map((side) => [
      SIDE_LABELS[side],
      fmt(pooled[side].perSecond),
      fmt(pooled[side].p50Ms, 1),
      fmt(pooled[side].p99Ms, 1),
      ...cpuCells(pooled[side].cpuMsPerRequest),
    ]),
  );
  const { ingestOverBare, nullOverBare, ingestOverNull } = bench.ratios;
  const ratioLine = (label: string, r: Ratio) =>
    `  ${label}: throughput ${fmt(r.throughput, 2)}×, p99 ${fmt(r.p99, 2)}×`;
  console.log(
    `\n${ratioLine("ingest / bare server      (the issue's target)", ingestOverBare)}` +
      ` — target throughput ≥ 0.90: ${verdict(ingestOverBare.throughput >= 0.9)}, ` +
      `p99 ≤ 1.25: ${verdict(ingestOverBare.p99 <= 1.25)}`,
  );
  console.log(`${ratioLine("null lambda / bare server (the local runtime's plumbing)", nullOverBare)}`);
  console.log(
    `${ratioLine("ingest / null lambda      (ingest's own code: verify, parse, compress, framework, logs, metrics)", ingestOverNull)}`,
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
