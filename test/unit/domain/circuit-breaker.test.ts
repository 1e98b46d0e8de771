import { describe, expect, it } from "vitest";
import { admit, afterAttempt, type BreakerPolicy, CLOSED } from "../../../shared/domain/circuit-breaker.js";

const policy: BreakerPolicy = {
  failureThreshold: 3,
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
      state: "open",
      failures: 0,
      openUntil: T + 1_000,
      probeUntil: 0,
      opens: 1,
    });
  });

  it("a success resets the count, and a success on a clean breaker writes nothing", () => {
    expect(afterAttempt({ ...CLOSED, failures: 2 }, "success", T, policy)).toEqual(CLOSED);
    expect(afterAttempt(CLOSED, "success", T, policy)).toBeUndefined();
    expect(afterAttempt({ ...CLOSED, failures: 2 }, "neutral", T, policy)).toBeUndefined();
  });

  it("holds messages while open, then lets exactly one probe through", () => {
    const open = { state: "open" as const, failures: 0, openUntil: T + 1_000, probeUntil: 0, opens: 1 };
    expect(admit(open, T + 400, policy)).toEqual({ kind: "wait", waitMs: 600 });
    const probe = admit(open, T + 1_000, policy);
    expect(probe).toEqual({ kind: "probe", next: { ...open, state: "half-open", probeUntil: T + 1_500 } });
    if (probe.kind !== "probe") throw new Error("expected a probe");
    expect(admit(probe.next, T + 1_100, policy)).toEqual({ kind: "wait", waitMs: 300 });
    expect(admit(probe.next, T + 1_300, policy)).toEqual({ kind: "wait", waitMs: 200 });
  });

  it("closes when the probe succeeds and reopens for twice as long when it fails, up to the maximum", () => {
    const halfOpen = {
      state: "half-open" as const,
      failures: 0,
      openUntil: T,
      probeUntil: T + 500,
      opens: 1,
    };
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
});
