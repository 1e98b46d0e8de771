import type { SubscriptionConfig } from "../config/schema.js";
import { subscriptionMatches } from "../domain/routing.js";
import { setAsideBody } from "../domain/stream-failure.js";
import type { EventIndex } from "../ports/event-index.js";
import type { StoredEvent } from "../ports/event-store.js";
import type { MessageQueue, OutboundMessage } from "../ports/message-queue.js";
import { routedCloudEvent } from "./routed-event.js";

/** One record of the event table's stream, as the edge decoded it. */
export interface AcceptedRecord {
  /** The stream sequence number: what a partial batch response names. */
  readonly sequenceNumber: string;
  /** The event, or why its item could not be read (with the key it had, when known). */
  readonly event: StoredEvent | { readonly invalid: string; readonly eventId?: string };
}

export interface RouteReport {
  /** Sequence numbers to hand back to the stream (the mapping retries from the lowest). */
  readonly failedSequenceNumbers: readonly string[];
  /** Events accepted, per source (what ingest no longer counts, one line per batch instead). */
  readonly acceptedBySource: Readonly<Record<string, number>>;
  /** (event, subscription) pairs enqueued. */
  readonly fannedOut: number;
  /** Events no subscription wanted. */
  readonly unmatched: number;
  readonly invalid: readonly { readonly sequenceNumber: string; readonly reason: string }[];
}

export interface RouteDeps {
  readonly subscriptions: readonly SubscriptionConfig[];
  readonly queue: MessageQueue;
  readonly queueUrlFor: (subscriptionId: string) => string;
  readonly index: EventIndex;
  /**
   * Where a record that can never be routed is set aside (the stream mapping's on-failure queue): a
   * retry would not help it, and reporting it failed would hold back the records behind it.
   */
  readonly failuresQueueUrl: string;
  /** How often a copy that failed to go in is sent again before its record goes back (default 2). */
  readonly resends?: number;
}

/** Why a stored event can never be routed (it holds no payload to send), or undefined when it can. */
export function unroutableReason(event: StoredEvent): string | undefined {
  return event.body === undefined && event.bodyRef === undefined
    ? "the event item holds no payload"
    : undefined;
}

/**
 * The outbox relay: each event the event table's stream hands over becomes a CloudEvent on the queue of
 * every subscription that wants it (one SendMessageBatch per queue), and the batch is recorded in the
 * event index (one write per batch) so ops can list it. The index goes first: if it fails the whole batch
 * is retried before anything was sent. A copy that failed to go in is sent again at once (`resends`
 * times): the stream's retry would send every copy of its record again, and a second copy of an event on
 * an HTTP subscription's queue may be POSTed while the first one is (the delivery ledger only stops a copy
 * that arrives after a success). A record whose copy still failed is reported, and the mapping retries
 * from it; copies carry the event id, which never changes. A body kept in the payload bucket travels as a
 * reference (`dataref`).
 */
export function createRouteEvents(
  deps: RouteDeps,
): (records: readonly AcceptedRecord[]) => Promise<RouteReport> {
  return async (records) => {
    const invalid: { sequenceNumber: string; reason: string }[] = [];
    const events: { record: AcceptedRecord; event: StoredEvent }[] = [];
    const setAside: OutboundMessage[] = [];
    const unroutable = (record: AcceptedRecord, reason: string, eventId: string | undefined) => {
      invalid.push({ sequenceNumber: record.sequenceNumber, reason });
      setAside.push({ body: setAsideBody({ sequenceNumber: record.sequenceNumber, eventId, reason }) });
    };
    for (const record of records) {
      if ("invalid" in record.event) {
        unroutable(record, record.event.invalid, record.event.eventId);
        continue;
      }
      const reason = unroutableReason(record.event);
      if (reason === undefined) events.push({ record, event: record.event });
      else unroutable(record, reason, record.event.id);
    }
    // Set aside before anything else: if this fails, the whole batch is retried.
    if (setAside.length > 0) {
      const failedToSetAside = await deps.queue.sendBatch(deps.failuresQueueUrl, setAside);
      if (failedToSetAside.length > 0) throw new Error("could not set unroutable stream records aside");
    }

    const first = records[0]?.sequenceNumber;
    if (first !== undefined && events.length > 0) {
      await deps.index.append(
        events.map(({ event }) => ({
          id: event.id,
          sourceId: event.sourceId,
          type: event.type,
          receivedAt: event.receivedAt,
          expiresAt: event.expiresAt,
        })),
        first,
      );
    }

    const perSubscription = new Map<string, { message: OutboundMessage; index: number }[]>();
    const acceptedBySource: Record<string, number> = {};
    let unmatched = 0;
    events.forEach(({ event }, index) => {
      acceptedBySource[event.sourceId] = (acceptedBySource[event.sourceId] ?? 0) + 1;
      const targets = deps.subscriptions.filter((sub) =>
        subscriptionMatches(sub, { sourceId: event.sourceId, type: event.type }),
      );
      if (targets.length === 0) {
        unmatched++;
        return;
      }
      const body = routedCloudEvent(event);
      for (const sub of targets) {
        const list = perSubscription.get(sub.id) ?? [];
        list.push({ message: { body }, index });
        perSubscription.set(sub.id, list);
      }
    });

    const failed = new Set<number>();
    let fannedOut = 0;
    const resends = deps.resends ?? 2;
    await Promise.all(
      [...perSubscription].map(async ([subscriptionId, items]) => {
        // Only the copies that failed are sent again: the others are on the queue already.
        let pending = items;
        for (let round = 0; round <= resends && pending.length > 0; round++) {
          const batch = pending;
          const failedIndexes = await deps.queue
            .sendBatch(
              deps.queueUrlFor(subscriptionId),
              batch.map((item) => item.message),
            )
            .catch(() => batch.map((_, i) => i));
          pending = failedIndexes.map((i) => batch[i] as (typeof batch)[number]);
        }
        fannedOut += items.length - pending.length;
        for (const item of pending) failed.add(item.index);
      }),
    );

    return {
      failedSequenceNumbers: [...failed].map(
        (i) => (events[i] as { record: AcceptedRecord }).record.sequenceNumber,
      ),
      acceptedBySource,
      fannedOut,
      unmatched,
      invalid,
    };
  };
}
