import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { reportDeliveryResults } from "../../../functions/deliver/report.js";
import type { DeliveryResult } from "../../../shared/use-cases/deliver/results.js";

function capture() {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const metrics: { name: string; value: number }[] = [];
  const dimensions: [string, string][] = [];
  const log = (level: string) => (message: string, fields: unknown) =>
    void lines.push({ level, message, fields });
  return {
    lines,
    metrics,
    dimensions,
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    counter: {
      addMetric: (name: string, _unit: unknown, value: number) => void metrics.push({ name, value }),
      addDimension: (name: string, value: string) => void dimensions.push([name, value]),
    },
  };
}

describe("reportDeliveryResults", () => {
  it("logs every result at its level with its ids and counts it under its metric", async () => {
    const { lines, metrics, dimensions, logger, counter } = capture();
    const results: DeliveryResult[] = [
      {
        messageId: "m1",
        eventId: "e1",
        result: "delivered",
        attempt: 1,
        outcome: { kind: "response", status: 200, latencyMs: 3 },
        record: {
          eventId: "e1",
          subscriptionId: "billing",
          attempt: 1,
          at: 0,
          latencyMs: 3,
          status: 200,
          result: "delivered",
        },
      },
      { messageId: "m2", eventId: "e2", result: "parked", attempt: 2, why: "paused" },
      { messageId: "m3", eventId: "e3", result: "already-delivered" },
      {
        messageId: "m4",
        eventId: "e4",
        result: "dead-lettered",
        attempt: 3,
        reason: "retries_exhausted",
        detail: "HTTP 503",
      },
      { messageId: "m5", result: "failed", error: new Error("DynamoDB down") },
    ];
    const request = {
      event: { Records: [] } as SQSEvent,
      context: {} as never,
      response: results,
      error: undefined,
      internal: {},
    };
    await reportDeliveryResults(logger as never, counter as never).after?.(request);
    // The common outcomes at DEBUG: at most one line per outcome worth a person's look at INFO and above.
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ["debug", "delivered"],
      ["debug", "parked"],
      ["info", "already delivered; redelivered copy acknowledged without a POST"],
      ["error", "dead-lettered"],
      ["error", "delivery step failed; record returns to the queue"],
    ]);
    expect(lines[1]?.fields).toEqual({ eventId: "e2", messageId: "m2", attempt: 2, why: "paused" });
    expect(metrics).toEqual([
      { name: "DeliveryRecords", value: 5 },
      { name: "Delivered", value: 1 },
      { name: "DeliveryLatency", value: 3 },
      { name: "DeliverySkippedDuplicate", value: 1 },
      { name: "DeliveryDeadLettered", value: 1 },
    ]);
    expect(dimensions).toEqual([["subscription", "billing"]]);
    // The handler's response is left for the partial batch middleware.
    expect(request.response).toBe(results);
  });
});
