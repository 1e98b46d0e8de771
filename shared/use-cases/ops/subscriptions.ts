import type { SubscriptionConfig } from "../../config/schema.js";
import { mapBounded } from "../../domain/bounded.js";
import { type BreakerState, CLOSED } from "../../domain/circuit-breaker.js";
import { ERROR_CODES, InvalidRequestError, WebhookError } from "../../domain/errors.js";
import type { SubscriptionState } from "../../ports/subscription-state.js";
import type { BatchStats } from "../../ports/success-ledger.js";
import type { BreakerView, Operator, SubscriptionHealth } from "./contract.js";
import { findSubscription, type OpsDeps, requireWrite } from "./deps.js";

export type DeliveryStateName = "active" | "paused" | "disabled" | "not-applicable";

/** What on-call sees of a subscription's operating state (the CLI's `subscription status`). */
export interface SubscriptionStatus {
  readonly subscription: string;
  readonly target: "http" | "queue";
  /** `disabled` wins over `paused`: a disabled subscription dead-letters, a paused one holds. */
  readonly state: DeliveryStateName;
  /** Paused by an operator (`pause`). */
  readonly pausedByOps: boolean;
  /** Paused with `"paused": true` in the config (only a redeploy without it lifts that). */
  readonly pausedInConfig: boolean;
  readonly disabledReason?: string;
  readonly changedAt?: string;
  readonly rateLimitPerSecond?: number;
}

export function statusOf(subscription: SubscriptionConfig, stored: SubscriptionState): SubscriptionStatus {
  if (subscription.target.type !== "http") {
    return {
      subscription: subscription.id,
      target: "queue",
      state: "not-applicable",
      pausedByOps: false,
      pausedInConfig: false,
    };
  }
  const pausedInConfig = subscription.paused === true;
  return {
    subscription: subscription.id,
    target: "http",
    state: stored.disabledReason ? "disabled" : stored.paused || pausedInConfig ? "paused" : "active",
    pausedByOps: stored.paused,
    pausedInConfig,
    ...(stored.disabledReason ? { disabledReason: stored.disabledReason } : {}),
    ...(stored.changedAt ? { changedAt: stored.changedAt } : {}),
    ...(subscription.rateLimitPerSecond ? { rateLimitPerSecond: subscription.rateLimitPerSecond } : {}),
  };
}

/** Why replaying into this subscription now would not deliver, or undefined when it would. */
export type ReplayRefusal =
  | { readonly why: "disabled"; readonly detail: string }
  | { readonly why: "paused"; readonly inConfig: boolean };

export function replayRefusal(status: SubscriptionStatus): ReplayRefusal | undefined {
  if (status.state === "disabled") return { why: "disabled", detail: status.disabledReason ?? "" };
  if (status.state === "paused") return { why: "paused", inConfig: !status.pausedByOps };
  return undefined;
}

export interface StateChange {
  readonly before: SubscriptionStatus;
  readonly after: SubscriptionStatus;
  /** False when the subscription already was in the asked-for state; nothing was written. */
  readonly changed: boolean;
}

/** Fails for a queue subscription: only HTTP subscriptions are delivered by the platform. */
export function requireHttp(subscription: SubscriptionConfig, what: string): void {
  if (subscription.target.type !== "http") {
    throw new InvalidRequestError(
      `'${subscription.id}' is a queue subscription: its consumers read the queue themselves, so ${what} ` +
        "only applies to HTTP subscriptions (stop or start the consumer instead).",
    );
  }
}

/** What on-call sees of one destination's breaker, with times as ISO dates (the CLI's `breaker status`). */
export interface BreakerSummary {
  readonly destination: string;
  readonly state: "closed" | "open" | "half-open";
  /** Consecutive counted failures (closed). */
  readonly failures: number;
  readonly openUntil?: string;
  readonly probeUntil?: string;
  /** How many times in a row it opened; the next cool-down is 30 s × 2^opens, up to 10 min. */
  readonly opens: number;
  /** The failure-rate window, while one runs. */
  readonly window?: { readonly since: string; readonly attempts: number; readonly failures: number };
}

