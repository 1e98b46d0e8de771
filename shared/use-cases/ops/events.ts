import type { SubscriptionConfig } from "../../config/schema.js";
import { parseJsonBody } from "../../domain/cloud-event.js";
import { outcomeOf } from "../../domain/delivery-outcome.js";
import { ERROR_CODES, InvalidRequestError, WebhookError } from "../../domain/errors.js";
import type { AttemptRecord } from "../../ports/attempt-log.js";
import type { IndexEntry } from "../../ports/event-index-reader.js";
import type { StoredEvent } from "../../ports/event-store.js";
import { deliveryKeyOf } from "../../ports/success-ledger.js";
import { routedCloudEvent } from "../routed-event.js";
import {
  type AttemptView,
  DELIVERY_STATUSES,
  type EventDetail,
  type EventFilter,
  type EventPage,
  type EventSummary,
  type Operator,
  type ResendResult,
} from "./contract.js";
import {
  deliveryStatusOf,
  findSubscription,
  newIdOf,
  notFound,
  type OpsDeps,
  requireWrite,
  routedSubscriptions,
  timeRange,
} from "./deps.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Entries whose statuses are read at once while a status filter pages: the first batch, then doubling. */
const FIRST_STATUS_BATCH = 50;
const MAX_STATUS_BATCH = 400;

const targetOf = (s: SubscriptionConfig): "http" | "queue" => (s.target.type === "http" ? "http" : "queue");

