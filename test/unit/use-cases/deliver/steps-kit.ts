import { parseConfig } from "../../../../shared/config/load-config.js";
import { CLOSED } from "../../../../shared/domain/circuit-breaker.js";
import { parseCloudEvent } from "../../../../shared/domain/cloud-event.js";
import type { DeliveryMessage } from "../../../../shared/domain/delivery-message.js";
import type { DeadLetter, DeliveryQueue, NextAttempt } from "../../../../shared/ports/delivery-queue.js";
import type { Admitted } from "../../../../shared/use-cases/deliver/admit.js";
import type { HttpSubscription } from "../../../../shared/use-cases/deliver/deps.js";
import { InMemoryDeliveryStore } from "../../../support/in-memory-delivery-store.js";

/** Shared fixtures of the per-step tests (admit, attempt, settle). */
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const NOW = Date.parse("2026-11-24T10:00:00Z");

export const subscription = parseConfig({
  sources: [],
  subscriptions: [
    {
      id: "billing",
      target: { type: "http", url: "https://example.test/hook", secret: SECRET },
      retry: { scheduleSeconds: [5, 3600] },
    },
  ],
}).subscriptions[0] as HttpSubscription;

export const eventBody = (id = "evt_abc") =>
  JSON.stringify({
    specversion: "1.0",
    id,
    source: "/webhooks/stripe",
    type: "invoice.paid",
    time: "2026-11-24T09:59:59Z",
    datacontenttype: "application/json",
    data: { a: 1 },
    webhooksourceid: "stripe",
    webhookprovider: "stripe",
  });

export const message = (overrides: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  messageId: "m1",
  body: eventBody(),
  queueName: "p-sub-billing",
  attempt: 1,
  history: [],
  transport: {},
  ...overrides,
});

/** A `DeliveryQueue` that records what it was asked to do; `remaining` answers `remainingSeconds`. */
export function recordingQueue(remaining = 0) {
  const calls: (
    | { op: "hop"; message: DeliveryMessage }
    | { op: "park"; message: DeliveryMessage; dueAt: number }
    | { op: "retry"; message: DeliveryMessage; next: NextAttempt }
    | { op: "deadLetter"; message: DeliveryMessage; letter: DeadLetter }
  )[] = [];
  const queue: DeliveryQueue = {
    remainingSeconds: () => remaining,
    hop: async (m) => void calls.push({ op: "hop", message: m }),
    park: async (m, dueAt) => void calls.push({ op: "park", message: m, dueAt }),
    retry: async (m, next) => void calls.push({ op: "retry", message: m, next }),
    deadLetter: async (m, letter) => void calls.push({ op: "deadLetter", message: m, letter }),
  };
  return { queue, calls };
}

/** An empty store, and the admission `admit` would have returned for (evt_abc, billing). */
export async function admittedMessage(overrides: Partial<Admitted> = {}) {
  const store = new InMemoryDeliveryStore();
  const admitted: Admitted = {
    kind: "go",
    event: parseCloudEvent(message().body),
    subscription,
    state: { paused: false },
    now: NOW,
    destination: "https://example.test",
    breaker: { state: CLOSED, version: 0 },
    breakerAdmission: "send",
    ...overrides,
  };
  return { store, admitted };
}