/** The breaker key of a destination URL: its origin; anything else is `invalid_request` saying what to pass. */
export function destinationOf(urlOrOrigin: string): string {
  let url: URL;
  try {
    url = new URL(urlOrOrigin);
  } catch {
    throw new InvalidRequestError(
      `'${urlOrOrigin}' is not a URL: pass the subscription's target URL or its origin, e.g. https://api.example.com`,
    );
  }
  return url.origin;
}

function summarize(destination: string, state: BreakerState): BreakerSummary {
  const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : undefined);
  const openUntil = state.state === "closed" ? undefined : iso(state.openUntil);
  const probeUntil = state.state === "half-open" ? iso(state.probeUntil) : undefined;
  return {
    destination,
    state: state.state,
    failures: state.failures,
    ...(openUntil ? { openUntil } : {}),
    ...(probeUntil ? { probeUntil } : {}),
    opens: state.opens,
    ...(state.state === "closed" && state.windowStart > 0
      ? {
          window: {
            since: new Date(state.windowStart).toISOString(),
            attempts: state.windowAttempts,
            failures: state.windowFailures,
          },
        }
      : {}),
  };
}

const breakerView = (summary: BreakerSummary): BreakerView => ({
  destination: summary.destination,
  state: summary.state,
  failures: summary.failures,
  ...(summary.openUntil === undefined ? {} : { openUntil: summary.openUntil }),
  opens: summary.opens,
});

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The last hour of a subscription, from its per-batch statistics. */
export function lastHourOf(stats: readonly BatchStats[]): {
  lastHour: NonNullable<SubscriptionHealth["lastHour"]>;
  lastError?: string;
} {
  let delivered = 0;
  let failed = 0;
  const latencies: number[] = [];
  let lastError: { at: number; text: string } | undefined;
  for (const s of stats) {
    delivered += s.delivered;
    failed += s.failed;
    latencies.push(...s.latenciesMs);
    if (s.lastError !== undefined && (!lastError || s.at >= lastError.at))
      lastError = { at: s.at, text: s.lastError };
  }
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  return {
    lastHour: {
      delivered,
      failed,
      ...(delivered + failed > 0 ? { successRate: delivered / (delivered + failed) } : {}),
      ...(p50 === undefined ? {} : { p50Ms: p50 }),
      ...(p99 === undefined ? {} : { p99Ms: p99 }),
    },
    ...(lastError ? { lastError: `${lastError.text} at ${new Date(lastError.at).toISOString()}` } : {}),
  };
}

