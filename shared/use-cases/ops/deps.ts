import { eventLifetimeSeconds, type SubscriptionConfig, type WebhooksConfig } from "../../config/schema.js";
import type { DeliveryOutcome } from "../../domain/delivery-outcome.js";
import { ERROR_CODES, InvalidRequestError, WebhookError } from "../../domain/errors.js";
import { subscriptionMatches } from "../../domain/routing.js";
import type { AttemptLogReader } from "../../ports/attempt-log.js";
import type { BreakerStore } from "../../ports/breaker-store.js";
import type { Clock } from "../../ports/clock.js";
import type { DeliveryOutcomeReader, DeliveryStatsReader } from "../../ports/delivery-records.js";
import type { EventIndex } from "../../ports/event-index.js";
import type { EventIndexReader } from "../../ports/event-index-reader.js";
import type { EventStore, PayloadStore } from "../../ports/event-store.js";
import type { JobQueue } from "../../ports/job-queue.js";
import type { MessageQueue } from "../../ports/message-queue.js";
import type { QueueMetrics } from "../../ports/queue-metrics.js";
import type { ReplayStore } from "../../ports/replay-store.js";
import type { StoredEventScanner } from "../../ports/stored-event-scanner.js";
import type { StreamFailureQueue } from "../../ports/stream-failure-queue.js";
import type { DeadLetters, SubscriptionQueues } from "../../ports/subscription-queues.js";
import type { SubscriptionStateStore } from "../../ports/subscription-state.js";
import { RETRY_HORIZON_SECONDS } from "../../verify/catalog.js";
import type { DeliveryStatus, Operator } from "./contract.js";
import type { ReplayRecord } from "./replay-record.js";

/** What the ops use cases talk to: ports only, plus the config the stack runs. */
export interface OpsDeps {
  readonly config: Pick<WebhooksConfig, "sources" | "subscriptions" | "retentionDays">;
  readonly events: Pick<EventStore, "get" | "erasePayload">;
  /** Bodies too large for their event item (the payload bucket). */
  readonly payloads: Pick<PayloadStore, "get">;
  readonly index: EventIndexReader;
  readonly attempts: AttemptLogReader;
  readonly outcomes: DeliveryOutcomeReader;
  readonly stats: DeliveryStatsReader;
  readonly subscriptionStates: SubscriptionStateStore;
  readonly breakers: BreakerStore;
  readonly queues: SubscriptionQueues;
  readonly deadLetters: DeadLetters;
  readonly replays: ReplayStore<ReplayRecord>;
  /** The event table read whole (a redrive looks there for the events the index does not list). */
  readonly storedEvents: StoredEventScanner;
  /** The stream failures queue: what the router's stream mapping gave up on, and what the router set aside. */
  readonly streamFailures: StreamFailureQueue;
  /** The router's own ports, for a redrive through the router's use case (`createRouteEvents`). */
  readonly routing: RoutingPorts;
  /**
   * The ops jobs queue: each replay slice enqueues the next. Absent (the CLI), nothing is enqueued and
   * the caller runs the slices itself (`continueReplay` until the replay is no longer running).
   */
  readonly jobs?: JobQueue;
  /** The oldest message age of each queue (CloudWatch); absent (the local stack), it is left out. */
  readonly queueMetrics?: QueueMetrics;
  readonly clock: Clock;
  /** A new random id (resends, replays); default `crypto.randomUUID` without dashes. */
  readonly newId?: () => string;
}

/** What `createRouteEvents` is wired with, as the ops function and the CLI find it. */
export interface RoutingPorts {
  readonly queue: MessageQueue;
  readonly index: EventIndex;
  /** A subscription queue's URL. */
  queueUrl(subscriptionId: string): Promise<string>;
  /** The stream failures queue's URL (where the router sets unroutable records aside). */
  failuresQueueUrl(): Promise<string>;
}

/** How the background work is cut up: plain values. */
export interface OpsSettings {
  /** Events (or dead letters) one replay slice handles at most; default 100. */
  readonly sliceEvents?: number;
  /** Time one replay slice runs at most, ms; default 30 s. */
  readonly sliceMs?: number;
  /** Parallel reads of stored events; default 8. */
  readonly parallelReads?: number;
  /** How long a replay's record is kept, seconds; default 30 days. */
  readonly replayTtlSeconds?: number;
  /** Segments of a redrive's parallel scan of the event table; default 4. */
  readonly scanSegments?: number;
  /** Items one page of that scan reads at most; default 0: as many as DynamoDB's 1 MB page holds. */
  readonly scanPageItems?: number;
  /** Events one redrive call routes at most (it stops scanning when it has found this many); default 500. */
  readonly redriveEvents?: number;
}

