import { describe, expect, it } from "vitest";
import {
  admit,
  afterAttempt,
  type BreakerPolicy,
  CLOSED,
  isQuiet,
} from "../../../shared/domain/circuit-breaker.js";

const policy: BreakerPolicy = {
  failureThreshold: 3,
  failureRateThreshold: 0.5,
  minimumAttempts: 6,
  rateWindowMs: 10_000,
  baseCooldownMs: 1_000,
  maxCooldownMs: 4_000,
  probeLeaseMs: 500,
  probeRecheckMs: 300,
};
const T = 1_000_000;

describe("circuit breaker", () => {
  it("stays closed below the threshold and opens on the threshold-th consecutive failure", () => {
    const one = afterAttempt(CLOSED, "counted-failure", T, policy);
    const two = afterAttempt(one ?? CLOSED, "counted-failure", T, policy);
    expect(two).toMatchObject({ state: "closed", failures: 2 });
    expect(afterAttempt(two ?? CLOSED, "counted-failure", T, policy)).toEqual({
      ...CLOSED,
      state: "open",
      openUntil: T + 1_000,
      opens: 1,
    });
  });

  it("a success resets the count, and a success on a clean breaker writes nothing", () => {
    expect(afterAttempt({ ...CLOSED, failures: 2 }, "success", T, policy)).toEqual(CLOSED);
    expect(afterAttempt(CLOSED, "success", T, policy)).toBeUndefined();
    expect(afterAttempt({ ...CLOSED, failures: 2 }, "neutral", T, policy)).toBeUndefined();
  });

  it("holds messages while open, then lets exactly one probe through", () => {
    const open = { ...CLOSED, state: "open" as const, openUntil: T + 1_000, opens: 1 };
    expect(admit(open, T + 400, policy)).toEqual({ kind: "wait", waitMs: 600 });
    const probe = admit(open, T + 1_000, policy);
    expect(probe).toEqual({ kind: "probe", next: { ...open, state: "half-open", probeUntil: T + 1_500 } });
    if (probe.kind !== "probe") throw new Error("expected a probe");
    expect(admit(probe.next, T + 1_100, policy)).toEqual({ kind: "wait", waitMs: 300 });
    expect(admit(probe.next, T + 1_300, policy)).toEqual({ kind: "wait", waitMs: 200 });
  });

  it("closes when the probe succeeds and reopens for twice as long when it fails, up to the maximum", () => {
    const halfOpen = { ...CLOSED, state: "half-open" as const, openUntil: T, probeUntil: T + 500, opens: 1 };
    expect(afterAttempt(halfOpen, "success", T, policy)).toEqual(CLOSED);
    expect(afterAttempt(halfOpen, "counted-failure", T, policy)).toMatchObject({
      state: "open",
      openUntil: T + 2_000,
      opens: 2,
    });
    expect(afterAttempt({ ...halfOpen, opens: 5 }, "counted-failure", T, policy)).toMatchObject({
      openUntil: T + 4_000,
    });
  });
  it("opens on the failure rate in a window even when failures never run three in a row", () => {
    // fail, succeed, fail, succeed, …: never two consecutive failures, half of the attempts failing.
    let state = CLOSED;
    const outcomes: ("counted-failure" | "success")[] = [];
    for (let i = 0; i < 6; i++) outcomes.push(i % 2 === 0 ? "counted-failure" : "success");
    for (const [i, outcome] of outcomes.entries()) {
      state = afterAttempt(state, outcome, T + i * 100, policy) ?? state;
      expect(state.failures).toBeLessThan(2);
    }
    // Six attempts, three failures: the window is at the minimum, at the threshold rate, but the last
    // attempt was a success, and only a failure opens the breaker.
    expect(state).toMatchObject({ state: "closed", windowStart: T, windowAttempts: 6, windowFailures: 3 });
    expect(afterAttempt(state, "counted-failure", T + 700, policy)).toEqual({
      ...CLOSED,
      state: "open",
      openUntil: T + 700 + 1_000,
      opens: 1,
    });
  });

  it("does not open on a low failure rate, and forgets a window that ran out", () => {
    let state = afterAttempt(CLOSED, "counted-failure", T, policy) ?? CLOSED;
    for (let i = 1; i <= 8; i++) state = afterAttempt(state, "success", T + i, policy) ?? state;
    state = afterAttempt(state, "counted-failure", T + 9, policy) ?? state;
    // 2 failures in 10 attempts: under the 50% rate.
    expect(state).toMatchObject({ state: "closed", failures: 1, windowAttempts: 10, windowFailures: 2 });
    // After the window: a success writes only to reset the consecutive count; the next failure starts a
    // new window.
    const later = T + 10_000;
    const reset = afterAttempt(state, "success", later, policy);
    expect(reset).toEqual(CLOSED);
    expect(afterAttempt(state, "counted-failure", later, policy)).toMatchObject({
      state: "closed",
      failures: 2,
      windowStart: later,
      windowAttempts: 1,
      windowFailures: 1,
    });
  });

  it("asks for no write on success while quiet, and for one while a window runs", () => {
    expect(isQuiet(CLOSED, T, policy)).toBe(true);
    const windowed = afterAttempt(CLOSED, "counted-failure", T, policy) ?? CLOSED;
    const afterSuccess = afterAttempt(windowed, "success", T + 1, policy);
    expect(afterSuccess).toMatchObject({ failures: 0, windowAttempts: 2, windowFailures: 1 });
    expect(isQuiet(afterSuccess ?? CLOSED, T + 2, policy)).toBe(false);
    expect(isQuiet(afterSuccess ?? CLOSED, T + 10_000, policy)).toBe(true);
    expect(afterAttempt(afterSuccess ?? CLOSED, "success", T + 10_000, policy)).toBeUndefined();
  });
});