/** Subscription state, health, pause and resume; circuit breakers. */
export function createSubscriptionOps(deps: OpsDeps) {
  const { config } = deps;

  async function subscriptionStatus(id: string): Promise<SubscriptionStatus> {
    const subscription = findSubscription(config, id);
    if (subscription.target.type !== "http") return statusOf(subscription, { paused: false });
    return statusOf(subscription, await deps.subscriptionStates.subscriptionState(subscription.id));
  }

  /** Pauses or resumes (which also re-enables one its receiver disabled); says what it was before. */
  async function changeSubscription(id: string, to: "pause" | "resume", by: Operator): Promise<StateChange> {
    const subscription = findSubscription(config, id);
    requireHttp(subscription, to);
    requireWrite(by, `${to === "pause" ? "pausing" : "resuming"} a subscription`);
    const stored = await deps.subscriptionStates.subscriptionState(subscription.id);
    const before = statusOf(subscription, stored);
    const unchanged = to === "pause" ? stored.paused : !stored.paused && !stored.disabledReason;
    if (unchanged) return { before, after: before, changed: false };
    const changedAt = new Date(deps.clock.now()).toISOString();
    // Pausing keeps a receiver's disabling reason; resuming clears both.
    const next: SubscriptionState =
      to === "pause" ? { ...stored, paused: true, changedAt } : { paused: false, changedAt };
    await deps.subscriptionStates.setSubscriptionState(subscription.id, next);
    return { before, after: statusOf(subscription, next), changed: true };
  }

  async function healthOf(
    subscription: SubscriptionConfig,
    oldestAge: ReadonlyMap<string, number> | undefined,
  ): Promise<SubscriptionHealth> {
    const now = deps.clock.now();
    const http = subscription.target.type === "http" ? subscription.target : undefined;
    const [stored, backlog, dlq, stats, breaker] = await Promise.all([
      http ? deps.subscriptionStates.subscriptionState(subscription.id) : undefined,
      deps.queues.backlog(subscription.id),
      deps.deadLetters.depth(subscription.id),
      http ? deps.stats.statsBetween(subscription.id, now - 3_600_000, now) : undefined,
      http ? deps.breakers.breaker(new URL(http.url).origin) : undefined,
    ]);
    const status = statusOf(subscription, stored ?? { paused: false });
    const pausedBy = [
      ...(status.pausedByOps ? ["ops" as const] : []),
      ...(status.pausedInConfig ? ["config" as const] : []),
    ];
    const hour = stats ? lastHourOf(stats) : undefined;
    const age = oldestAge?.get(subscription.id);
    const breakerState = breaker?.state ?? CLOSED;
    return {
      id: subscription.id,
      target: http ? "http" : "queue",
      ...(http ? { url: http.url } : {}),
      state: status.state === "not-applicable" ? "active" : status.state,
      ...(pausedBy.length > 0 ? { pausedBy } : {}),
      ...(status.disabledReason === undefined ? {} : { disabledReason: status.disabledReason }),
      ...(status.changedAt === undefined ? {} : { changedAt: status.changedAt }),
      backlog: backlog.total,
      dlqDepth: dlq.total,
      ...(age === undefined ? {} : { oldestMessageAgeSeconds: age }),
      ...(hour ? { lastHour: hour.lastHour } : {}),
      ...(http
        ? {
            breaker: {
              state: breakerState.state,
              ...(breakerState.state !== "closed" && breakerState.openUntil > 0
                ? { openUntil: new Date(breakerState.openUntil).toISOString() }
                : {}),
            },
          }
        : {}),
      ...(hour?.lastError === undefined ? {} : { lastError: hour.lastError }),
    };
  }

  async function oldestAges(ids: readonly string[]): Promise<ReadonlyMap<string, number> | undefined> {
    // The age is a nicety: without metrics (the local stack), or when they fail, it is left out.
    return deps.queueMetrics?.oldestMessageAgeSeconds(ids).catch(() => undefined);
  }

  async function listSubscriptions(): Promise<readonly SubscriptionHealth[]> {
    const ages = await oldestAges(config.subscriptions.map((s) => s.id));
    return mapBounded(config.subscriptions, 8, (s) => healthOf(s, ages));
  }

  async function health(id: string): Promise<SubscriptionHealth> {
    const subscription = findSubscription(config, id);
    return healthOf(subscription, await oldestAges([id]));
  }

  async function pauseSubscription(id: string, by: Operator): Promise<SubscriptionHealth> {
    await changeSubscription(id, "pause", by);
    return health(id);
  }

  async function resumeSubscription(id: string, by: Operator): Promise<SubscriptionHealth> {
    await changeSubscription(id, "resume", by);
    return health(id);
  }

  async function breakerStatus(urlOrOrigin: string): Promise<BreakerSummary> {
    const destination = destinationOf(urlOrOrigin);
    return summarize(destination, (await deps.breakers.breaker(destination)).state);
  }

  /**
   * Closes a destination's breaker now (the receiver is known to be back) and resets its doubling
   * cool-down: new messages go at once, parked ones when their parking delay ends, with no probe round.
   * Compare-and-set, retried on a concurrent change; returns the state it replaced.
   */
  async function closeBreakerSummary(urlOrOrigin: string, by: Operator): Promise<BreakerSummary> {
    const destination = destinationOf(urlOrOrigin);
    requireWrite(by, "closing a breaker");
    for (let i = 0; i < 5; i++) {
      const { state, version } = await deps.breakers.breaker(destination);
      if (await deps.breakers.saveBreaker(destination, CLOSED, version)) return summarize(destination, state);
    }
    throw new WebhookError(
      ERROR_CODES.conflict,
      `The breaker of ${destination} kept changing while it was being closed; try again.`,
    );
  }

  async function closeBreaker(url: string, by: Operator): Promise<BreakerView> {
    return breakerView(await closeBreakerSummary(url, by));
  }

  return {
    listSubscriptions,
    pauseSubscription,
    resumeSubscription,
    closeBreaker,
    subscriptionStatus,
    changeSubscription,
    breakerStatus,
    closeBreakerSummary,
  };
}
