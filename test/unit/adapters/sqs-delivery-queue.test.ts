import { describe, expect, it } from "vitest";
import {
  DELIVERY_ATTRIBUTES as A,
  deliveryMessageOf,
  SqsDeliveryQueue,
} from "../../../shared/adapters/sqs-delivery-queue.js";
import type { MessageQueue, OutboundMessage } from "../../../shared/ports/message-queue.js";

function setup(maxHopSeconds?: number) {
  let now = 1_800_000_000_000;
  const sent: { url: string; message: OutboundMessage }[] = [];
  const queue: MessageQueue = {
    send: async (url, message) => void sent.push({ url, message }),
    sendBatch: async () => [],
  };
  const deliveryQueue = new SqsDeliveryQueue({
    queue,
    queueUrlFor: (name) => `q://${name}`,
    dlqNameFor: (name) => `${name}-dlq`,
    clock: { now: () => now },
    ...(maxHopSeconds === undefined ? {} : { maxHopSeconds }),
  });
  return { deliveryQueue, sent, advance: (ms: number) => (now += ms), start: now };
}

/** A message as received on queue `sub`, with these attributes. */
const received = (attributes: Record<string, string | undefined> = {}, body = "b") =>
  deliveryMessageOf({ messageId: "m1", body, queueName: "sub", attributes });

describe("SqsDeliveryQueue", () => {
  it("holds a long wait with SQS's 15-minute delay and stamps the real due time on the message", async () => {
    const { deliveryQueue, sent, start } = setup();
    await deliveryQueue.park(received({ [A.attempt]: "4" }), start + 7_200_000);
    expect(sent).toEqual([
      {
        url: "q://sub",
        message: {
          body: "b",
          delaySeconds: 900,
          attributes: { [A.attempt]: "4", [A.notBefore]: String(start + 7_200_000) },
        },
      },
    ]);
  });

  it("says how long a received message must still wait, and that it is due once its time has come", async () => {
    const { deliveryQueue, sent, advance, start } = setup();
    await deliveryQueue.park(received(), start + 7_200_000);
    const attributes = sent[0]?.message.attributes ?? {};
    advance(900_000);
    expect(deliveryQueue.remainingSeconds(received(attributes))).toBe(6_300);
    advance(6_299_500);
    expect(deliveryQueue.remainingSeconds(received(attributes))).toBe(0);
    expect(deliveryQueue.remainingSeconds(received({}))).toBe(0);
  });

  it("sends at once and leaves the due time to decide when hops are turned off (a driven clock)", async () => {
    const { deliveryQueue, sent, start } = setup(0);
    await deliveryQueue.park(received(), start + 86_400_000);
    expect(sent[0]?.message.delaySeconds).toBe(0);
    expect(deliveryQueue.remainingSeconds(received(sent[0]?.message.attributes ?? {}))).toBe(86_400);
  });

  it("re-sends a message that came early with its due time unchanged, however the clock moved", async () => {
    const { deliveryQueue, sent, advance, start } = setup();
    await deliveryQueue.park(received(), start + 7_200_000);
    advance(900_000);
    await deliveryQueue.hop(received(sent[0]?.message.attributes ?? {}));
    expect(sent[1]?.message).toEqual({
      body: "b",
      delaySeconds: 900,
      attributes: { [A.notBefore]: String(start + 7_200_000) },
    });
  });

  it("parks a message with every webhooks.* attribute it came with (a replay mark too), and no other", async () => {
    const { deliveryQueue, sent, start } = setup();
    await deliveryQueue.park(
      received({
        [A.attempt]: "2",
        [A.replayedAt]: "2026-11-24T10:00:00.000Z",
        "other.attr": "x",
        [A.detail]: undefined,
      }),
      start + 5_000,
    );
    expect(sent[0]?.message.attributes).toEqual({
      [A.attempt]: "2",
      [A.replayedAt]: "2026-11-24T10:00:00.000Z",
      [A.notBefore]: String(start + 5_000),
    });
  });

  it("sends a retry with the next attempt, the history, the last failure and its due time", async () => {
    const { deliveryQueue, sent, start } = setup();
    await deliveryQueue.retry(received({ [A.replayedAt]: "2026-11-24T10:00:00.000Z" }), {
      attempt: 3,
      subscriptionId: "billing",
      history: [
        { attempt: 1, at: start - 10_000, errorClass: "timeout" },
        { attempt: 2, at: start, status: 503 },
      ],
      last: { attempt: 2, at: start, status: 503 },
      detail: "x".repeat(1500),
      dueAt: start + 60_000,
    });
    expect(sent).toEqual([
      {
        url: "q://sub",
        message: {
          body: "b",
          delaySeconds: 60,
          attributes: {
            [A.attempt]: "3",
            [A.subscriptionId]: "billing",
            [A.history]: JSON.stringify([
              { n: 1, at: start - 10_000, e: "timeout" },
              { n: 2, at: start, s: 503 },
            ]),
            [A.lastStatus]: "503",
            [A.errorClass]: "http_status",
            [A.detail]: "x".repeat(1000),
            [A.notBefore]: String(start + 60_000),
          },
        },
      },
    ]);
  });

  it("dead-letters to the queue's DLQ with the reason, the attempt count and the last 10 attempts", async () => {
    const { deliveryQueue, sent, start } = setup();
    const history = Array.from({ length: 12 }, (_, i) => ({
      attempt: i + 1,
      at: start + i,
      errorClass: "network",
    }));
    await deliveryQueue.deadLetter(received(), {
      reason: "retries_exhausted",
      detail: "network: ECONNRESET",
      history,
      subscriptionId: "billing",
      last: history[11],
      failedAt: start,
    });
    expect(sent[0]?.url).toBe("q://sub-dlq");
    expect(sent[0]?.message).toEqual({
      body: "b",
      attributes: {
        [A.reason]: "retries_exhausted",
        [A.attempts]: "12",
        [A.detail]: "network: ECONNRESET",
        [A.failedAt]: new Date(start).toISOString(),
        [A.history]: JSON.stringify(
          history.slice(-10).map((a) => ({ n: a.attempt, at: a.at, e: a.errorClass })),
        ),
        [A.subscriptionId]: "billing",
        [A.errorClass]: "network",
      },
    });
  });

  it("dead-letters a message that was never attempted without history or last-attempt attributes", async () => {
    const { deliveryQueue, sent, start } = setup();
    await deliveryQueue.deadLetter(received({}, "garbage"), {
      reason: "invalid_message",
      detail: "not JSON",
      history: [],
      failedAt: start,
    });
    expect(sent[0]?.message).toEqual({
      body: "garbage",
      attributes: {
        [A.reason]: "invalid_message",
        [A.attempts]: "0",
        [A.detail]: "not JSON",
        [A.failedAt]: new Date(start).toISOString(),
      },
    });
  });
});