/** The event list, one event, resend and erasure. */
export function createEventOps(deps: OpsDeps) {
  const { config } = deps;
  const newId = newIdOf(deps);

  /** Each entry's delivery status per routed subscription (one bulk read for all of them). */
  async function summaries(entries: readonly IndexEntry[]): Promise<EventSummary[]> {
    const routed = entries.map((e) => routedSubscriptions(config, e));
    const keys = entries.flatMap((e, i) =>
      (routed[i] ?? [])
        .filter((s) => s.target.type === "http")
        .map((s) => ({ eventId: e.id, subscriptionId: s.id })),
    );
    const outcomes = keys.length > 0 ? await deps.outcomes.outcomes(keys) : new Map();
    return entries.map((e, i) => ({
      id: e.id,
      source: e.sourceId,
      type: e.type,
      receivedAt: new Date(e.receivedAt).toISOString(),
      deliveries: (routed[i] ?? []).map((s) => ({
        subscription: s.id,
        status: deliveryStatusOf(
          targetOf(s),
          s.target.type === "http"
            ? outcomes.get(deliveryKeyOf({ eventId: e.id, subscriptionId: s.id }))
            : undefined,
        ),
      })),
    }));
  }

  async function listEvents(
    filter: EventFilter,
    page: { readonly limit?: number; readonly cursor?: string },
  ): Promise<EventPage> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
      throw new InvalidRequestError(
        `limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}; got ${limit}.`,
      );
    if (filter.status !== undefined && !DELIVERY_STATUSES.includes(filter.status))
      throw new InvalidRequestError(
        `status: '${String(filter.status)}' is not a delivery status; use one of ${DELIVERY_STATUSES.join(", ")}.`,
      );
    if (filter.subscription !== undefined)
      findSubscription(config, filter.subscription, ERROR_CODES.invalidRequest, "subscription");
    const { since, until } = timeRange(config, filter, deps.clock.now());
    const scan = deps.index
      .scan({
        since,
        until,
        ...(filter.source === undefined ? {} : { sourceId: filter.source }),
        ...(filter.type === undefined ? {} : { type: filter.type }),
        ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      })
      [Symbol.asyncIterator]();
    const wantedSubscription = filter.subscription;
    /** The next entry routed to the filter's subscription (any entry without one); undefined at the end. */
    const next = async (): Promise<IndexEntry | undefined> => {
      for (;;) {
        const step = await scan.next();
        if (step.done) return undefined;
        if (
          wantedSubscription === undefined ||
          routedSubscriptions(config, step.value).some((s) => s.id === wantedSubscription)
        )
          return step.value;
      }
    };

    try {
      if (filter.status === undefined) {
        const entries: IndexEntry[] = [];
        while (entries.length < limit) {
          const entry = await next();
          if (!entry) return { events: await summaries(entries) };
          entries.push(entry);
        }
        const more = (await next()) !== undefined;
        const last = entries[entries.length - 1] as IndexEntry;
        return { events: await summaries(entries), ...(more ? { nextCursor: last.after } : {}) };
      }

      const status = filter.status;
      const matches = (summary: EventSummary) =>
        summary.deliveries.some(
          (d) =>
            d.status === status &&
            (wantedSubscription === undefined || d.subscription === wantedSubscription),
        );
      const found: { summary: EventSummary; entry: IndexEntry }[] = [];
      let batchSize = Math.max(FIRST_STATUS_BATCH, limit);
      for (;;) {
        const batch: IndexEntry[] = [];
        let exhausted = false;
        while (batch.length < batchSize) {
          const entry = await next();
          if (!entry) {
            exhausted = true;
            break;
          }
          batch.push(entry);
        }
        const batchSummaries = await summaries(batch);
        for (let i = 0; i < batch.length; i++) {
          const summary = batchSummaries[i] as EventSummary;
          if (!matches(summary)) continue;
          if (found.length === limit) {
            // One more match is known: there is a next page.
            const last = found[found.length - 1] as { entry: IndexEntry };
            return { events: found.map((f) => f.summary), nextCursor: last.entry.after };
          }
          found.push({ summary, entry: batch[i] as IndexEntry });
        }
        if (exhausted) return { events: found.map((f) => f.summary) };
        if (found.length === limit) {
          const last = found[found.length - 1] as { entry: IndexEntry };
          return { events: found.map((f) => f.summary), nextCursor: last.entry.after };
        }
        batchSize = Math.min(MAX_STATUS_BATCH, batchSize * 2);
      }
    } finally {
      await scan.return?.();
    }
  }

  async function storedEvent(id: string): Promise<StoredEvent> {
    const event = await deps.events.get(id, Math.floor(deps.clock.now() / 1000));
    if (!event) throw notFound(`No event '${id}': it is unknown, or past its retention.`);
    return event;
  }

  async function payloadOf(event: StoredEvent): Promise<EventDetail["payload"]> {
    if (event.erasedAt !== undefined)
      return { kind: "erased", erasedAt: event.erasedAt, bytes: event.bodyBytes };
    const body =
      event.body ?? (event.bodyRef !== undefined ? await deps.payloads.get(event.bodyRef) : Buffer.alloc(0));
    const json = parseJsonBody(body, event.contentType);
    return json === undefined
      ? { kind: "base64", base64: body.toString("base64"), bytes: body.length }
      : { kind: "json", json, bytes: body.length };
  }

  async function getEvent(id: string): Promise<EventDetail> {
    const event = await storedEvent(id);
    const [payload, attempts] = await Promise.all([payloadOf(event), deps.attempts.attemptsForEvent(id)]);
    const bySubscription = new Map<string, AttemptRecord[]>();
    for (const a of attempts)
      bySubscription.set(a.subscriptionId, [...(bySubscription.get(a.subscriptionId) ?? []), a]);
    const routed = routedSubscriptions(config, event);
    const ids = [
      ...routed.map((s) => s.id),
      ...[...bySubscription.keys()].filter((id) => !routed.some((s) => s.id === id)),
    ];
    return {
      id: event.id,
      source: event.sourceId,
      provider: event.provider,
      type: event.type,
      ...(event.deliveryId === undefined ? {} : { deliveryId: event.deliveryId }),
      receivedAt: new Date(event.receivedAt).toISOString(),
      ...(event.contentType === undefined ? {} : { contentType: event.contentType }),
      headers: event.headers,
      payload,
      subscriptions: ids.map((subscription) => {
        const records = (bySubscription.get(subscription) ?? []).sort((a, b) => a.at - b.at);
        const configured = config.subscriptions.find((s) => s.id === subscription);
        const target = configured ? targetOf(configured) : "http";
        return {
          subscription,
          status: deliveryStatusOf(target, outcomeOf(records)),
          attempts: records.map(attemptView),
        };
      }),
    };
  }

  async function resendEvent(
    id: string,
    subscriptions: readonly string[] | undefined,
    by: Operator,
  ): Promise<ResendResult> {
    requireWrite(by, "resending an event");
    if (subscriptions !== undefined && subscriptions.length === 0)
      throw new InvalidRequestError(
        "subscriptions: name at least one subscription, or leave it out to resend to every subscription of the event.",
      );
    for (const name of subscriptions ?? [])
      findSubscription(config, name, ERROR_CODES.invalidRequest, "subscriptions");
    const event = await storedEvent(id);
    if (event.erasedAt !== undefined)
      throw new WebhookError(
        ERROR_CODES.conflict,
        `Event '${id}' cannot be resent: its payload was erased at ${event.erasedAt}.`,
      );
    const routed = routedSubscriptions(config, event);
    if (routed.length === 0)
      throw new WebhookError(
        ERROR_CODES.conflict,
        `Event '${id}' (source '${event.sourceId}', type '${event.type}') goes to no subscription of the running config; nothing to resend.`,
      );
    for (const name of subscriptions ?? []) {
      if (!routed.some((s) => s.id === name))
        throw new InvalidRequestError(
          `subscriptions: '${name}' does not receive event '${id}' (source '${event.sourceId}', type '${event.type}'); ` +
            `it goes to: ${routed.map((s) => s.id).join(", ")}.`,
        );
    }
    const targets = subscriptions === undefined ? routed.map((s) => s.id) : [...new Set(subscriptions)];
    const resendId = newId("rsd");
    const body = routedCloudEvent(event);
    const failed: string[] = [];
    await Promise.all(
      targets.map(async (subscription) => {
        const failedIndexes = await deps.queues.enqueue(subscription, [{ body, resendId }]).catch(() => [0]);
        if (failedIndexes.length > 0) failed.push(subscription);
      }),
    );
    if (failed.length > 0)
      throw new Error(
        `the resend ${resendId} of ${id} could not be queued for ${failed.join(", ")}` +
          (failed.length < targets.length
            ? ` (it was for ${targets.filter((t) => !failed.includes(t)).join(", ")})`
            : ""),
      );
    return { id, resendId, subscriptions: targets };
  }

  async function erasePayload(id: string, by: Operator): Promise<{ id: string; erasedAt: string }> {
    requireWrite(by, "erasing a payload");
    const event = await storedEvent(id);
    if (event.erasedAt !== undefined) return { id, erasedAt: event.erasedAt };
    const at = new Date(deps.clock.now());
    if (!(await deps.events.erasePayload(id, at)))
      throw notFound(`No event '${id}': it is unknown, or past its retention.`);
    return { id, erasedAt: at.toISOString() };
  }

  return { listEvents, getEvent, resendEvent, erasePayload };
}

/** An attempt as the ops API shows it. */
export function attemptView(record: AttemptRecord): AttemptView {
  return {
    attempt: record.attempt,
    at: new Date(record.at).toISOString(),
    result: record.result,
    ...(record.status === undefined ? {} : { status: record.status }),
    ...(record.errorClass === undefined ? {} : { errorClass: record.errorClass }),
    latencyMs: record.latencyMs,
    ...(record.detail === undefined ? {} : { detail: record.detail }),
    ...(record.resendId === undefined ? {} : { resendId: record.resendId }),
  };
}
