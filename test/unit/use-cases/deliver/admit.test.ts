import { describe, expect, it } from "vitest";
import { CLOSED } from "../../../../shared/domain/circuit-breaker.js";
import { type Admission, admit, type BatchReads } from "../../../../shared/use-cases/deliver/admit.js";
import type { HttpSubscription } from "../../../../shared/use-cases/deliver/deps.js";
import { InMemoryDeliveryStore } from "../../../support/in-memory-delivery-store.js";
import { message, NOW, recordingQueue, subscription } from "./steps-kit.js";

const DESTINATION = "https://example.test";

function setup(options: { subscription?: HttpSubscription | undefined; remaining?: number } = {}) {
  const store = new InMemoryDeliveryStore();
  const { queue } = recordingQueue(options.remaining ?? 0);
  const reads: BatchReads = {
    stateOf: (id) => store.subscriptionState(id),
    breakerOf: (destination) => store.breaker(destination),
    isDelivered: async (key) => (await store.delivered([key])).size > 0,
  };
  const sub = "subscription" in options ? options.subscription : subscription;
  const run = (m = message()): Promise<Admission> =>
    admit(
      m,
      reads,
      {
        subscriptionFor: () => sub,
        queue,
        rateLimiter: store,
        breakers: store,
        clock: { now: () => NOW },
        random: () => 0.5,
      },
      { pausedRecheckSeconds: 30 },
    );
  return { store, run };
}

describe("admit", () => {
  it("dead-letters a body that is not a CloudEvent, naming the subscription", async () => {
    const { run } = setup();
    expect(await run(message({ body: "garbage" }))).toMatchObject({
      kind: "dead-letter",
      reason: "invalid_message",
      subscriptionId: "billing",
    });
  });

  it("dead-letters a message from a queue that is no HTTP subscription's, without a subscription id", async () => {
    const { run } = setup({ subscription: undefined });
    const admission = await run(message({ queueName: "p-sub-nope" }));
    expect(admission).toEqual({
      kind: "dead-letter",
      reason: "invalid_message",
      detail: "queue p-sub-nope has no HTTP subscription",
    });
  });

  it("dead-letters while the subscription is disabled, with the receiver's reason", async () => {
    const { run, store } = setup();
    await store.setSubscriptionState("billing", { paused: false, disabledReason: "HTTP 410" });
    expect(await run()).toEqual({
      kind: "dead-letter",
      reason: "subscription_disabled",
      detail: "subscription disabled: HTTP 410",
      eventId: "evt_abc",
      subscriptionId: "billing",
    });
  });

  it("parks while the subscription is paused by ops or in the config, for the recheck interval", async () => {
    const byOps = setup();
    await byOps.store.setSubscriptionState("billing", { paused: true });
    expect(await byOps.run()).toEqual({
      kind: "park",
      eventId: "evt_abc",
      why: "paused",
      dueAt: NOW + 30_000,
    });
    const inConfig = setup({ subscription: { ...subscription, paused: true } });
    expect(await inConfig.run()).toMatchObject({ kind: "park", why: "paused" });
  });

  it("sends a message that is not due yet on, without taking the lease", async () => {
    const { run, store } = setup({ remaining: 120 });
    expect(await run()).toEqual({ kind: "not-due", eventId: "evt_abc" });
    expect(store.deliveries.size).toBe(0);
  });

  it("parks while the destination's breaker is open, until it may close (with jitter)", async () => {
    const { run, store } = setup();
    await store.saveBreaker(DESTINATION, { ...CLOSED, state: "open", openUntil: NOW + 10_000, opens: 1 }, 0);
    // random() = 0.5 → factor 1.1 on the 10 s wait.
    expect(await run()).toEqual({
      kind: "park",
      eventId: "evt_abc",
      why: "circuit-open",
      dueAt: NOW + 11_000,
    });
  });

  it("parks what exceeds the subscription's rate for about a second", async () => {
    const { run } = setup({ subscription: { ...subscription, rateLimitPerSecond: 1 } });
    expect((await run()).kind).toBe("go");
    expect(await run(message({ body: message().body.replace("evt_abc", "evt_2") }))).toEqual({
      kind: "park",
      eventId: "evt_2",
      why: "rate-limited",
      dueAt: NOW + 1_100,
    });
  });

  it("lets one probe through a breaker whose cool-down is over, and parks the copy that lost the race", async () => {
    const { run, store } = setup();
    await store.saveBreaker(DESTINATION, { ...CLOSED, state: "open", openUntil: NOW - 1, opens: 1 }, 0);
    const probe = await run();
    expect(probe).toMatchObject({ kind: "go", breakerAdmission: "probe" });
    expect((await store.breaker(DESTINATION)).state.state).toBe("half-open");

    const late = setup();
    await late.store.saveBreaker(DESTINATION, { ...CLOSED, state: "open", openUntil: NOW - 1, opens: 1 }, 0);
    // Somebody else saved the breaker after this batch read it: the probe is theirs.
    const stale = late.store.breaker(DESTINATION);
    await late.store.saveBreaker(DESTINATION, { ...CLOSED, state: "open", openUntil: NOW - 1, opens: 2 }, 1);
    const admission = await admit(
      message(),
      {
        stateOf: (id) => late.store.subscriptionState(id),
        breakerOf: () => stale,
        isDelivered: async () => false,
      },
      {
        subscriptionFor: () => subscription,
        queue: recordingQueue().queue,
        rateLimiter: late.store,
        breakers: late.store,
        clock: { now: () => NOW },
        random: () => 0.5,
      },
      {},
    );
    expect(admission).toEqual({ kind: "park", eventId: "evt_abc", why: "circuit-open", dueAt: NOW + 5_500 });
  });

  it("hands over what the attempt needs, and writes nothing on a quiet breaker", async () => {
    const { run, store } = setup();
    const admission = await run();
    expect(admission).toMatchObject({
      kind: "go",
      subscription: { id: "billing" },
      event: { id: "evt_abc" },
      now: NOW,
      destination: DESTINATION,
      breakerAdmission: "send",
      state: { paused: false },
    });
    expect(store.deliveries.size).toBe(0);
    expect(store.breakers.size).toBe(0);
  });

  it("acknowledges a copy of a delivery the ledger already holds, without an attempt", async () => {
    const { run, store } = setup();
    store.deliveries.add("evt_abc#billing");
    expect(await run()).toEqual({ kind: "already-delivered", eventId: "evt_abc" });
    // Another subscription's success says nothing about this one.
    store.deliveries.clear();
    store.deliveries.add("evt_abc#audit");
    expect(await run()).toMatchObject({ kind: "go" });
  });
});
