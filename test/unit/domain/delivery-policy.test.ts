import { describe, expect, it } from "vitest";
import {
  type AttemptOutcome,
  breakerSignal,
  classifyOutcome,
  decideNext,
  parseRetryAfter,
} from "../../../shared/domain/delivery-policy.js";

const response = (status: number, retryAfterSeconds?: number): AttemptOutcome => ({
  kind: "response",
  status,
  latencyMs: 1,
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});

describe("classifyOutcome", () => {
  it.each([
    [200, "success"],
    [204, "success"],
    [301, "retryable"],
    [400, "permanent"],
    [401, "permanent"],
    [404, "permanent"],
    [408, "retryable"],
    [410, "permanent"],
    [429, "retryable"],
    [500, "retryable"],
    [503, "retryable"],
  ])("treats HTTP %i as %s", (status, verdict) => {
    expect(classifyOutcome(response(status))).toBe(verdict);
  });

  it("retries timeouts and network errors", () => {
    expect(classifyOutcome({ kind: "error", errorClass: "timeout", message: "", latencyMs: 1 })).toBe(
      "retryable",
    );
    expect(classifyOutcome({ kind: "error", errorClass: "network", message: "", latencyMs: 1 })).toBe(
      "retryable",
    );
  });
});

describe("decideNext", () => {
  const schedule = [5, 300, 1800];
  const mid = () => 0.5;

  it("waits the scheduled delay for the attempt, spread by at most ±10% jitter", () => {
    expect(
      decideNext({ outcome: response(500), attempt: 2, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "retry", delaySeconds: 300 });
    const low = decideNext({
      outcome: response(500),
      attempt: 2,
      scheduleSeconds: schedule,
      random: () => 0,
    });
    const high = decideNext({
      outcome: response(500),
      attempt: 2,
      scheduleSeconds: schedule,
      random: () => 0.999999,
    });
    expect(low).toEqual({ action: "retry", delaySeconds: 270 });
    expect(high.action === "retry" && high.delaySeconds).toBeCloseTo(330, 3);
  });

  it("honours a longer Retry-After, clamped to one day", () => {
    expect(
      decideNext({ outcome: response(429, 60), attempt: 1, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "retry", delaySeconds: 60 });
    expect(
      decideNext({ outcome: response(503, 10 ** 9), attempt: 1, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "retry", delaySeconds: 86_400 });
  });

  it("dead-letters when the schedule is used up, and at once on a permanent failure", () => {
    expect(
      decideNext({ outcome: response(500), attempt: 4, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "dead-letter", reason: "retries_exhausted" });
    expect(
      decideNext({ outcome: response(404), attempt: 1, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "dead-letter", reason: "permanent_failure" });
  });

  it("is done on success", () => {
    expect(
      decideNext({ outcome: response(202), attempt: 1, scheduleSeconds: schedule, random: mid }),
    ).toEqual({ action: "done" });
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-24T10:00:00Z");
  it("reads delta seconds and HTTP dates, and ignores garbage", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Tue, 24 Nov 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("blocked destinations", () => {
  it("dead-letters at once, without counting against the destination's circuit breaker", () => {
    const outcome: AttemptOutcome = {
      kind: "error",
      errorClass: "blocked",
      message: "destination blocked: private address 10.0.0.1 for x",
      latencyMs: 1,
    };
    expect(classifyOutcome(outcome)).toBe("permanent");
    expect(decideNext({ outcome, attempt: 1, scheduleSeconds: [5], random: () => 0.5 })).toEqual({
      action: "dead-letter",
      reason: "permanent_failure",
    });
    expect(breakerSignal(outcome)).toBe("neutral");
  });
});
