import { describe, expect, it } from "vitest";
import { SqsRedelivery } from "../../../shared/adapters/sqs-redelivery.js";
import { DELIVERY_ATTRIBUTES as A } from "../../../shared/domain/delivery-attributes.js";
import type { MessageQueue, OutboundMessage } from "../../../shared/ports/message-queue.js";

function setup(maxHopSeconds?: number) {
  let now = 1_800_000_000_000;
  const sent: { url: string; message: OutboundMessage }[] = [];
  const queue: MessageQueue = {
    send: async (url, message) => void sent.push({ url, message }),
    sendBatch: async () => [],
  };
  const redelivery = new SqsRedelivery(queue, (name) => `q://${name}`, { now: () => now }, maxHopSeconds);
  return { redelivery, sent, advance: (ms: number) => (now += ms), start: now };
}

describe("SqsRedelivery", () => {
  it("holds a long wait with SQS's 15-minute delay and stamps the real due time on the message", async () => {
    const { redelivery, sent, start } = setup();
    await redelivery.later({
      queueName: "sub",
      body: "b",
      attributes: { [A.attempt]: "4" },
      dueAt: start + 7_200_000,
    });
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
    const { redelivery, sent, advance, start } = setup();
    await redelivery.later({ queueName: "sub", body: "b", attributes: {}, dueAt: start + 7_200_000 });
    const attributes = sent[0]?.message.attributes ?? {};
    advance(900_000);
    expect(redelivery.remainingSeconds(attributes)).toBe(6_300);
    advance(6_299_500);
    expect(redelivery.remainingSeconds(attributes)).toBe(0);
    expect(redelivery.remainingSeconds({})).toBe(0);
  });

  it("sends at once and leaves the due time to decide when hops are turned off (a driven clock)", async () => {
    const { redelivery, sent, start } = setup(0);
    await redelivery.later({ queueName: "sub", body: "b", attributes: {}, dueAt: start + 86_400_000 });
    expect(sent[0]?.message.delaySeconds).toBe(0);
    expect(redelivery.remainingSeconds(sent[0]?.message.attributes ?? {})).toBe(86_400);
  });

  it("re-sends a message that came early with its due time unchanged, however the clock moved", async () => {
    const { redelivery, sent, advance, start } = setup();
    await redelivery.later({ queueName: "sub", body: "b", attributes: {}, dueAt: start + 7_200_000 });
    advance(900_000);
    await redelivery.hop({ queueName: "sub", body: "b", attributes: sent[0]?.message.attributes ?? {} });
    expect(sent[1]?.message).toEqual({
      body: "b",
      delaySeconds: 900,
      attributes: { [A.notBefore]: String(start + 7_200_000) },
    });
  });
});
