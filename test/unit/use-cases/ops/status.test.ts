import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../shared/config/load-config.js";
import { outcomeOf } from "../../../../shared/domain/delivery-outcome.js";
import {
  archiveWindowMs,
  deliveryStatusOf,
  parseTime,
  requireWrite,
  routedSubscriptions,
  timeRange,
} from "../../../../shared/use-cases/ops/deps.js";
import { lastHourOf, percentile } from "../../../../shared/use-cases/ops/subscriptions.js";

const record = (result: "delivered" | "retry-scheduled" | "dead-lettered", at: number, attempt = 1) => ({
  result,
  at,
  attempt,
});

describe("a delivery's status", () => {
  it("is delivered once any attempt succeeded, whatever came after (a resend of a delivered event)", () => {
    expect(outcomeOf([record("dead-lettered", 1), record("delivered", 2)])).toBe("delivered");
    expect(outcomeOf([record("delivered", 1), record("retry-scheduled", 2)])).toBe("delivered");
  });

  it("is otherwise the latest attempt's result, the higher attempt winning a tie in time", () => {
    expect(outcomeOf([record("retry-scheduled", 1, 1), record("dead-lettered", 5, 2)])).toBe("dead-lettered");
    expect(outcomeOf([record("dead-lettered", 5, 2), record("retry-scheduled", 1, 1)])).toBe("dead-lettered");
    expect(outcomeOf([record("dead-lettered", 5, 3), record("retry-scheduled", 9, 1)])).toBe(
      "retry-scheduled",
    );
    expect(outcomeOf([record("retry-scheduled", 5, 1), record("dead-lettered", 5, 2)])).toBe("dead-lettered");
    expect(outcomeOf([])).toBeUndefined();
  });

  it("maps to the API's statuses: pending for HTTP and enqueued for queue subscriptions without attempts", () => {
    expect(deliveryStatusOf("http", "delivered")).toBe("delivered");
    expect(deliveryStatusOf("http", "retry-scheduled")).toBe("retrying");
    expect(deliveryStatusOf("http", "dead-lettered")).toBe("dead-lettered");
    expect(deliveryStatusOf("http", undefined)).toBe("pending");
    expect(deliveryStatusOf("queue", undefined)).toBe("enqueued");
  });
});

describe("ops input", () => {
  it("reads ISO 8601 times and names the field of anything else", () => {
    expect(parseTime("since", "2026-11-24T10:00:00Z")).toBe(Date.parse("2026-11-24T10:00:00Z"));
    expect(parseTime("since", "2026-11-24")).toBe(Date.parse("2026-11-24"));
    expect(parseTime("until", "2026-11-24T10:00:00.5+01:00")).toBe(Date.parse("2026-11-24T09:00:00.500Z"));
    for (const bad of ["yesterday", "1700000000000", "2026-13-45T99:00:00Z", ""])
      expect(() => parseTime("since", bad)).toThrow(
        expect.objectContaining({ code: "invalid_request", detail: expect.stringMatching(/^since: /) }),
      );
  });

  it("defaults the time range to the archive's window up to now", () => {
    const config = parseConfig({
      sources: [
        { id: "gh", provider: "github", secrets: ["s"] },
        {
          id: "sw",
          provider: "standard-webhooks",
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          retentionDays: 10,
        },
      ],
      subscriptions: [],
    });
    expect(archiveWindowMs(config)).toBe(10 * 86_400_000);
    expect(archiveWindowMs(parseConfig({ sources: [], subscriptions: [] }))).toBe(7 * 86_400_000);
    const now = Date.parse("2026-11-24T10:00:00Z");
    expect(timeRange(config, {}, now)).toEqual({ since: now - 10 * 86_400_000, until: now + 1 });
    expect(() =>
      timeRange(config, { since: "2026-11-24T10:00:00Z", until: "2026-11-24T10:00:00Z" }, now),
    ).toThrow(/must be before until/);
  });

  it("refuses a read-only operator with forbidden, naming who and what", () => {
    expect(() => requireWrite({ id: "alice@example.com", canWrite: false }, "resending an event")).toThrow(
      expect.objectContaining({
        code: "forbidden",
        detail:
          "alice@example.com has read-only access; resending an event needs an operator with write access.",
      }),
    );
    expect(() => requireWrite({ id: "bob", canWrite: true }, "x")).not.toThrow();
  });

  it("routes an event to the subscriptions whose sources and types match, in config order", () => {
    const config = parseConfig({
      sources: [{ id: "gh", provider: "github", secrets: ["s"] }],
      subscriptions: [
        { id: "a", eventTypes: ["invoice.*"], target: { type: "queue" } },
        { id: "b", sources: ["gh"], target: { type: "queue" } },
        { id: "c", target: { type: "queue" } },
      ],
    });
    expect(routedSubscriptions(config, { sourceId: "sw", type: "invoice.paid" }).map((s) => s.id)).toEqual([
      "a",
      "c",
    ]);
  });
});

describe("a subscription's last hour", () => {
  it("sums the batches, takes nearest-rank percentiles of every latency, and the newest error", () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([50, 99, 100]);
    const batch = (
      at: number,
      delivered: number,
      failed: number,
      latenciesMs: number[],
      lastError?: string,
    ) => ({
      subscriptionId: "s",
      at,
      delivered,
      failed,
      latenciesMs,
      batchKey: String(at),
      ...(lastError ? { lastError } : {}),
    });
    expect(
      lastHourOf([
        batch(2, 3, 1, [30, 10, 20, 400], "HTTP 503"),
        batch(1, 0, 1, [5], "timeout"),
        batch(3, 1, 0, [15]),
      ]),
    ).toEqual({
      lastHour: { delivered: 4, failed: 2, successRate: 4 / 6, p50Ms: 15, p99Ms: 400 },
      lastError: `HTTP 503 at ${new Date(2).toISOString()}`,
    });
    expect(lastHourOf([])).toEqual({ lastHour: { delivered: 0, failed: 0 } });
  });
});
