import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationReport } from "../../local/function-host.js";
import type { LocalPlatform, PlatformMeter } from "../../local/runtime.js";
import type { CallUsage } from "../../local/sandbox-meter.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import type { FunctionKey } from "../../shared/topology/topology.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { startTestPlatform } from "../support/test-platform.js";

/** Everything the platform reports to its meter, as it arrives. */
function recordingMeter() {
  const calls: { fn: FunctionKey; usage: CallUsage }[] = [];
  const logBytes: Partial<Record<FunctionKey, number>> = {};
  const invocations: { fn: FunctionKey; report: InvocationReport }[] = [];
  const frontDoor: { kind: string; bytes: number }[] = [];
  const mapping: CallUsage[] = [];
  const meter: PlatformMeter = {
    sandbox: (spec) => ({
      onUsage: (usage) => calls.push({ fn: spec.key, usage }),
      onLogBytes: (bytes) => {
        logBytes[spec.key] = (logBytes[spec.key] ?? 0) + bytes;
      },
    }),
    invocation: (spec, report) => invocations.push({ fn: spec.key, report }),
    frontDoorRequest: (kind, bytes) => frontDoor.push({ kind, bytes }),
    mappingCall: (usage) => mapping.push(usage),
  };
  return { meter, calls, logBytes, invocations, frontDoor, mapping };
}

const source = { id: "stripe", provider: "stripe" as const, secrets: ["whsec_e2e_metering"] };
const recorded = recordingMeter();
let platform: LocalPlatform;
let sink: HttpSink;

beforeAll(async () => {
  sink = await startHttpSink();
  platform = await startTestPlatform(
    "metering",
    {
      sources: [source],
      subscriptions: [
        {
          id: "receiver",
          target: { type: "http", url: `${sink.url}/hook`, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
        },
      ],
    },
    {},
    // As deployed: INFO, so the meter sees the log lines a deployed function writes (and drops them).
    { meter: recorded.meter, logLevel: "INFO", functionOutput: "discard" },
  );
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

async function post(request: { headers: Record<string, string>; body: string }) {
  const response = await fetch(`${platform.ingestUrl}${source.id}`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: (await response.json()) as { id: string; duplicate?: boolean } };
}

const ingestCalls = () => recorded.calls.filter((c) => c.fn === "ingest").map((c) => c.usage);
const NOTHING_ELSE = { readUnits: 0, sqsRequests: 0, s3Puts: 0, s3Gets: 0 };

describe("the local platform's meter", () => {
  const webhook = signedTestWebhook(source);

  it("counts an accepted webhook's ingest as exactly one PutItem of one write unit, and no log line", async () => {
    const answer = await post(webhook);
    expect(answer.status).toBe(202);
    expect(answer.body.duplicate).toBeUndefined();
    expect(ingestCalls()).toEqual([
      { service: "DynamoDB", operation: "PutItem", writeUnits: 1, ...NOTHING_ELSE },
    ]);
    expect(recorded.logBytes.ingest ?? 0).toBe(0);
    expect(recorded.frontDoor).toEqual([{ kind: "http-api", bytes: Buffer.byteLength(webhook.body) }]);
    const ingestInvocations = recorded.invocations.filter((i) => i.fn === "ingest");
    expect(ingestInvocations.map((i) => i.report.steps)).toEqual([[{ step: 1, what: "DynamoDB.PutItem" }]]);
  });

  it("counts a duplicate as one refused PutItem, charged its write unit, and its one INFO line", async () => {
    const answer = await post(webhook);
    expect(answer.status).toBe(202);
    expect(answer.body.duplicate).toBe(true);
    expect(ingestCalls()).toEqual([
      { service: "DynamoDB", operation: "PutItem", writeUnits: 1, ...NOTHING_ELSE },
      { service: "DynamoDB", operation: "PutItem", writeUnits: 1, ...NOTHING_ELSE },
    ]);
    expect(recorded.logBytes.ingest).toBeGreaterThan(0);
  });

  it("counts the delivery's mapping: one non-empty receive and one delete, one request each", async () => {
    await eventually(() => (sink.receivedOn("/hook").length > 0 ? true : undefined));
    const operations = await eventually(() => {
      const seen = recorded.mapping.map((u) => `${u.operation} ${u.sqsRequests}`);
      return seen.includes("DeleteMessageBatch 1") ? seen : undefined;
    });
    expect(operations).toEqual(["ReceiveMessage 1", "DeleteMessageBatch 1"]);
    expect(sink.receivedOn("/hook")).toHaveLength(1);
  });
});
