import { describe, expect, it } from "vitest";
import { CachingSecretResolver } from "../../../../shared/adapters/caching-secret-resolver.js";
import {
  DELIVERY_ATTRIBUTES as A,
  deliveryMessageOf,
  type ReceivedMessage,
  SqsDeliveryQueue,
} from "../../../../shared/adapters/sqs-delivery-queue.js";
import { CLOSED } from "../../../../shared/domain/circuit-breaker.js";
import type { AttemptOutcome } from "../../../../shared/domain/delivery-policy.js";
import type { HttpRequest } from "../../../../shared/ports/http-sender.js";
import type { MessageQueue, OutboundMessage } from "../../../../shared/ports/message-queue.js";
import { createDeliverEvents } from "../../../../shared/use-cases/deliver/deliver-batch.js";
import { type DeliverDeps, statePortsOf } from "../../../../shared/use-cases/deliver/deps.js";
import { standardWebhooksVerifier } from "../../../../shared/verify/providers/standard-webhooks.js";
import { InMemoryDeliveryStore } from "../../../support/in-memory-delivery-store.js";
import { eventBody, NOW, SECRET, subscription } from "./steps-kit.js";

const event = eventBody();

/** In-memory ports: this tests the use case's decisions; adapters are tested against the emulators. */
function harness(outcome: AttemptOutcome, overrides: Partial<DeliverDeps> = {}) {
  const store = new InMemoryDeliveryStore();
  const sent: { url: string; message: OutboundMessage }[] = [];
  const posts: HttpRequest[] = [];
  const queue: MessageQueue = {
    send: async (url, message) => void sent.push({ url, message }),
    sendBatch: async () => [],
  };
  const clock = { now: () => NOW };
  const batch = createDeliverEvents(
    {
      subscriptionFor: (name) => (name === "p-sub-billing" ? subscription : undefined),
      http: {
        post: async (request) => {
          posts.push(request);
          return outcome;
        },
      },
      queue: new SqsDeliveryQueue({
        queue,
        queueUrlFor: (name) => `q://${name}`,
        dlqNameFor: (name) => `${name}-dlq`,
        clock,
      }),
      ...statePortsOf(store),
      secrets: new CachingSecretResolver(),
      payloads: { get: () => Promise.reject(new Error("no claim-checked bodies here")) },
      clock,
      random: () => 0.5,
      ...overrides,
    },
    { userAgent: "test", attemptLogTtlSeconds: 86_400, statsTtlSeconds: 86_400 },
  );
  /** Records as SQS hands them over, read by the queue adapter as the handler does. */
  const deliver = (records: readonly ReceivedMessage[]) => batch(records.map(deliveryMessageOf));
  return { deliver, sent, posts, store };
}

const record = (attributes: Record<string, string> = {}, queueName = "p-sub-billing"): ReceivedMessage => ({
  messageId: "m1",
  body: event,
  queueName,
  attributes,
});

