import { describe, expect, it } from "vitest";
import { CachingSecretResolver } from "../../../shared/adapters/secret-resolver.js";
import { parseConfig } from "../../../shared/config/load-config.js";
import type { HttpTarget, SubscriptionConfig } from "../../../shared/config/schema.js";
import { DELIVERY_ATTRIBUTES as A } from "../../../shared/domain/delivery-attributes.js";
import type { AttemptOutcome } from "../../../shared/domain/delivery-policy.js";
import type { HttpRequest } from "../../../shared/ports/http-sender.js";
import type { OutboundMessage } from "../../../shared/ports/message-queue.js";
import { createDeliverEvents, type DeliveryRecord } from "../../../shared/use-cases/deliver-events.js";
import { standardWebhooksVerifier } from "../../../shared/verify/standard-webhooks.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const config = parseConfig({
  sources: [],
  subscriptions: [
    {
      id: "billing",
      target: { type: "http", url: "https://example.test/hook", secret: SECRET },
      retry: { scheduleSeconds: [5, 3600] },
    },
  ],
});
const subscription = config.subscriptions[0] as SubscriptionConfig & { target: HttpTarget };
const NOW = Date.parse("2026-11-24T10:00:00Z");
const event = JSON.stringify({
  specversion: "1.0",
  id: "evt_abc",
  source: "/webhooks/stripe",
  type: "invoice.paid",
  time: "2026-11-24T09:59:59Z",
  datacontenttype: "application/json",
  data: { a: 1 },
  webhooksourceid: "stripe",
  webhookprovider: "stripe",
});

/** In-memory ports: this tests the use case's decisions; adapters are tested against the emulators. */
function harness(outcome: AttemptOutcome) {
  const sent: { url: string; message: OutboundMessage }[] = [];
  const posts: HttpRequest[] = [];
  const deliver = createDeliverEvents({
    subscriptionFor: (name) => (name === "p-sub-billing" ? subscription : undefined),
    queueUrlFor: (name) => `q://${name}`,
    dlqNameFor: (name) => `${name}-dlq`,
    http: {
      post: async (request) => {
        posts.push(request);
        return outcome;
      },
    },
    queue: { send: async (url, message) => void sent.push({ url, message }), sendBatch: async () => [] },
    secrets: new CachingSecretResolver(),
    clock: { now: () => NOW },
    random: () => 0.5,
    userAgent: "test",
  });
  return { deliver, sent, posts };
}

const record = (attributes: Record<string, string> = {}, queueName = "p-sub-billing"): DeliveryRecord => ({
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
    expect(result?.result).toBe("waiting");
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
    const [result] = await deliver([record({ [A.attempt]: "3" })]);
    expect(result).toMatchObject({ result: "dead-lettered", reason: "retries_exhausted" });
    expect(sent[0]?.url).toBe("q://p-sub-billing-dlq");
    expect(sent[0]?.message.attributes).toMatchObject({
      [A.reason]: "retries_exhausted",
      [A.attempts]: "3",
      [A.errorClass]: "timeout",
      [A.subscriptionId]: "billing",
    });
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
    const failing = createDeliverEvents({
      subscriptionFor: () => subscription,
      queueUrlFor: (n) => n,
      dlqNameFor: (n) => n,
      http: { post: async () => ({ kind: "response", status: 500, latencyMs: 1 }) },
      queue: { send: async () => Promise.reject(new Error("SQS down")), sendBatch: async () => [] },
      secrets: new CachingSecretResolver(),
      clock: { now: () => NOW },
      random: () => 0.5,
      userAgent: "test",
    });
    expect((await failing([record()]))[0]?.result).toBe("failed");
    expect((await deliver([record()]))[0]?.result).toBe("retry-scheduled");
  });
});
