import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalPlatform } from "../local/runtime.js";
import { signedTestWebhook } from "../local/test-webhook.js";

export interface LoadResult {
  readonly name: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statuses: Record<number, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function load(
  name: string,
  requests: number,
  concurrency: number,
  make: (i: number) => { url: string; headers: Record<string, string>; body: string },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const request = make(next++);
        const t0 = performance.now();
        const response = await fetch(request.url, {
          method: "POST",
          headers: request.headers,
          body: request.body,
        });
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests,
    concurrency,
    perSecond: requests / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    statuses,
  };
}

/**
 * Ingest through the local runtime: HTTP → API Gateway v2 event → the ingest bundle in its sandbox →
 * DynamoDB Local conditional write → fauxqs SendMessage → 202. The 404 row is the same path without
 * verification, DynamoDB or SQS: the local runtime's own overhead, measured in the same run.
 */
export async function benchIngest(options: { requests?: number; concurrency?: number } = {}) {
  const requests = options.requests ?? 2_000;
  const concurrency = options.concurrency ?? 16;
  const dir = mkdtempSync(join(tmpdir(), "webhooks-bench-"));
  const configPath = join(dir, "config.json");
  const source = { id: "stripe", provider: "stripe" as const, secrets: ["whsec_bench"] };
  writeFileSync(
    configPath,
    JSON.stringify({ sources: [source], subscriptions: [{ id: "audit", target: { type: "queue" } }] }),
  );
  const platform = await startLocalPlatform({ configPath, port: 0, prefix: "bench", logLevel: "SILENT" });
  try {
    const url = `${platform.ingestUrl}stripe`;
    const warm = signedTestWebhook(source);
    for (let i = 0; i < 50; i++) await fetch(url, { method: "POST", headers: warm.headers, body: warm.body });

    const baseline = await load("unknown source → 404 (runtime overhead)", requests, concurrency, () => ({
      url: `${platform.ingestUrl}nope`,
      headers: { "content-type": "application/json" },
      body: "{}",
    }));
    const fresh = await load(
      "new event → 202 (verify + claim + enqueue + mark)",
      requests,
      concurrency,
      () => ({
        url,
        ...signedTestWebhook(source),
      }),
    );
    const duplicate = await load("duplicate → 202 (verify + claim refused)", requests, concurrency, () => ({
      url,
      ...warm,
    }));
    return {
      results: [baseline, fresh, duplicate],
      bundles: platform.bundles.map((b) => ({
        key: b.key,
        bytes: b.bytes,
        initMs: platform.initMs[b.key] ?? 0,
      })),
    };
  } finally {
    await platform.stop();
  }
}
