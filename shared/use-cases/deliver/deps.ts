import type { HttpTarget, SubscriptionConfig } from "../../config/schema.js";
import { type BreakerPolicy, DEFAULT_BREAKER_POLICY } from "../../domain/circuit-breaker.js";
import type { AttemptLog } from "../../ports/attempt-log.js";
import type { BreakerStore } from "../../ports/breaker-store.js";
import type { Clock } from "../../ports/clock.js";
import type { DeliveryQueue } from "../../ports/delivery-queue.js";
import type { PayloadStore } from "../../ports/event-store.js";
import type { HttpSender } from "../../ports/http-sender.js";
import type { RateLimiter } from "../../ports/rate-limiter.js";
import type { SecretResolver } from "../../ports/secret-resolver.js";
import type { SubscriptionStateStore } from "../../ports/subscription-state.js";
import type { SuccessLedger } from "../../ports/success-ledger.js";

/** How often a paused subscription's messages come back to check whether it was resumed. */
export const DEFAULT_PAUSED_RECHECK_SECONDS = 60;

export type HttpSubscription = SubscriptionConfig & { readonly target: HttpTarget };

/** What delivery talks to: ports, and the two sources of non-determinism (time and chance). */
export interface DeliverDeps {
  /** The HTTP subscription a queue belongs to; undefined if the queue is not one of ours. */
  readonly subscriptionFor: (queueName: string) => HttpSubscription | undefined;
  readonly http: HttpSender;
  /** Where messages go back to: hops, parking, retries and dead letters. */
  readonly queue: DeliveryQueue;
  readonly ledger: SuccessLedger;
  readonly attemptLog: AttemptLog;
  readonly subscriptionStates: SubscriptionStateStore;
  readonly breakers: BreakerStore;
  readonly rateLimiter: RateLimiter;
  readonly secrets: SecretResolver;
  /** Bodies too large for an SQS message (the event carries a `dataref`). */
  readonly payloads: Pick<PayloadStore, "get">;
  readonly clock: Clock;
  /** Uniform in [0, 1): jitter. */
  readonly random: () => number;
}

/** How delivery behaves: plain values. */
export interface DeliverSettings {
  readonly userAgent: string;
  /** How long attempts (successes too: they stop later copies) and batch statistics are kept. */
  readonly attemptLogTtlSeconds: number;
  readonly statsTtlSeconds: number;
  /** Default `DEFAULT_PAUSED_RECHECK_SECONDS`. */
  readonly pausedRecheckSeconds?: number;
  /** Default `DEFAULT_BREAKER_POLICY`. */
  readonly breakerPolicy?: BreakerPolicy;
}

/** The state ports, when one store serves them all (the delivery-state table; tests' in-memory store). */
export function statePortsOf(
  store: SuccessLedger & AttemptLog & SubscriptionStateStore & BreakerStore & RateLimiter,
): Pick<DeliverDeps, "ledger" | "attemptLog" | "subscriptionStates" | "breakers" | "rateLimiter"> {
  return { ledger: store, attemptLog: store, subscriptionStates: store, breakers: store, rateLimiter: store };
}

export const breakerPolicyOf = (settings: Pick<DeliverSettings, "breakerPolicy">): BreakerPolicy =>
  settings.breakerPolicy ?? DEFAULT_BREAKER_POLICY;
