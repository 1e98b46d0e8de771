import type { InvocationReport } from "../local/function-host.js";
import type { FunctionKey } from "../shared/topology/topology.js";
import { PRICES } from "./prices.js";
import type { Usage } from "./usage-meter.js";

/** The cost model: metered usage × `bench/prices.ts`, per million webhooks. Pure, so it is unit-tested. */

/**
 * Lambda durations measured here are those of this machine: the emulators, the load and the functions
 * share two cores, and one sandbox serves concurrent invocations. The modelled duration of an invocation
 * is what it would take in the region instead: a fixed CPU time per invocation, plus a round trip per
 * AWS call it made, with a delivery's parallel reads as one round trip and its parallel POSTs as one
 * receiver answer.
 */
export const DURATION_MODEL = {
  cpuMs: { ingest: 3, router: 3, deliver: 3, ops: 3 } satisfies Record<FunctionKey, number>,
  roundTripMs: { DynamoDB: 5, SQS: 10, S3: 25 } as Record<string, number>,
  receiverMs: 20,
  /** Calls a delivery makes in parallel, before its POSTs: counted as one round trip. */
  parallelReads: new Set(["DynamoDB.GetItem", "DynamoDB.BatchGetItem"]),
} as const;

export function modelledMs(functionKey: FunctionKey, report: InvocationReport): number {
  let ms = DURATION_MODEL.cpuMs[functionKey];
  let readRound = 0;
  for (const step of report.steps) {
    const service = step.what.split(".")[0] ?? "";
    const trip = DURATION_MODEL.roundTripMs[service] ?? 0;
    if (functionKey === "deliver" && DURATION_MODEL.parallelReads.has(step.what))
      readRound = Math.max(readRound, trip);
    else ms += trip;
  }
  if (functionKey === "deliver") ms += readRound + DURATION_MODEL.receiverMs;
  return ms;
}

export const SERVICES = [
  "DynamoDB",
  "SQS",
  "S3",
  "Lambda requests",
  "Lambda GB-s",
  "CloudWatch Logs",
  "API Gateway",
] as const;
export type Service = (typeof SERVICES)[number];

/** Dollars per million webhooks, by service, from a run's usage. */
export function dollarsPerMillion(
  usage: Usage,
  webhooks: number,
  durations: "measured" | "modelled",
): Record<Service | "total", number> {
  const perMillion = 1e6 / webhooks;
  const fns = Object.values(usage.functions);
  const sum = (pick: (f: NonNullable<(typeof fns)[number]>) => number) =>
    fns.reduce((total, f) => total + (f ? pick(f) : 0), 0);
  const gbSeconds = sum(
    (f) => ((durations === "measured" ? f.billedMs : f.modelledMs) / 1000) * (f.memoryMb / 1024),
  );
  const mappingRequests = Object.values(usage.mapping).reduce((a, b) => a + b, 0);
  const cost: Record<Service, number> = {
    DynamoDB:
      sum((f) => f.writeUnits) * PRICES.dynamodbWriteUnit.usd +
      sum((f) => f.readUnits) * PRICES.dynamodbReadUnit.usd,
    SQS: (sum((f) => f.sqsRequests) + mappingRequests) * PRICES.sqsRequest.usd,
    S3: sum((f) => f.s3Puts) * PRICES.s3Put.usd + sum((f) => f.s3Gets) * PRICES.s3Get.usd,
    "Lambda requests": sum((f) => f.invocations) * PRICES.lambdaRequest.usd,
    "Lambda GB-s": gbSeconds * PRICES.lambdaArmGbSecond.usd,
    "CloudWatch Logs": (sum((f) => f.logBytes) / 1e9) * PRICES.logsIngestedGb.usd,
    "API Gateway":
      usage.frontDoor["http-api"].units * PRICES.httpApiRequest.usd +
      usage.frontDoor["function-url"].requests * PRICES.functionUrlRequest.usd,
  };
  const scaled = Object.fromEntries(
    Object.entries(cost).map(([service, usd]) => [service, usd * perMillion]),
  ) as Record<Service, number>;
  return { ...scaled, total: Object.values(scaled).reduce((a, b) => a + b, 0) };
}
