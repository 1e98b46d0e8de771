import { admit as admitByBreaker } from "../../domain/circuit-breaker.js";
import { InvalidCloudEventError, parseCloudEvent, type WebhookCloudEvent } from "../../domain/cloud-event.js";
import { type DeliveryMessage, dueAfter } from "../../domain/delivery-message.js";
import { DEAD_LETTER_REASONS } from "../../domain/delivery-policy.js";
import type { VersionedBreaker } from "../../ports/breaker-store.js";
import type { SubscriptionState } from "../../ports/subscription-state.js";
import type { DeliveryKey } from "../../ports/success-ledger.js";
import {
  breakerPolicyOf,
  DEFAULT_PAUSED_RECHECK_SECONDS,
  type DeliverDeps,
  type DeliverSettings,
  type HttpSubscription,
} from "./deps.js";
import type { ParkReason } from "./results.js";

/**
 * Reads shared by every message of one batch, made in parallel: one per subscription, one per
 * destination, and one for the whole batch's success ledger.
 */
export interface BatchReads {
  readonly stateOf: (subscriptionId: string) => Promise<SubscriptionState>;
  readonly breakerOf: (destination: string) => Promise<VersionedBreaker>;
  /**
   * Whether this delivery (the routed one, or one resend of it) already succeeded, or another message
   * of the batch carries it; asked once per message, when it is due.
   */
  readonly isDelivered: (key: DeliveryKey) => Promise<boolean>;
}

/** A message that may be attempted now: the rate token and the breaker's probe (if any) are held. */
export interface Admitted {
  readonly kind: "go";
  readonly event: WebhookCloudEvent;
  readonly subscription: HttpSubscription;
  readonly state: SubscriptionState;
  /** Epoch ms of the decision, which is the attempt's time. */
  readonly now: number;
  /** The breaker's key: the target URL's origin. */
  readonly destination: string;
  /** The breaker as this batch read it. */
  readonly breaker: VersionedBreaker;
  /** A normal send, or the one probe of a breaker that was open. */
  readonly breakerAdmission: "send" | "probe";
}

export type Admission =
  /** Given up without an attempt: not a CloudEvent (or not our queue), or the subscription is disabled. */
  | {
      readonly kind: "dead-letter";
      readonly reason:
        | typeof DEAD_LETTER_REASONS.invalidMessage
        | typeof DEAD_LETTER_REASONS.subscriptionDisabled;
      readonly detail: string;
      readonly eventId?: string;
      readonly subscriptionId?: string;
    }
  /** Arrived before its due time: goes back with the due time unchanged. */
  | { readonly kind: "not-due"; readonly eventId: string }
  /** Not now: back to the queue with the same attempt number, due at `dueAt` (epoch ms). */
  | {
      readonly kind: "park";
      readonly eventId: string;
      readonly why: Exclude<ParkReason, "not-due">;
      readonly dueAt: number;
    }
  /** A copy of an event this subscription already received. */
  | { readonly kind: "already-delivered"; readonly eventId: string }
  | Admitted;

/**
 * Decides whether a message is attempted now, in this order: is it a CloudEvent for one of our HTTP
 * subscriptions, is the subscription disabled or paused, is the message due, did this delivery already
 * succeed, does the destination's circuit breaker let it through, and is there rate left. A message that
 * may not go now waits in the queue with its attempt number unchanged: no attempt is burnt, nothing is
 * dead-lettered.
 */
export async function admit(
  message: DeliveryMessage,
  reads: BatchReads,
  deps: Pick<DeliverDeps, "subscriptionFor" | "queue" | "rateLimiter" | "breakers" | "clock" | "random">,
  settings: Pick<DeliverSettings, "pausedRecheckSeconds" | "breakerPolicy">,
): Promise<Admission> {
  const subscription = deps.subscriptionFor(message.queueName);
  let event: WebhookCloudEvent;
  try {
    if (!subscription)
      throw new InvalidCloudEventError(`queue ${message.queueName} has no HTTP subscription`);
    event = parseCloudEvent(message.body);
  } catch (error) {
    return {
      kind: "dead-letter",
      reason: DEAD_LETTER_REASONS.invalidMessage,
      detail: (error as Error).message,
      ...(subscription ? { subscriptionId: subscription.id } : {}),
    };
  }
  const eventId = event.id;

  const state = await reads.stateOf(subscription.id);
  if (state.disabledReason) {
    return {
      kind: "dead-letter",
      reason: DEAD_LETTER_REASONS.subscriptionDisabled,
      detail: `subscription disabled: ${state.disabledReason}`,
      eventId,
      subscriptionId: subscription.id,
    };
  }
  if (state.paused || subscription.paused === true) {
    const recheck = settings.pausedRecheckSeconds ?? DEFAULT_PAUSED_RECHECK_SECONDS;
    return { kind: "park", eventId, why: "paused", dueAt: dueAfter(deps.clock.now(), recheck) };
  }

  const now = deps.clock.now();
  if (deps.queue.remainingSeconds(message) > 0) return { kind: "not-due", eventId };
  const key: DeliveryKey = {
    eventId,
    subscriptionId: subscription.id,
    ...(message.resendId === undefined ? {} : { resendId: message.resendId }),
  };
  if (await reads.isDelivered(key)) return { kind: "already-delivered", eventId };

  // The destination's circuit breaker, then the subscription's rate. Waits are due from `now`, the
  // moment the decision was made: a fresh clock read later could land after the wait it measured has
  // already passed, and would then wait twice.
  const policy = breakerPolicyOf(settings);
  const destination = new URL(subscription.target.url).origin;
  const breaker = await reads.breakerOf(destination);
  const byBreaker = admitByBreaker(breaker.state, now, policy);
  const wait = (why: "circuit-open" | "rate-limited", seconds: number): Admission => ({
    kind: "park",
    eventId,
    why,
    dueAt: dueAfter(now, seconds * (1 + 0.2 * deps.random())),
  });
  if (byBreaker.kind === "wait") return wait("circuit-open", byBreaker.waitMs / 1000);
  // The rate before taking the probe: a probe taken and then rate-limited would hold the breaker.
  if (
    subscription.rateLimitPerSecond !== undefined &&
    !(await deps.rateLimiter.takeRateToken(subscription.id, now, subscription.rateLimitPerSecond))
  ) {
    return wait("rate-limited", 1);
  }
  if (
    byBreaker.kind === "probe" &&
    !(await deps.breakers.saveBreaker(destination, byBreaker.next, breaker.version))
  ) {
    return wait("circuit-open", 5);
  }

  return {
    kind: "go",
    event,
    subscription,
    state,
    now,
    destination,
    breaker,
    breakerAdmission: byBreaker.kind,
  };
}