describe("deliver use case", () => {
  it("POSTs the CloudEvent signed with Standard Webhooks under the event's stable id", async () => {
    const { deliver, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const [result] = await deliver([record()]);
    expect(result?.result).toBe("delivered");
    const post = posts[0] as HttpRequest;
    expect(post.headers["webhook-id"]).toBe("evt_abc");
    const verified = await standardWebhooksVerifier.verify(
      { headers: post.headers, rawBody: Buffer.from(post.body) },
      { secrets: [SECRET], nowSeconds: NOW / 1000, toleranceSeconds: 300 },
    );
    expect(verified.secretIndex).toBe(0);
  });

  it("schedules a retry as a new delayed message carrying the next attempt and its due time", async () => {
    const { deliver, sent } = harness({ kind: "response", status: 503, latencyMs: 3 });
    const [result] = await deliver([record()]);
    expect(result).toMatchObject({ result: "retry-scheduled", delaySeconds: 5 });
    expect(sent).toEqual([
      {
        url: "q://p-sub-billing",
        message: {
          body: event,
          delaySeconds: 5,
          attributes: expect.objectContaining({
            [A.attempt]: "2",
            [A.notBefore]: String(NOW + 5_000),
            [A.lastStatus]: "503",
          }),
        },
      },
    ]);
  });

  it("waits longer than SQS's 15-minute delay by re-sending in hops, without attempting", async () => {
    const { deliver, sent, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const dueIn = 3_600_000;
    const [result] = await deliver([record({ [A.attempt]: "3", [A.notBefore]: String(NOW + dueIn) })]);
    expect(result).toMatchObject({ result: "parked", why: "not-due" });
    expect(posts).toHaveLength(0);
    expect(sent[0]?.message).toMatchObject({
      delaySeconds: 900,
      attributes: { [A.attempt]: "3", [A.notBefore]: String(NOW + dueIn) },
    });
  });

  it("dead-letters with the reason once the schedule is used up", async () => {
    const { deliver, sent } = harness({
      kind: "error",
      errorClass: "timeout",
      message: "no response within 10000 ms",
      latencyMs: 10_000,
    });
    const history = JSON.stringify([
      { n: 1, at: NOW - 9_000, s: 500 },
      { n: 2, at: NOW - 4_000, s: 502 },
    ]);
    const [result] = await deliver([record({ [A.attempt]: "3", [A.history]: history })]);
    expect(result).toMatchObject({ result: "dead-lettered", reason: "retries_exhausted" });
    expect(sent[0]?.url).toBe("q://p-sub-billing-dlq");
    expect(sent[0]?.message.attributes).toMatchObject({
      [A.reason]: "retries_exhausted",
      [A.attempts]: "3",
      [A.errorClass]: "timeout",
      [A.subscriptionId]: "billing",
    });
    expect(JSON.parse(sent[0]?.message.attributes?.[A.history] ?? "[]")).toEqual([
      { n: 1, at: NOW - 9_000, s: 500 },
      { n: 2, at: NOW - 4_000, s: 502 },
      { n: 3, at: NOW, e: "timeout" },
    ]);
  });

  it("dead-letters a message that is not a CloudEvent instead of failing forever", async () => {
    const { deliver, sent, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const [result] = await deliver([{ ...record(), body: "garbage" }]);
    expect(result).toMatchObject({ result: "dead-lettered", reason: "invalid_message" });
    expect(posts).toHaveLength(0);
    expect(sent[0]?.message.attributes?.[A.reason]).toBe("invalid_message");
  });

  it("hands the record back to SQS when the retry cannot be scheduled", async () => {
    const { deliver } = harness({ kind: "response", status: 500, latencyMs: 3 });
    const { deliver: failing } = harness(
      { kind: "response", status: 500, latencyMs: 1 },
      {
        queue: {
          park: async () => Promise.reject(new Error("SQS down")),
          retry: async () => Promise.reject(new Error("SQS down")),
          hop: async () => Promise.reject(new Error("SQS down")),
          deadLetter: async () => Promise.reject(new Error("SQS down")),
          remainingSeconds: () => 0,
        },
      },
    );
    expect((await failing([record()]))[0]?.result).toBe("failed");
    expect((await deliver([record()]))[0]?.result).toBe("retry-scheduled");
  });

  it("never POSTs a redelivered copy of an event the subscription already received", async () => {
    const { deliver, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const [first] = await deliver([record()]);
    const [copy] = await deliver([{ ...record(), messageId: "m2" }]);
    expect(first?.result).toBe("delivered");
    expect(copy?.result).toBe("already-delivered");
    expect(posts).toHaveLength(1);
  });

  it("POSTs an operator's resend of a delivered event once, and never its duplicate copy", async () => {
    const { deliver, posts, store } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const [first] = await deliver([record()]);
    const [resend] = await deliver([{ ...record({ [A.resendId]: "rsd_1" }), messageId: "m2" }]);
    const [copyOfResend] = await deliver([{ ...record({ [A.resendId]: "rsd_1" }), messageId: "m3" }]);
    const [anotherResend] = await deliver([{ ...record({ [A.resendId]: "rsd_2" }), messageId: "m4" }]);
    expect([first, resend, copyOfResend, anotherResend].map((r) => r?.result)).toEqual([
      "delivered",
      "delivered",
      "already-delivered",
      "delivered",
    ]);
    expect(posts).toHaveLength(3);
    expect(posts.every((p) => p.headers["webhook-id"] === "evt_abc")).toBe(true);
    expect([...store.deliveries].sort()).toEqual([
      "evt_abc#billing",
      "evt_abc#billing#rsd_1",
      "evt_abc#billing#rsd_2",
    ]);
    expect(store.attempts.map((a) => a.resendId)).toEqual([undefined, "rsd_1", "rsd_2"]);
  });

  it("never POSTs two copies of one resend that arrive in the same batch after its success", async () => {
    const { deliver, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    await deliver([{ ...record({ [A.resendId]: "rsd_1" }), messageId: "m1" }]);
    const copies = await deliver([
      { ...record({ [A.resendId]: "rsd_1" }), messageId: "m2" },
      { ...record({ [A.resendId]: "rsd_1" }), messageId: "m3" },
    ]);
    expect(copies.map((r) => r.result)).toEqual(["already-delivered", "already-delivered"]);
    expect(posts).toHaveLength(1);
  });

  it("POSTs a delivery once when two copies of it arrive in one batch before any success", async () => {
    const { deliver, posts } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const results = await deliver([
      { ...record(), messageId: "m1" },
      { ...record(), messageId: "m2" },
      { ...record({ [A.resendId]: "rsd_1" }), messageId: "m3" },
    ]);
    expect(results.map((r) => r.result)).toEqual(["delivered", "already-delivered", "delivered"]);
    expect(posts).toHaveLength(2);
  });

  it("lets the first copy in a batch stand for the other when its attempt fails: one retry, not two", async () => {
    const { deliver, posts, sent } = harness({ kind: "response", status: 503, latencyMs: 3 });
    const results = await deliver([
      { ...record(), messageId: "m1" },
      { ...record(), messageId: "m2" },
    ]);
    expect(results.map((r) => r.result)).toEqual(["retry-scheduled", "already-delivered"]);
    expect(posts).toHaveLength(1);
    expect(sent).toHaveLength(1);
  });

  it("records a whole batch's successes, and its statistics, in one write after every attempt", async () => {
    const { deliver, posts, store } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const ids = ["evt_1", "evt_2", "evt_3"];
    const results = await deliver(
      ids.map((id, i) => ({ ...record(), messageId: `m${i}`, body: eventBody(id) })),
    );
    expect(results.map((r) => r.result)).toEqual(["delivered", "delivered", "delivered"]);
    expect(posts).toHaveLength(3);
    expect(store.batchWrites).toBe(1);
    expect([...store.deliveries].sort()).toEqual(ids.map((id) => `${id}#billing`));
    expect(store.stats).toEqual([
      {
        subscriptionId: "billing",
        at: NOW,
        delivered: 3,
        failed: 0,
        latenciesMs: [3, 3, 3],
        batchKey: "m0",
      },
    ]);
  });

  it("acknowledges POSTed messages even when the ledger write fails, and says so", async () => {
    const told: string[][] = [];
    const store = new InMemoryDeliveryStore();
    store.recordBatch = () => Promise.reject(new Error("throttled"));
    const posts: HttpRequest[] = [];
    const clock = { now: () => NOW };
    const batch = createDeliverEvents(
      {
        subscriptionFor: () => subscription,
        http: {
          post: async (r) => {
            posts.push(r);
            return { kind: "response", status: 200, latencyMs: 1 };
          },
        },
        queue: new SqsDeliveryQueue({
          queue: { send: async () => undefined, sendBatch: async () => [] },
          queueUrlFor: (name) => name,
          dlqNameFor: (name) => `${name}-dlq`,
          clock,
        }),
        ...statePortsOf(store),
        secrets: new CachingSecretResolver(),
        payloads: { get: () => Promise.reject(new Error("none")) },
        clock,
        random: () => 0.5,
      },
      { userAgent: "test", attemptLogTtlSeconds: 86_400, statsTtlSeconds: 86_400 },
      (_error, eventIds) => told.push([...eventIds]),
    );
    const [result] = await batch([deliveryMessageOf(record())]);
    expect(result?.result).toBe("delivered");
    expect(posts).toHaveLength(1);
    expect(told).toEqual([["evt_abc"]]);
  });

  it("logs every attempt with its status, latency and result", async () => {
    const { deliver, store } = harness({
      kind: "response",
      status: 503,
      latencyMs: 42,
      responseSnippet: "busy",
    });
    await deliver([record()]);
    expect(store.attempts).toEqual([
      {
        eventId: "evt_abc",
        subscriptionId: "billing",
        attempt: 1,
        at: NOW,
        latencyMs: 42,
        status: 503,
        detail: "busy",
        result: "retry-scheduled",
      },
    ]);
  });

  it("disables the subscription on 410 Gone and dead-letters what arrives after, losing nothing", async () => {
    const { deliver, store, sent } = harness({ kind: "response", status: 410, latencyMs: 3 });
    const [gone] = await deliver([record()]);
    expect(gone).toMatchObject({ result: "dead-lettered", reason: "subscription_disabled" });
    expect((await store.subscriptionState("billing")).disabledReason).toContain("HTTP 410");
    const [later] = await deliver([
      { ...record(), messageId: "m2", body: event.replace("evt_abc", "evt_def") },
    ]);
    expect(later).toMatchObject({ result: "dead-lettered", reason: "subscription_disabled" });
    expect(sent.map((s) => s.url)).toEqual(["q://p-sub-billing-dlq", "q://p-sub-billing-dlq"]);
  });

  it("stops retrying a message when the receiver answers webhook-delivery: abort-message", async () => {
    const { deliver } = harness({
      kind: "response",
      status: 500,
      deliveryControl: "abort-message",
      latencyMs: 3,
    });
    const [result] = await deliver([record()]);
    expect(result).toMatchObject({ result: "dead-lettered", reason: "aborted_by_receiver" });
  });

  it("parks everything while the subscription is paused and delivers after resume", async () => {
    const { deliver, store, posts, sent } = harness({ kind: "response", status: 200, latencyMs: 3 });
    await store.setSubscriptionState("billing", { paused: true });
    const [held] = await deliver([record()]);
    expect(held).toMatchObject({ result: "parked", why: "paused" });
    expect(posts).toHaveLength(0);
    expect(sent[0]?.message).toMatchObject({ body: event, delaySeconds: 60 });
    await store.setSubscriptionState("billing", { paused: false });
    const [resumed] = await deliver([record()]);
    expect(resumed?.result).toBe("delivered");
  });

  it("parks messages without attempting while the destination's breaker is open", async () => {
    const { deliver, store, posts, sent } = harness({ kind: "response", status: 200, latencyMs: 3 });
    const open = { ...CLOSED, state: "open" as const, openUntil: NOW + 20_000, opens: 1 };
    await store.saveBreaker("https://example.test", open, 0);
    const [result] = await deliver([record({ [A.attempt]: "2" })]);
    expect(result).toMatchObject({ result: "parked", why: "circuit-open", attempt: 2 });
    expect(posts).toHaveLength(0);
    expect(sent[0]?.message.attributes?.[A.attempt]).toBe("2");
    expect(sent[0]?.message.delaySeconds).toBeGreaterThanOrEqual(20);
  });

  it("dates a breaker wait from the moment it was decided, even when the clock moves on before the park", async () => {
    // The clock answers NOW until the decision has read the breaker, and 30 s later for every read
    // after that: the wait must still end at openUntil (plus jitter), not 30 s later than that.
    let moved = false;
    const movingClock = { now: () => (moved ? NOW + 30_000 : NOW) };
    const { deliver, store, sent } = harness(
      { kind: "response", status: 200, latencyMs: 3 },
      { clock: movingClock },
    );
    const open = { ...CLOSED, state: "open" as const, openUntil: NOW + 10_000, opens: 1 };
    await store.saveBreaker("https://example.test", open, 0);
    const read = store.breaker.bind(store);
    store.breaker = async (destination) => {
      const found = await read(destination);
      moved = true;
      return found;
    };
    const [result] = await deliver([record({ [A.attempt]: "2" })]);
    expect(result).toMatchObject({ result: "parked", why: "circuit-open" });
    // random() = 0.5 → jitter factor 1.1 on the 10 s wait.
    expect(sent[0]?.message.attributes?.[A.notBefore]).toBe(String(NOW + 11_000));
  });

  it("opens the breaker after consecutive failures and closes it when the probe succeeds", async () => {
    const failing = harness({ kind: "response", status: 503, latencyMs: 3 });
    for (let i = 0; i < 5; i++) {
      await failing.deliver([{ ...record(), body: event.replace("evt_abc", `evt_${i}`) }]);
    }
    expect((await failing.store.breaker("https://example.test")).state.state).toBe("open");

    const healthy = harness({ kind: "response", status: 200, latencyMs: 3 });
    await healthy.store.saveBreaker(
      "https://example.test",
      { ...CLOSED, state: "open", openUntil: NOW - 1, opens: 1 },
      0,
    );
    const [probe] = await healthy.deliver([record()]);
    expect(probe?.result).toBe("delivered");
    expect((await healthy.store.breaker("https://example.test")).state).toMatchObject({
      state: "closed",
      failures: 0,
    });
  });

  it("opens the breaker on a destination that fails every other request (failure rate, not a streak)", async () => {
    let calls = 0;
    const flapping = harness(
      { kind: "response", status: 200, latencyMs: 1 },
      {
        http: {
          post: async () =>
            calls++ % 2 === 0
              ? { kind: "response", status: 503, latencyMs: 1 }
              : { kind: "response", status: 200, latencyMs: 1 },
        },
      },
    );
    const results: string[] = [];
    for (let i = 0; i < 30; i++) {
      const [result] = await flapping.deliver([{ ...record(), body: event.replace("evt_abc", `evt_f${i}`) }]);
      results.push(result?.result ?? "none");
    }
    // 20 attempts at the default 50% rate (10 of 20 failed), then the 21st, a failure, opens it.
    expect(calls).toBe(21);
    expect((await flapping.store.breaker("https://example.test")).state.state).toBe("open");
    expect(results.slice(21).every((r) => r === "parked")).toBe(true);
  });

  it("keeps to the subscription's rate limit by parking what exceeds it", async () => {
    const { deliver: limited } = harness(
      { kind: "response", status: 200, latencyMs: 1 },
      { subscriptionFor: () => ({ ...subscription, rateLimitPerSecond: 2 }) },
    );
    const results = await limited(
      [1, 2, 3].map((i) => ({
        ...record(),
        messageId: `m${i}`,
        body: event.replace("evt_abc", `evt_r${i}`),
      })),
    );
    expect(results.map((r) => r.result).sort()).toEqual(["delivered", "delivered", "parked"]);
  });
});
