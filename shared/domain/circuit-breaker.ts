/**
 * The circuit breaker of one destination (URL origin), as pure state transitions. Shared by every
 * concurrent delivery through the delivery store; only failures that say "the receiver is down"
 * (5xx, 429, 408, timeouts, network errors) count, never a 4xx the receiver chose to answer.
 */
export interface BreakerState {
  readonly state: "closed" | "open" | "half-open";
  /** Consecutive counted failures while closed. */
  readonly failures: number;
  /** While open: epoch ms until which nothing is sent. */
  readonly openUntil: number;
  /** While half-open: epoch ms until which the one probe in flight holds the destination. */
  readonly probeUntil: number;
  /** How many times in a row it opened (the cool-down doubles each time). */
  readonly opens: number;
}

export const CLOSED: BreakerState = { state: "closed", failures: 0, openUntil: 0, probeUntil: 0, opens: 0 };

export interface BreakerPolicy {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  readonly baseCooldownMs: number;
  readonly maxCooldownMs: number;
  /** How long a probe may hold a half-open breaker (the delivery timeout). */
  readonly probeLeaseMs: number;
  /** While a probe is in flight, others look again this often (a probe usually answers in seconds). */
  readonly probeRecheckMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  baseCooldownMs: 30_000,
  maxCooldownMs: 10 * 60_000,
  probeLeaseMs: 60_000,
  probeRecheckMs: 10_000,
};

/** What a delivery may do now: send, send as the probe, or wait `waitMs` (parked, no attempt used). */
export type Admission =
  | { readonly kind: "send" }
  | { readonly kind: "probe"; readonly next: BreakerState }
  | { readonly kind: "wait"; readonly waitMs: number };

export function admit(current: BreakerState, nowMs: number, policy: BreakerPolicy): Admission {
  if (current.state === "closed") return { kind: "send" };
  if (current.state === "open" && nowMs < current.openUntil)
    return { kind: "wait", waitMs: current.openUntil - nowMs };
  if (current.state === "half-open" && nowMs < current.probeUntil) {
    return { kind: "wait", waitMs: Math.min(current.probeUntil - nowMs, policy.probeRecheckMs) };
  }
  return { kind: "probe", next: { ...current, state: "half-open", probeUntil: nowMs + policy.probeLeaseMs } };
}

/** The state after an attempt; `undefined` when nothing changes (the common, cheap case). */
export function afterAttempt(
  current: BreakerState,
  outcome: "success" | "counted-failure" | "neutral",
  nowMs: number,
  policy: BreakerPolicy,
): BreakerState | undefined {
  if (outcome === "neutral") return undefined;
  if (outcome === "success") return current.state === "closed" && current.failures === 0 ? undefined : CLOSED;
  if (current.state === "half-open" || current.failures + 1 >= policy.failureThreshold) {
    const cooldown = Math.min(policy.maxCooldownMs, policy.baseCooldownMs * 2 ** current.opens);
    return {
      state: "open",
      failures: 0,
      openUntil: nowMs + cooldown,
      probeUntil: 0,
      opens: current.opens + 1,
    };
  }
  return { ...current, failures: current.failures + 1 };
}
