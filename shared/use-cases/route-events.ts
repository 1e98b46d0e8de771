import type { SubscriptionConfig } from "../config/schema.js";
import { parseCloudEvent } from "../domain/cloud-event.js";
import { subscriptionMatches } from "../domain/routing.js";
import type { MessageQueue, OutboundMessage } from "../ports/message-queue.js";

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
}

export interface RouteReport {
  /** Records to hand back to SQS (partial batch failure). */
  readonly failedMessageIds: readonly string[];
  /** (record, subscription) pairs enqueued. */
  readonly fannedOut: number;
  /** Records no subscription wanted. */
  readonly unmatched: number;
  readonly invalid: readonly { messageId: string; reason: string }[];
}

export interface RouteDeps {
  readonly subscriptions: readonly SubscriptionConfig[];
  readonly queue: MessageQueue;
  readonly queueUrlFor: (subscriptionId: string) => string;
}

/**
 * Fans each ingress event out to the queue of every subscription that wants it, as the same
 * CloudEvent. Sends are batched per subscription queue; a record fails (and SQS redelivers it) if any
 * of its copies failed to enqueue. A redelivery can copy an event again to a subscription that already
 * had it: consumers dedupe on the CloudEvent `id`, which never changes.
 */
export function createRouteEvents(
  deps: RouteDeps,
): (records: readonly QueueRecord[]) => Promise<RouteReport> {
  return async (records) => {
    const perSubscription = new Map<string, { message: OutboundMessage; record: number }[]>();
    const failed = new Set<number>();
    const invalid: { messageId: string; reason: string }[] = [];
    let unmatched = 0;

    records.forEach((record, index) => {
      let event: ReturnType<typeof parseCloudEvent>;
      try {
        event = parseCloudEvent(record.body);
      } catch (error) {
        invalid.push({ messageId: record.messageId, reason: (error as Error).message });
        failed.add(index);
        return;
      }
      const targets = deps.subscriptions.filter((sub) =>
        subscriptionMatches(sub, { sourceId: event.webhooksourceid, type: event.type }),
      );
      if (targets.length === 0) unmatched++;
      for (const sub of targets) {
        const list = perSubscription.get(sub.id) ?? [];
        list.push({ message: { body: record.body }, record: index });
        perSubscription.set(sub.id, list);
      }
    });

    let fannedOut = 0;
    await Promise.all(
      [...perSubscription].map(async ([subscriptionId, items]) => {
        const failedIndexes = await deps.queue.sendBatch(
          deps.queueUrlFor(subscriptionId),
          items.map((item) => item.message),
        );
        fannedOut += items.length - failedIndexes.length;
        for (const i of failedIndexes) failed.add((items[i] as { record: number }).record);
      }),
    );

    return {
      failedMessageIds: [...failed].sort((a, b) => a - b).map((i) => (records[i] as QueueRecord).messageId),
      fannedOut,
      unmatched,
      invalid,
    };
  };
}
