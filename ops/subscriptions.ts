import type { SubscriptionConfig, WebhooksConfig } from "../shared/config/schema.js";
import type { SubscriptionState, SubscriptionStateStore } from "../shared/ports/subscription-state.js";
import { OPS_ERROR_CODES, OpsError } from "./errors.js";

/** The subscription `id` names in `config`; an unknown id fails with the known ones. */
export function findSubscription(config: WebhooksConfig, id: string): SubscriptionConfig {
  const found = config.subscriptions.find((s) => s.id === id);
  if (found) return found;
  const known = config.subscriptions.map((s) => s.id);
  throw new OpsError(
    OPS_ERROR_CODES.unknownSubscription,
    `Unknown subscription '${id}'; known: ${known.length > 0 ? known.join(", ") : "none (the config has no subscriptions)"}`,
  );
}

/** Fails for a queue subscription: only HTTP subscriptions are delivered by the platform. */
export function requireHttp(subscription: SubscriptionConfig, what: string): void {
  if (subscription.target.type !== "http") {
    throw new OpsError(
      OPS_ERROR_CODES.notApplicable,
      `'${subscription.id}' is a queue subscription: its consumers read the queue themselves, so ${what} ` +
        "only applies to HTTP subscriptions (stop or start the consumer instead).",
    );
  }
}

export type DeliveryStateName = "active" | "paused" | "disabled" | "not-applicable";

/** What on-call sees of a subscription's operating state. */
export interface SubscriptionStatus {
  readonly subscription: string;
  readonly target: "http" | "queue";
  /** `disabled` wins over `paused`: a disabled subscription dead-letters, a paused one holds. */
  readonly state: DeliveryStateName;
  /** Paused with `npm run ops -- subscription pause`. */
  readonly pausedByOps: boolean;
  /** Paused with `"paused": true` in the config (only a redeploy without it lifts that). */
  readonly pausedInConfig: boolean;
  readonly disabledReason?: string;
  readonly changedAt?: string;
  readonly rateLimitPerSecond?: number;
}

function statusOf(subscription: SubscriptionConfig, stored: SubscriptionState): SubscriptionStatus {
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

export async function subscriptionStatus(
  store: Pick<SubscriptionStateStore, "subscriptionState">,
  subscription: SubscriptionConfig,
): Promise<SubscriptionStatus> {
  if (subscription.target.type !== "http") return statusOf(subscription, { paused: false });
  return statusOf(subscription, await store.subscriptionState(subscription.id));
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

/** Holds deliveries (they wait in the queue). Keeps a disabled subscription's reason. */
export async function pauseSubscription(
  store: SubscriptionStateStore,
  subscription: SubscriptionConfig,
  now: Date = new Date(),
): Promise<StateChange> {
  requireHttp(subscription, "pause");
  const stored = await store.subscriptionState(subscription.id);
  const before = statusOf(subscription, stored);
  if (stored.paused) return { before, after: before, changed: false };
  const next: SubscriptionState = { ...stored, paused: true, changedAt: now.toISOString() };
  await store.setSubscriptionState(subscription.id, next);
  return { before, after: statusOf(subscription, next), changed: true };
}

/** Delivers again: lifts an ops pause and re-enables a subscription its receiver disabled. */
export async function resumeSubscription(
  store: SubscriptionStateStore,
  subscription: SubscriptionConfig,
  now: Date = new Date(),
): Promise<StateChange> {
  requireHttp(subscription, "resume");
  const stored = await store.subscriptionState(subscription.id);
  const before = statusOf(subscription, stored);
  if (!stored.paused && !stored.disabledReason) return { before, after: before, changed: false };
  const next: SubscriptionState = { paused: false, changedAt: now.toISOString() };
  await store.setSubscriptionState(subscription.id, next);
  return { before, after: statusOf(subscription, next), changed: true };
}
