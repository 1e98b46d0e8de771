import { parseCloudEvent } from "../../domain/cloud-event.js";
import type { DeliveryMessage } from "../../domain/delivery-message.js";
import {
  type BatchStats,
  type DeliveryKey,
  deliveryKeyOf,
  type SuccessRecord,
} from "../../ports/success-ledger.js";
import { admit, type BatchReads } from "./admit.js";
import { attempt } from "./attempt.js";
import type { DeliverDeps, DeliverSettings } from "./deps.js";
import type { DeliveryResult } from "./results.js";
import { settleAdmission, settleAttempt } from "./settle.js";

/**
 * Delivers each message to its subscription's URL, signed with Standard Webhooks, in three steps:
 * `admit` (may it go now: not already delivered, breaker, rate), `attempt` (the signed POST and the
 * circuit breaker) and `settle` (the decision, the attempt log for failures, and the message's next step
 * through the queue: done, retry, park or dead letter). A retry is a new message on the same queue
 * carrying the next attempt number and the history, so waits of hours neither burn `maxReceiveCount`
 * nor depend on the function staying up. Only when a step itself fails does the message go back to SQS
 * (`failed`).
 *
 * A batch is delivered at once. Before: each subscription's state, each destination's breaker and the
 * whole batch's success ledger are read once, in parallel. After: the batch's successes (each is the log
 * entry of its attempt) and its statistics are written in one call — a first-attempt success costs
 * that one write and nothing else. Should that write fail, the messages are acknowledged all the same:
 * their POSTs succeeded, and sending them back would POST them again for certain, whereas a missing
 * success record only lets a later duplicate copy through (receivers dedupe on `webhook-id`).
 */
export function createDeliverEvents(
  deps: DeliverDeps,
  settings: DeliverSettings,
  onLedgerWriteFailed: (error: unknown, eventIds: readonly string[]) => void = () => undefined,
): (messages: readonly DeliveryMessage[]) => Promise<readonly DeliveryResult[]> {
  const deliverOne = async (message: DeliveryMessage, reads: BatchReads): Promise<DeliveryResult> => {
    const admission = await admit(message, reads, deps, settings);
    if (admission.kind !== "go") return settleAdmission(message, admission, deps);
    const outcome = await attempt(message, admission, deps, settings);
    return settleAttempt(message, admission, outcome, deps, settings);
  };

  return async (messages) => {
    const now = deps.clock.now();
    const delivered = deps.ledger.delivered(keysOf(messages, deps), now);
    delivered.catch(() => undefined); // read by `isDelivered`; a failure fails each message there
    // Two messages of one batch can carry the same delivery (a router retried after sending, a crash
    // between a retry's send and its original's delete): the first to ask carries it, the others are
    // acknowledged as copies and never POSTed. Whatever becomes of the first (delivered, a retry, a dead
    // letter, or back to SQS) stands for all of them.
    const carried = new Set<string>();
    const reads: BatchReads = {
      stateOf: memo((id) => deps.subscriptionStates.subscriptionState(id)),
      breakerOf: memo((destination) => deps.breakers.breaker(destination)),
      isDelivered: async (key) => {
        const name = deliveryKeyOf(key);
        if ((await delivered).has(name) || carried.has(name)) return true;
        carried.add(name);
        return false;
      },
    };
    const results = await Promise.all(
      messages.map((message) =>
        deliverOne(message, reads).catch(
          (error: unknown): DeliveryResult => ({ messageId: message.messageId, result: "failed", error }),
        ),
      ),
    );
    const successes: SuccessRecord[] = results.flatMap((r) =>
      r.result === "delivered"
        ? [
            {
              attempt: r.record,
              expiresAtSeconds: Math.floor(r.record.at / 1000) + settings.attemptLogTtlSeconds,
            },
          ]
        : [],
    );
    const stats = batchStats(results, messages[0]?.messageId ?? "", now);
    if (successes.length > 0 || stats.length > 0) {
      await deps.ledger.recordBatch(successes, stats, settings.statsTtlSeconds).catch((error: unknown) =>
        onLedgerWriteFailed(
          error,
          successes.map((s) => s.attempt.eventId),
        ),
      );
    }
    return results;
  };
}

/**
 * The (event, subscription, resend) of every message that names an event and a subscription, for the
 * batch's one ledger read. A resend is a delivery of its own: the event's earlier success does not count.
 */
function keysOf(
  messages: readonly DeliveryMessage[],
  deps: Pick<DeliverDeps, "subscriptionFor">,
): DeliveryKey[] {
  return messages.flatMap((message) => {
    const subscription = deps.subscriptionFor(message.queueName);
    if (!subscription) return [];
    try {
      const eventId = parseCloudEvent(message.body).id;
      return [
        {
          eventId,
          subscriptionId: subscription.id,
          ...(message.resendId === undefined ? {} : { resendId: message.resendId }),
        },
      ];
    } catch {
      return [];
    }
  });
}

/** Per subscription: attempts made in this batch, their outcomes and latencies. */
function batchStats(results: readonly DeliveryResult[], batchKey: string, at: number): BatchStats[] {
  const bySubscription = new Map<
    string,
    { delivered: number; failed: number; latencies: number[]; lastError?: string }
  >();
  for (const r of results) {
    const record = "record" in r ? r.record : undefined;
    if (!record) continue;
    const entry = bySubscription.get(record.subscriptionId) ?? { delivered: 0, failed: 0, latencies: [] };
    entry.latencies.push(record.latencyMs);
    if (record.result === "delivered") entry.delivered++;
    else {
      entry.failed++;
      entry.lastError =
        record.status !== undefined ? `HTTP ${record.status}` : (record.errorClass ?? "error");
    }
    bySubscription.set(record.subscriptionId, entry);
  }
  return [...bySubscription].map(([subscriptionId, e]) => ({
    subscriptionId,
    at,
    delivered: e.delivered,
    failed: e.failed,
    latenciesMs: e.latencies,
    ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
    batchKey,
  }));
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
