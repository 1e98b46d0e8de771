import type { SecretResolver } from "../adapters/secret-resolver.js";
import type { HttpTarget, SubscriptionConfig } from "../config/schema.js";
import {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  targetSecretRefs,
} from "../config/schema.js";
import {
  admit,
  afterAttempt,
  type BreakerPolicy,
  DEFAULT_BREAKER_POLICY,
  isQuiet,
} from "../domain/circuit-breaker.js";
import { InvalidCloudEventError, parseCloudEvent, type WebhookCloudEvent } from "../domain/cloud-event.js";
import { DELIVERY_ATTRIBUTES as A } from "../domain/delivery-attributes.js";
import {
  type AttemptOutcome,
  breakerSignal,
  DEAD_LETTER_REASONS,
  type DeadLetterReason,
  decideNext,
} from "../domain/delivery-policy.js";
import type { Clock } from "../ports/clock.js";
import type { DeliveryStore, SubscriptionState, VersionedBreaker } from "../ports/delivery-store.js";
import type { HttpSender } from "../ports/http-sender.js";
import type { MessageQueue } from "../ports/message-queue.js";
import type { Redelivery } from "../ports/redelivery.js";
import { outboundSignatureHeader } from "../verify/outbound-signer.js";

/** How often a paused subscription's messages come back to check whether it was resumed. */
export const DEFAULT_PAUSED_RECHECK_SECONDS = 60;
/** Attempts kept in a message's `webhooks.history` attribute (the attempt log keeps them all). */
const HISTORY_LIMIT = 10;

export interface DeliveryRecord {
  readonly messageId: string;
  readonly body: string;
  /** Name of the queue the record came from (identifies the subscription). */
  readonly queueName: string;
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

type Base = { readonly messageId: string; readonly eventId?: string };
export type DeliveryResult =
  | (Base & { readonly result: "delivered"; readonly attempt: number; readonly outcome: AttemptOutcome })
  | (Base & {
      readonly result: "retry-scheduled";
      readonly attempt: number;
      readonly delaySeconds: number;
      readonly outcome: AttemptOutcome;
    })
  | (Base & {
      readonly result: "dead-lettered";
      readonly attempt: number;
      readonly reason: DeadLetterReason;
      readonly detail: string;
    })
  /** Not attempted now: not due yet, subscription paused, or another copy holds the lease. */
  | (Base & {
      readonly result: "parked";
      readonly attempt: number;
      readonly why: "not-due" | "paused" | "busy" | "circuit-open" | "rate-limited";
    })
  /** A redelivered copy of an event this subscription already received: acknowledged, not POSTed. */
  | (Base & { readonly result: "already-delivered" })
  | (Base & { readonly result: "failed"; readonly error: unknown });

export interface DeliverDeps {
  /** The HTTP subscription a queue belongs to; undefined if the queue is not one of ours. */
  readonly subscriptionFor: (queueName: string) => (SubscriptionConfig & { target: HttpTarget }) | undefined;
  readonly queueUrlFor: (queueName: string) => string;
  readonly dlqNameFor: (queueName: string) => string;
  readonly http: HttpSender;
  /** Sends dead letters. */
  readonly queue: MessageQueue;
  /** Brings messages back later: retries and parking. */
  readonly redelivery: Redelivery;
  readonly store: DeliveryStore;
  readonly secrets: SecretResolver;
  readonly clock: Clock;
  readonly random: () => number;
  readonly userAgent: string;
  /** How long one attempt may hold the per-delivery lease (the function timeout). */
  readonly leaseSeconds: number;
  /** How long a success is remembered, so no redelivered copy is POSTed again. */
  readonly deliveredTtlSeconds: number;
  readonly attemptLogTtlSeconds: number;
  /** Default `DEFAULT_PAUSED_RECHECK_SECONDS`. */
  readonly pausedRecheckSeconds?: number;
  /** Default `DEFAULT_BREAKER_POLICY`. */
  readonly breakerPolicy?: BreakerPolicy;
}

interface HistoryEntry {
  readonly n: number;
  readonly at: number;
  readonly s?: number;
  readonly e?: string;
}

function parseHistory(value: string | undefined): HistoryEntry[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as HistoryEntry[]) : [];
  } catch {
    return [];
  }
}

