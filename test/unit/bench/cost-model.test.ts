import { describe, expect, it } from "vitest";
import { DURATION_MODEL, dollarsPerMillion, modelledMs } from "../../../bench/cost-model.js";
import { PRICES } from "../../../bench/prices.js";
import type { FunctionUsage, Usage } from "../../../bench/usage-meter.js";
import type { InvocationReport } from "../../../local/function-host.js";

const fn = (overrides: Partial<FunctionUsage>): FunctionUsage => ({
  memoryMb: 1024,
  invocations: 0,
  billedMs: 0,
  modelledMs: 0,
  calls: {},
  writeUnits: 0,
  readUnits: 0,
  sqsRequests: 0,
  s3Puts: 0,
  s3Gets: 0,
  logBytes: 0,
  ...overrides,
});

const usage = (overrides: Partial<Usage>): Usage => ({
  functions: {},
  frontDoor: { "http-api": { requests: 0, units: 0 }, "function-url": { requests: 0, units: 0 } },
  mapping: {},
  ...overrides,
});

const report = (steps: string[]): InvocationReport => ({
  function: "f",
  invocationId: "i-1",
  durationMs: 1,
  steps: steps.map((what, i) => ({ step: i + 1, what })),
  outcome: "result",
});

describe("the cost model", () => {
  it("prices each service per million webhooks from what a run used", () => {
    // 10 webhooks: 20 write units, 4 read units, 3 SQS requests by functions + 2 by the mapping,
    // 1 S3 PUT, 12 invocations of 1 GB for 100 ms each (1.2 GB-s), 5,000 log bytes, 10 HTTP API requests.
    const run = usage({
      functions: {
        ingest: fn({
          invocations: 12,
          billedMs: 1_200,
          modelledMs: 120,
          writeUnits: 20,
          readUnits: 4,
          sqsRequests: 3,
          s3Puts: 1,
          logBytes: 5_000,
        }),
      },
      frontDoor: { "http-api": { requests: 10, units: 10 }, "function-url": { requests: 0, units: 0 } },
      mapping: { ReceiveMessage: 1, DeleteMessageBatch: 1 },
    });
    const cost = dollarsPerMillion(run, 10, "measured");
    const perMillion = 1e5;
    expect(cost.DynamoDB).toBeCloseTo(
      (20 * PRICES.dynamodbWriteUnit.usd + 4 * PRICES.dynamodbReadUnit.usd) * perMillion,
      9,
    );
    expect(cost.SQS).toBeCloseTo(5 * PRICES.sqsRequest.usd * perMillion, 9);
    expect(cost.S3).toBeCloseTo(PRICES.s3Put.usd * perMillion, 9);
    expect(cost["Lambda requests"]).toBeCloseTo(12 * PRICES.lambdaRequest.usd * perMillion, 9);
    expect(cost["Lambda GB-s"]).toBeCloseTo(1.2 * PRICES.lambdaArmGbSecond.usd * perMillion, 9);
    expect(cost["CloudWatch Logs"]).toBeCloseTo((5_000 / 1e9) * PRICES.logsIngestedGb.usd * perMillion, 9);
    expect(cost["API Gateway"]).toBeCloseTo(10 * PRICES.httpApiRequest.usd * perMillion, 9);
    const { total, ...services } = cost;
    expect(total).toBeCloseTo(
      Object.values(services).reduce((a, b) => a + b, 0),
      9,
    );
    // The same run with modelled durations: a tenth of the GB-seconds.
    expect(dollarsPerMillion(run, 10, "modelled")["Lambda GB-s"]).toBeCloseTo(cost["Lambda GB-s"] / 10, 9);
  });

  it("charges a Function URL nothing per request, and bills GB-seconds by each function's memory", () => {
    const run = usage({
      functions: { router: fn({ memoryMb: 512, invocations: 1, billedMs: 1_000 }) },
      frontDoor: { "http-api": { requests: 0, units: 0 }, "function-url": { requests: 1, units: 1 } },
    });
    const cost = dollarsPerMillion(run, 1, "measured");
    expect(cost["API Gateway"]).toBe(0);
    expect(cost["Lambda GB-s"]).toBeCloseTo(0.5 * PRICES.lambdaArmGbSecond.usd * 1e6, 9);
  });

  it("models an invocation as CPU time plus a round trip per AWS call, a delivery's reads as one", () => {
    const { cpuMs, roundTripMs, receiverMs } = DURATION_MODEL;
    expect(modelledMs("ingest", report(["DynamoDB.PutItem"]))).toBe(
      cpuMs.ingest + (roundTripMs.DynamoDB ?? 0),
    );
    expect(modelledMs("router", report(["DynamoDB.PutItem", "SQS.SendMessageBatch"]))).toBe(
      cpuMs.router + (roundTripMs.DynamoDB ?? 0) + (roundTripMs.SQS ?? 0),
    );
    expect(
      modelledMs(
        "deliver",
        report(["DynamoDB.BatchGetItem", "DynamoDB.GetItem", "DynamoDB.GetItem", "DynamoDB.BatchWriteItem"]),
      ),
    ).toBe(cpuMs.deliver + 2 * (roundTripMs.DynamoDB ?? 0) + receiverMs);
  });
});