describe("SqsDeliveryQueue: an operator's resend", () => {
  it("reads the resend mark and keeps it on every message that continues the delivery", async () => {
    const { deliveryQueue, sent, start } = setup();
    const message = received({ [A.resendId]: "rsd_1" });
    expect(message.resendId).toBe("rsd_1");
    expect(received().resendId).toBeUndefined();
    await deliveryQueue.park(message, start + 1_000);
    await deliveryQueue.retry(message, {
      attempt: 2,
      subscriptionId: "billing",
      history: [{ attempt: 1, at: start, status: 503 }],
      last: { attempt: 1, at: start, status: 503 },
      detail: "HTTP 503",
      dueAt: start + 5_000,
    });
    await deliveryQueue.deadLetter(message, {
      reason: "retries_exhausted",
      detail: "HTTP 503",
      history: [{ attempt: 1, at: start, status: 503 }],
      subscriptionId: "billing",
      last: { attempt: 1, at: start, status: 503 },
      failedAt: start,
    });
    expect(sent.map((s) => [s.url, s.message.attributes?.[A.resendId]])).toEqual([
      ["q://sub", "rsd_1"],
      ["q://sub", "rsd_1"],
      ["q://sub-dlq", "rsd_1"],
    ]);
  });
});

describe("deliveryMessageOf", () => {
  it("reads the attempt number, the history and the due time from the message attributes", () => {
    expect(
      deliveryMessageOf({
        messageId: "m1",
        body: "b",
        queueName: "sub",
        attributes: {
          [A.attempt]: "3",
          [A.notBefore]: "1800000005000",
          [A.history]: JSON.stringify([
            { n: 1, at: 1, s: 500 },
            { n: 2, at: 2, e: "timeout" },
          ]),
        },
      }),
    ).toMatchObject({
      messageId: "m1",
      queueName: "sub",
      attempt: 3,
      dueAt: 1_800_000_005_000,
      history: [
        { attempt: 1, at: 1, status: 500 },
        { attempt: 2, at: 2, errorClass: "timeout" },
      ],
    });
  });

  it("treats a missing or unreadable attempt, history or due time as a first attempt due now", () => {
    for (const attributes of [
      {},
      { [A.attempt]: "zero", [A.history]: "{not json", [A.notBefore]: "soon" },
      { [A.attempt]: "-2", [A.history]: '{"n":1}' },
    ]) {
      const message = deliveryMessageOf({ messageId: "m", body: "b", queueName: "q", attributes });
      expect(message.attempt).toBe(1);
      expect(message.history).toEqual([]);
      expect(message.dueAt).toBeUndefined();
    }
  });
});
