/**
 * The circuit breaker of one destination (URL origin), as pure state transitions. Shared by every
 * concurrent delivery through the delivery store; only failures that say "the receiver is down"
 * (5xx, 429, 408, timeouts, network errors) count, never a 4xx the receiver chose to answer.
 *
 * It opens on either of two signals: `failureThreshold` consecutive counted failures (a receiver that
 * is down), or a failure rate of at least `failureRateThreshold` over at least `minimumAttempts`
 * attempts within a window of `rateWindowMs` (a receiver that fails every other request, which never
 * strings five failures together). The window starts at a counted failure, so a healthy destination
 * (no failure in the last window) costs no write on success; while a window is running, each success
 * is counted with one compare-and-set.
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
  /** While closed: epoch ms the failure-rate window began (at a counted failure); 0 when none. */
  readonly windowStart: number;
  /** Attempts (counted failures and successes) in the window. */
  readonly windowAttempts: number;
  /** Counted failures in the window. */
  readonly windowFailures: number;
}

const NO_WINDOW = { windowStart: 0, windowAttempts: 0, windowFailures: 0 } as const;

export const CLOSED: BreakerState = {
  state: "closed",
  failures: 0,
  openUntil: 0,
  probeUntil: 0,
  opens: 0,
  ...NO_WINDOW,
};

export interface BreakerPolicy {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** Share of failed attempts in a window that opens the breaker (0–1)… */
  readonly failureRateThreshold: number;
  /** …once the window holds at least this many attempts. */
  readonly minimumAttempts: number;
  /** Length of the failure-rate window. */
  readonly rateWindowMs: number;
  readonly baseCooldownMs: number;
  readonly maxCooldownMs: number;
  /** How long a probe may hold a half-open breaker (the delivery timeout). */
  readonly probeLeaseMs: number;
  /** While a probe is in flight, others look again this often (a probe usually answers in seconds). */
  readonly probeRecheckMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  failureRateThreshold: 0.5,
  minimumAttempts: 20,
  rateWindowMs: 60_000,
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

function windowRunning(current: BreakerState, nowMs: number, policy: BreakerPolicy): boolean {
  return current.windowStart > 0 && nowMs - current.windowStart < policy.rateWindowMs;
}

/**
 * Whether a success changes nothing: closed, no failure since the last success, no failure-rate
 * window running. Deliveries skip the breaker write then (the common, cheap case).
 */
export function isQuiet(current: BreakerState, nowMs: number, policy: BreakerPolicy): boolean {
  return current.state === "closed" && current.failures === 0 && !windowRunning(current, nowMs, policy);
}

/** The state after an attempt; `undefined` when nothing changes (the common, cheap case). */
export function afterAttempt(
  current: BreakerState,
  outcome: "success" | "counted-failure" | "neutral",
  nowMs: number,
  policy: BreakerPolicy,
): BreakerState | undefined {
  if (outcome === "neutral") return undefined;
  if (outcome === "success") {
    if (isQuiet(current, nowMs, policy)) return undefined; // a window that ran out is simply ignored
    if (current.state === "closed" && windowRunning(current, nowMs, policy)) {
      return { ...current, failures: 0, windowAttempts: current.windowAttempts + 1 };
    }
    return CLOSED; // the probe succeeded, or the first success after failures
  }
  const window = windowRunning(current, nowMs, policy)
    ? current
    : { windowStart: nowMs, windowAttempts: 0, windowFailures: 0 };
  const windowAttempts = window.windowAttempts + 1;
  const windowFailures = window.windowFailures + 1;
  const rateTripped =
    windowAttempts >= policy.minimumAttempts &&
    windowFailures >= policy.failureRateThreshold * windowAttempts;
  if (current.state === "half-open" || current.failures + 1 >= policy.failureThreshold || rateTripped) {
    const cooldown = Math.min(policy.maxCooldownMs, policy.baseCooldownMs * 2 ** current.opens);
    return {
      state: "open",
      failures: 0,
      openUntil: nowMs + cooldown,
      probeUntil: 0,
      opens: current.opens + 1,
      ...NO_WINDOW,
    };
  }
  return {
    ...current,
    failures: current.failures + 1,
    windowStart: window.windowStart,
    windowAttempts,
    windowFailures,
  };
}