/**
 * Delivers each record to its subscription's URL, signed with Standard Webhooks, at most once with
 * success: a lease per (event, subscription) stops concurrent copies, a success record stops later
 * ones, and every attempt is logged. A retry is a new message on the same queue, delayed (in
 * 15-minute hops for longer waits) and carrying the next attempt number and the attempt history, so
 * waits of hours neither burn `maxReceiveCount` nor depend on the function staying up. Paused
 * subscriptions park their messages; a receiver's 410 or `webhook-delivery: disable` disables the
 * subscription. Permanent failures and exhausted schedules go to the DLQ with the reason as message
 * attributes. Only when a hand-off itself fails does the record go back to SQS.
 */
export function createDeliverEvents(
  deps: DeliverDeps,
): (records: readonly DeliveryRecord[]) => Promise<readonly DeliveryResult[]> {
  const deliverOne = async (
    record: DeliveryRecord,
    stateOf: (id: string) => Promise<SubscriptionState>,
    breakerOf: (destination: string) => Promise<VersionedBreaker>,
  ): Promise<DeliveryResult> => {
    const attempt = Math.max(1, Number(record.attributes[A.attempt] ?? "1") || 1);
    const history = parseHistory(record.attributes[A.history]);
    const subscription = deps.subscriptionFor(record.queueName);
    const deadLetter = async (
      reason: DeadLetterReason,
      detail: string,
      extra: Record<string, string> = {},
    ) => {
      await deps.queue.send(deps.queueUrlFor(deps.dlqNameFor(record.queueName)), {
        body: record.body,
        attributes: {
          [A.reason]: reason,
          [A.attempts]: String(history.length),
          [A.detail]: detail.slice(0, 1000),
          [A.failedAt]: new Date(deps.clock.now()).toISOString(),
          ...(history.length > 0 ? { [A.history]: JSON.stringify(history.slice(-HISTORY_LIMIT)) } : {}),
          ...(subscription ? { [A.subscriptionId]: subscription.id } : {}),
          ...extra,
        },
      });
    };
    /** Back to the queue, due `delaySeconds` after `from` (the attempt's own time, so nothing drifts). */
    const park = (delaySeconds: number, attributes: Record<string, string>, from = deps.clock.now()) =>
      deps.redelivery.later({
        queueName: record.queueName,
        body: record.body,
        attributes,
        dueAt: from + Math.round(Math.max(0, delaySeconds) * 1000),
      });

    let event: WebhookCloudEvent;
    try {
      if (!subscription)
        throw new InvalidCloudEventError(`queue ${record.queueName} has no HTTP subscription`);
      event = parseCloudEvent(record.body);
    } catch (error) {
      const detail = (error as Error).message;
      await deadLetter(DEAD_LETTER_REASONS.invalidMessage, detail);
      return {
        messageId: record.messageId,
        result: "dead-lettered",
        attempt,
        reason: "invalid_message",
        detail,
      };
    }
    const keys = { messageId: record.messageId, eventId: event.id };

    const state = await stateOf(subscription.id);
    if (state.disabledReason) {
      const detail = `subscription disabled: ${state.disabledReason}`;
      await deadLetter(DEAD_LETTER_REASONS.subscriptionDisabled, detail);
      return { ...keys, result: "dead-lettered", attempt, reason: "subscription_disabled", detail };
    }
    if (state.paused || subscription.paused === true) {
      await park(
        deps.pausedRecheckSeconds ?? DEFAULT_PAUSED_RECHECK_SECONDS,
        pickDeliveryAttributes(record.attributes),
      );
      return { ...keys, result: "parked", attempt, why: "paused" };
    }

    const now = deps.clock.now();
    if (deps.redelivery.remainingSeconds(record.attributes) > 0) {
      await deps.redelivery.hop({
        queueName: record.queueName,
        body: record.body,
        attributes: pickDeliveryAttributes(record.attributes),
      });
      return { ...keys, result: "parked", attempt, why: "not-due" };
    }

    // The destination's circuit breaker, then the subscription's rate: a message that may not go now
    // waits in the queue with its attempt number unchanged (no attempt is burnt, nothing is dead-lettered).
    const policy = deps.breakerPolicy ?? DEFAULT_BREAKER_POLICY;
    const destination = new URL(subscription.target.url).origin;
    const breaker = await breakerOf(destination);
    const admission = admit(breaker.state, now, policy);
    const parkedFor = async (
      why: "circuit-open" | "rate-limited",
      seconds: number,
    ): Promise<DeliveryResult> => {
      // Due from `now`, the moment the decision was made: a fresh clock read here could land after
      // the wait it measured has already passed, and would then wait twice.
      await park(seconds * (1 + 0.2 * deps.random()), pickDeliveryAttributes(record.attributes), now);
      return { ...keys, result: "parked", attempt, why };
    };
    if (admission.kind === "wait") return parkedFor("circuit-open", admission.waitMs / 1000);
    // The rate before taking the probe: a probe taken and then rate-limited would hold the breaker.
    if (
      subscription.rateLimitPerSecond !== undefined &&
      !(await deps.store.takeRateToken(subscription.id, now, subscription.rateLimitPerSecond))
    ) {
      return parkedFor("rate-limited", 1);
    }
    if (
      admission.kind === "probe" &&
      !(await deps.store.saveBreaker(destination, admission.next, breaker.version))
    ) {
      return parkedFor("circuit-open", 5);
    }

    const lease = await deps.store.begin({
      eventId: event.id,
      subscriptionId: subscription.id,
      nowMs: now,
      leaseSeconds: deps.leaseSeconds,
    });
    if (lease.status === "delivered") return { ...keys, result: "already-delivered" };
    if (lease.status === "busy") {
      await park(lease.retryAfterSeconds, pickDeliveryAttributes(record.attributes), now);
      return { ...keys, result: "parked", attempt, why: "busy" };
    }

    const target = subscription.target;
    let outcome: AttemptOutcome;
    try {
      const secrets = await Promise.all(targetSecretRefs(target).map((ref) => deps.secrets.resolve(ref)));
      const timestamp = Math.floor(now / 1000);
      outcome = await deps.http.post({
        url: target.url,
        timeoutMs: target.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
        body: record.body,
        headers: {
          "content-type": "application/cloudevents+json; charset=utf-8",
          "user-agent": deps.userAgent,
          "webhook-id": event.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": outboundSignatureHeader(secrets, {
            id: event.id,
            timestamp,
            body: record.body,
          }),
        },
      });
    } catch (error) {
      await deps.store.release({ eventId: event.id, subscriptionId: subscription.id, token: lease.token });
      throw error;
    }

    const signal = breakerSignal(outcome);
    if (!(signal === "success" && admission.kind === "send" && isQuiet(breaker.state, now, policy))) {
      await updateBreaker(destination, signal, now, policy);
    }

    const decision = decideNext({
      outcome,
      attempt,
      scheduleSeconds: subscription.retry?.scheduleSeconds ?? DEFAULT_RETRY_SCHEDULE_SECONDS,
      random: deps.random,
    });
    const describe = () =>
      outcome.kind === "response"
        ? `HTTP ${outcome.status} from ${target.url}${outcome.deliveryControl ? ` (webhook-delivery: ${outcome.deliveryControl})` : ""}`
        : `${outcome.errorClass}: ${outcome.message}`;
    const entry: HistoryEntry =
      outcome.kind === "response"
        ? { n: attempt, at: now, s: outcome.status }
        : { n: attempt, at: now, e: outcome.errorClass };
    history.push(entry);

    const attemptRecord = {
      eventId: event.id,
      subscriptionId: subscription.id,
      attempt,
      at: now,
      latencyMs: outcome.latencyMs,
      ...(outcome.kind === "response"
        ? { status: outcome.status, ...(outcome.responseSnippet ? { detail: outcome.responseSnippet } : {}) }
        : { errorClass: outcome.errorClass, detail: outcome.message }),
      result:
        decision.action === "done"
          ? ("delivered" as const)
          : decision.action === "retry"
            ? ("retry-scheduled" as const)
            : ("dead-lettered" as const),
    };
    if (decision.action === "done") {
      await deps.store.recordSuccess({
        eventId: event.id,
        subscriptionId: subscription.id,
        expiresAtSeconds: Math.floor(now / 1000) + deps.deliveredTtlSeconds,
        attempt: attemptRecord,
        attemptTtlSeconds: deps.attemptLogTtlSeconds,
      });
    } else {
      await deps.store.release({ eventId: event.id, subscriptionId: subscription.id, token: lease.token });
      await deps.store.recordAttempt(attemptRecord, deps.attemptLogTtlSeconds);
    }

    const lastAttempt: Record<string, string> =
      outcome.kind === "response"
        ? { [A.lastStatus]: String(outcome.status), [A.errorClass]: "http_status" }
        : { [A.errorClass]: outcome.errorClass };

    switch (decision.action) {
      case "done":
        return { ...keys, result: "delivered", attempt, outcome };
      case "retry": {
        await park(
          decision.delaySeconds,
          {
            [A.attempt]: String(attempt + 1),
            [A.subscriptionId]: subscription.id,
            [A.history]: JSON.stringify(history.slice(-HISTORY_LIMIT)),
            ...lastAttempt,
            [A.detail]: describe().slice(0, 1000),
          },
          now,
        );
        return { ...keys, result: "retry-scheduled", attempt, delaySeconds: decision.delaySeconds, outcome };
      }
      case "dead-letter": {
        const detail = describe();
        if (decision.disableSubscription) {
          await deps.store.setSubscriptionState(subscription.id, {
            paused: state.paused,
            disabledReason: detail,
            changedAt: new Date(now).toISOString(),
          });
        }
        await deadLetter(decision.reason, detail, lastAttempt);
        return { ...keys, result: "dead-lettered", attempt, reason: decision.reason, detail };
      }
    }
  };

  /** Applies one attempt's signal to the shared breaker (compare-and-set; retried on a concurrent change). */
  const updateBreaker = async (
    destination: string,
    signal: ReturnType<typeof breakerSignal>,
    nowMs: number,
    policy: BreakerPolicy,
  ) => {
    for (let i = 0; i < 3; i++) {
      const current = await deps.store.breaker(destination);
      const next = afterAttempt(current.state, signal, nowMs, policy);
      if (!next || (await deps.store.saveBreaker(destination, next, current.version))) return;
    }
  };

  return (records) => {
    // One state read per subscription and one breaker read per destination, per batch.
    const stateOf = memo((id: string) => deps.store.subscriptionState(id));
    const breakerOf = memo((destination: string) => deps.store.breaker(destination));
    return Promise.all(
      records.map((record) =>
        deliverOne(record, stateOf, breakerOf).catch(
          (error: unknown): DeliveryResult => ({ messageId: record.messageId, result: "failed", error }),
        ),
      ),
    );
  };
}

function memo<T>(load: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let found = cache.get(key);
    if (!found) {
      found = load(key);
      cache.set(key, found);
    }
    return found;
  };
}

function pickDeliveryAttributes(
  attributes: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes))
    if (k.startsWith("webhooks.") && v !== undefined) out[k] = v;
  return out;
}
