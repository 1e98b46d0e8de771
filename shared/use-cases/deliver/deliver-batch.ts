import type { DeliveryMessage } from "../../domain/delivery-message.js";
import { admit, type BatchReads } from "./admit.js";
import { attempt } from "./attempt.js";
import type { DeliverDeps, DeliverSettings } from "./deps.js";
import type { DeliveryResult } from "./results.js";
import { settleAdmission, settleAttempt } from "./settle.js";

/**
 * Delivers each message to its subscription's URL, signed with Standard Webhooks, at most once with
 * success, in three steps: `admit` (may it go now, and take the lease), `attempt` (the signed POST and
 * the circuit breaker) and `settle` (the decision, the attempt log, and the message's next step through
 * the queue: done, retry, park or dead letter). A retry is a new message on the same queue carrying the
 * next attempt number and the history, so waits of hours neither burn `maxReceiveCount` nor depend on
 * the function staying up. Only when a step itself fails does the message go back to SQS (`failed`).
 *
 * A batch is delivered at once: each subscription's state and each destination's breaker is read once
 * per batch.
 */
export function createDeliverEvents(
  deps: DeliverDeps,
  settings: DeliverSettings,
): (messages: readonly DeliveryMessage[]) => Promise<readonly DeliveryResult[]> {
  const deliverOne = async (message: DeliveryMessage, reads: BatchReads): Promise<DeliveryResult> => {
    const admission = await admit(message, reads, deps, settings);
    if (admission.kind !== "go") return settleAdmission(message, admission, deps);
    const outcome = await attempt(message, admission, deps, settings);
    return settleAttempt(message, admission, outcome, deps, settings);
  };

  return (messages) => {
    const reads: BatchReads = {
      stateOf: memo((id) => deps.subscriptionStates.subscriptionState(id)),
      breakerOf: memo((destination) => deps.breakers.breaker(destination)),
    };
    return Promise.all(
      messages.map((message) =>
        deliverOne(message, reads).catch(
          (error: unknown): DeliveryResult => ({ messageId: message.messageId, result: "failed", error }),
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