export const DEFAULT_OPS_SETTINGS = {
  sliceEvents: 100,
  sliceMs: 30_000,
  parallelReads: 8,
  replayTtlSeconds: 30 * 86_400,
  scanSegments: 4,
  scanPageItems: 0,
  redriveEvents: 500,
} as const;

export type ResolvedSettings = { readonly [K in keyof typeof DEFAULT_OPS_SETTINGS]: number };

export const settingsOf = (settings: OpsSettings = {}): ResolvedSettings => ({
  ...DEFAULT_OPS_SETTINGS,
  ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
});

/** Refuses a mutating call to an operator without write access. */
export function requireWrite(by: Operator, action: string): void {
  if (!by.canWrite) {
    throw new WebhookError(
      ERROR_CODES.forbidden,
      `${by.id} has read-only access; ${action} needs an operator with write access.`,
    );
  }
}

export const notFound = (detail: string) => new WebhookError(ERROR_CODES.notFound, detail);

/** `Unknown subscription 'x'; known: a, b` — as an error of the given code. */
export function unknownSubscription(
  config: Pick<WebhooksConfig, "subscriptions">,
  id: string,
  code: typeof ERROR_CODES.notFound | typeof ERROR_CODES.invalidRequest,
  field?: string,
): WebhookError {
  const known = config.subscriptions.map((s) => s.id);
  return new WebhookError(
    code,
    `${field ? `${field}: ` : ""}Unknown subscription '${id}'; known: ${known.length > 0 ? known.join(", ") : "none (the config has no subscriptions)"}`,
  );
}

/** The subscription `id` names; an unknown id fails with the known ones (`not_found` by default). */
export function findSubscription(
  config: Pick<WebhooksConfig, "subscriptions">,
  id: string,
  code: typeof ERROR_CODES.notFound | typeof ERROR_CODES.invalidRequest = ERROR_CODES.notFound,
  field?: string,
): SubscriptionConfig {
  const found = config.subscriptions.find((s) => s.id === id);
  if (!found) throw unknownSubscription(config, id, code, field);
  return found;
}

/** The subscriptions an event is routed to under the running config, in config order. */
export const routedSubscriptions = (
  config: Pick<WebhooksConfig, "subscriptions">,
  event: { readonly sourceId: string; readonly type: string },
): SubscriptionConfig[] => config.subscriptions.filter((s) => subscriptionMatches(s, event));

/**
 * Where one event stands with one subscription: a success (of it or a resend) is `delivered`; otherwise
 * the latest attempt says `dead-lettered` or `retrying`; with no attempt an HTTP subscription's event is
 * `pending` (in its queue, or parked) and a queue subscription's `enqueued` (its consumer reads it).
 */
export function deliveryStatusOf(
  target: "http" | "queue",
  outcome: DeliveryOutcome | undefined,
): DeliveryStatus {
  switch (outcome) {
    case "delivered":
      return "delivered";
    case "dead-lettered":
      return "dead-lettered";
    case "retry-scheduled":
      return "retrying";
    case undefined:
      return target === "http" ? "pending" : "enqueued";
  }
}

const ISO_TIME = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/;

/** An ISO 8601 time as epoch ms; anything else is `invalid_request` naming the field. */
export function parseTime(field: string, value: string): number {
  const ms = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidRequestError(
      `${field}: '${value.slice(0, 40)}' is not an ISO 8601 time; write it like 2026-11-24T10:00:00Z.`,
    );
  return ms;
}

/** How long the archive keeps events: the longest lifetime of any source (default retention without sources). */
export function archiveWindowMs(config: Pick<WebhooksConfig, "sources" | "retentionDays">): number {
  const lifetimes = config.sources.map((source) =>
    eventLifetimeSeconds(config, source, RETRY_HORIZON_SECONDS[source.provider]),
  );
  return (lifetimes.length > 0 ? Math.max(...lifetimes) : eventLifetimeSeconds(config, {}, 0)) * 1000;
}

/** `[since, until)` in epoch ms: given, or the archive's whole window up to now. */
export function timeRange(
  config: Pick<WebhooksConfig, "sources" | "retentionDays">,
  filter: { readonly since?: string; readonly until?: string },
  now: number,
): { since: number; until: number } {
  const since = filter.since === undefined ? now - archiveWindowMs(config) : parseTime("since", filter.since);
  const until = filter.until === undefined ? now + 1 : parseTime("until", filter.until);
  if (since >= until)
    throw new InvalidRequestError(
      `since (${new Date(since).toISOString()}) must be before until (${new Date(until).toISOString()}).`,
    );
  return { since, until };
}

/** A new random id with a prefix (`rsd_…`, `rpl_…`). */
export const newIdOf = (deps: Pick<OpsDeps, "newId">) => (prefix: string) =>
  `${prefix}_${deps.newId ? deps.newId() : globalThis.crypto.randomUUID().replaceAll("-", "")}`;
