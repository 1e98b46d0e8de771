import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../shared/config/load-config.js";
import { OPS_CONSOLE_ROUTE_KEYS, OPS_ROUTE_KEYS } from "../../../shared/http/ops-routes.js";
import { buildTopology } from "../../../shared/topology/topology.js";

const base = {
  sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_x"] }],
  subscriptions: [{ id: "audit", target: { type: "queue" } }],
};

describe("the ops function in the topology", () => {
  it("is not deployed without ops.auth, and runs locally all the same", () => {
    const config = parseConfig(base);
    const aws = buildTopology(config, { prefix: "p" });
    expect(aws.functions.map((f) => f.key)).toEqual(["ingest", "router"]);
    expect(aws.queues.map((q) => q.key)).toEqual(["sub-audit"]);
    expect(aws.functions.flatMap((f) => f.routes).filter((r) => r.auth === "ops")).toEqual([]);
    const local = buildTopology(config, { prefix: "p", runtime: "local" });
    expect(local.functions.map((f) => f.key)).toEqual(["ingest", "router", "ops"]);
    expect(local.opsAuth).toBeUndefined();
  });

  it("with ops.auth: every ops API route behind the ops authorizer, the console's files open", () => {
    const config = parseConfig({ ...base, ops: { auth: { type: "iam" } } });
    const topology = buildTopology(config, { prefix: "p" });
    expect(topology.opsAuth).toEqual({ type: "iam" });
    const ops = topology.functions.find((f) => f.key === "ops");
    expect(ops).toMatchObject({
      name: "p-ops",
      entry: "functions/ops/handler.ts",
      timeoutSeconds: 30,
      memoryMb: 512,
    });
    expect(ops?.routes).toEqual([
      ...OPS_ROUTE_KEYS.map((key) => ({ key, auth: "ops" })),
      { key: "ANY /ops/api/{proxy+}", auth: "ops" },
      ...OPS_CONSOLE_ROUTE_KEYS.map((key) => ({ key, auth: "none" })),
    ]);
  });

  it("consumes its own jobs queue (with a DLQ), one message per invocation", () => {
    const topology = buildTopology(parseConfig(base), { prefix: "p", runtime: "local" });
    const jobs = topology.queues.find((q) => q.role === "ops-jobs");
    expect(jobs).toMatchObject({
      key: "ops-jobs",
      name: "p-ops-jobs",
      visibilityTimeoutSeconds: 180,
      dlq: { name: "p-ops-jobs-dlq", maxReceiveCount: 5 },
    });
    expect(jobs?.subscriptionId).toBeUndefined();
    expect(topology.functions.find((f) => f.key === "ops")?.sqsTriggers).toEqual([
      { queue: "ops-jobs", batchSize: 1, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true },
    ]);
  });
});
