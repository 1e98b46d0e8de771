import type { Message } from "@aws-sdk/client-sqs";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { queueUrlsByLookup, SqsSubscriptionQueues } from "../../shared/adapters/sqs-subscription-queues.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { replayDeadLetters } from "../../shared/use-cases/ops/dead-letters.js";
import { collectMessages, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { startTestPlatform } from "../support/test-platform.js";

const OUTBOUND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const sqs = sqsClient();
let sink: HttpSink;
let platform: LocalPlatform;
const auditMessages: Message[] = [];
let healed = false;

const sources = {
  stripe: { id: "stripe", provider: "stripe" as const, secrets: ["whsec_e2e_stripe"] },
  gh: { id: "gh", provider: "github" as const, secrets: ["e2e-github-secret"] },
  sw: {
    id: "sw",
    provider: "standard-webhooks" as const,
    secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
  },
};

async function post(sourceId: string, request: { headers: Record<string, string>; body: string }) {
  const response = await fetch(`${platform.ingestUrl}${sourceId}`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Drains the audit queue (it subscribes to everything) into `auditMessages` and finds one event. */
async function auditEvent(eventId: string, timeoutMs = 10_000) {
  const idOf = (m: Message) => parseCloudEvent(m.Body ?? "").id;
  const seen = auditMessages.find((m) => idOf(m) === eventId);
  if (seen) return seen;
  const url = platform.queues.audit?.url ?? "";
  const got = await collectMessages(sqs, url, {
    timeoutMs,
    until: (all) => all.some((m) => idOf(m) === eventId),
  });
  auditMessages.push(...got);
  return auditMessages.find((m) => idOf(m) === eventId);
}

beforeAll(async () => {
  sink = await startHttpSink((path) =>
    path.startsWith("/repair")
      ? { status: healed ? 200 : 503 }
      : path.startsWith("/fail")
        ? { status: 500 }
        : path.startsWith("/reject")
          ? { status: 400 }
          : { status: 200 },
  );
  platform = await startTestPlatform("e2e", {
    sources: Object.values(sources),
    subscriptions: [
      {
        id: "billing",
        sources: ["stripe", "sw"],
        eventTypes: ["invoice.*"],
        target: { type: "http", url: `${sink.url}/billing`, secret: OUTBOUND_SECRET },
      },
      {
        id: "flaky",
        sources: ["sw"],
        eventTypes: ["flaky.*"],
        target: { type: "http", url: `${sink.url}/fail`, secret: OUTBOUND_SECRET },
        retry: { scheduleSeconds: [1, 1] },
      },
      {
        id: "strict",
        sources: ["sw"],
        eventTypes: ["strict.*"],
        target: { type: "http", url: `${sink.url}/reject`, secret: OUTBOUND_SECRET },
      },
      {
        id: "repairable",
        sources: ["sw"],
        eventTypes: ["repair.*"],
        target: { type: "http", url: `${sink.url}/repair`, secret: OUTBOUND_SECRET },
        retry: { scheduleSeconds: [] },
      },
      { id: "audit", target: { type: "queue" } },
    ],
  });
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

describe("the local platform, end to end", () => {
  it("delivers a signed Stripe webhook to its HTTP subscriber once, with a valid Standard Webhooks signature", async () => {
    const accepted = await post("stripe", signedTestWebhook(sources.stripe));
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;
    const delivery = await eventually(() =>
      sink.receivedOn("/billing").find((r) => r.headers["webhook-id"] === id),
    );

    const verified = new Webhook(OUTBOUND_SECRET).verify(delivery.body, {
      "webhook-id": String(delivery.headers["webhook-id"]),
      "webhook-timestamp": String(delivery.headers["webhook-timestamp"]),
      "webhook-signature": String(delivery.headers["webhook-signature"]),
    }) as { id: string; type: string };
    expect(verified).toMatchObject({ id, type: "invoice.paid", specversion: "1.0" });
  });

  it("acknowledges the same webhook sent again with the same id and does not deliver it again", async () => {
    const request = signedTestWebhook(sources.sw);
    const first = await post("sw", request);
    const again = await post("sw", request);
    expect(again).toEqual({ status: 202, body: { id: first.body.id, duplicate: true } });
    await eventually(() =>
      sink.receivedOn("/billing").find((r) => r.headers["webhook-id"] === first.body.id),
    );
    // Give a wrongly enqueued copy time to arrive; the audit queue sees every event, so count there too.
    await auditEvent(first.body.id as string);
    await new Promise((r) => setTimeout(r, 1_500));
    await auditEvent("none", 1_000);
    expect(sink.receivedOn("/billing").filter((r) => r.headers["webhook-id"] === first.body.id)).toHaveLength(
      1,
    );
    expect(auditMessages.filter((m) => parseCloudEvent(m.Body ?? "").id === first.body.id)).toHaveLength(1);
  });

  it("answers 202 to webhooks whose delivery id is 3,000 characters, and a duplicate to their retries", async () => {
    for (const source of [sources.sw, sources.gh, sources.stripe]) {
      const deliveryId = `long-${source.id}-${"z".repeat(2_990)}`;
      const request = signedTestWebhook(source, { deliveryId, data: { long: source.id, at: Date.now() } });
      const first = await post(source.id, request);
      expect(first.status, source.id).toBe(202);
      expect(await post(source.id, request)).toEqual({
        status: 202,
        body: { id: first.body.id, duplicate: true },
      });
      const event = parseCloudEvent((await auditEvent(first.body.id as string))?.Body ?? "");
      expect(event.webhookdeliveryid).toBe(deliveryId);
    }
  });

  it("answers a bad signature with a uniform 401 and enqueues nothing", async () => {
    const request = signedTestWebhook(sources.gh, { type: "issues.opened" });
    const forged = { ...request, body: request.body.replace("Test", "Tampered") };
    const rejected = await post("gh", forged);
    expect(rejected).toEqual({
      status: 401,
      body: { code: "invalid_signature", detail: "The webhook signature could not be verified." },
    });
    const deliveryId = request.headers["x-github-delivery"];
    await auditEvent("none", 2_000);
    expect(auditMessages.some((m) => parseCloudEvent(m.Body ?? "").webhookdeliveryid === deliveryId)).toBe(
      false,
    );
  });

  it("hands every subscription queue a CloudEvents 1.0 structured event with our extensions", async () => {
    const request = signedTestWebhook(sources.gh, { type: "issues.closed" });
    const accepted = await post("gh", request);
    const message = await auditEvent(accepted.body.id as string);
    const event = JSON.parse(message?.Body ?? "{}");
    expect(event).toEqual({
      specversion: "1.0",
      id: accepted.body.id,
      source: "/webhooks/gh",
      type: "issues.closed",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      datacontenttype: "application/json",
      data: JSON.parse(request.body),
      webhooksourceid: "gh",
      webhookprovider: "github",
      webhookdeliveryid: request.headers["x-github-delivery"],
    });
  });

  it("retries a failing subscriber on its schedule, then parks the event in the DLQ with the reason", async () => {
    const accepted = await post("sw", signedTestWebhook(sources.sw, { type: "flaky.thing" }));
    const id = accepted.body.id as string;
    const [dead] = await collectMessages(sqs, platform.queues.flaky?.dlqUrl ?? "", {
      timeoutMs: 20_000,
      until: (all) => all.length > 0,
    });
    const attempts = sink.receivedOn("/fail").filter((r) => r.headers["webhook-id"] === id);
    expect(attempts).toHaveLength(3);
    expect(parseCloudEvent(dead?.Body ?? "").id).toBe(id);
    const attr = (name: string) => dead?.MessageAttributes?.[name]?.StringValue;
    expect(attr(A.reason)).toBe("retries_exhausted");
    expect(attr(A.attempts)).toBe("3");
    expect(attr(A.lastStatus)).toBe("500");
    expect(attr(A.subscriptionId)).toBe("flaky");
  });

  it("dead-letters at once, without retrying, when the subscriber answers a permanent 4xx", async () => {
    const accepted = await post("sw", signedTestWebhook(sources.sw, { type: "strict.thing" }));
    const [dead] = await collectMessages(sqs, platform.queues.strict?.dlqUrl ?? "", {
      timeoutMs: 15_000,
      until: (all) => all.length > 0,
    });
    expect(dead?.MessageAttributes?.[A.reason]?.StringValue).toBe("permanent_failure");
    expect(dead?.MessageAttributes?.[A.lastStatus]?.StringValue).toBe("400");
    expect(
      sink.receivedOn("/reject").filter((r) => r.headers["webhook-id"] === accepted.body.id),
    ).toHaveLength(1);
  });

  it("answers an unknown source with 404 and an oversized body with 413, each as { code, detail }", async () => {
    const unknown = await post("nope", signedTestWebhook(sources.gh));
    expect(unknown).toEqual({
      status: 404,
      body: { code: "unknown_source", detail: expect.stringContaining("nope") },
    });
    const big = signedTestWebhook(sources.gh, { data: { blob: "x".repeat(300 * 1024) } });
    const tooLarge = await post("gh", big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toEqual({ code: "payload_too_large", detail: expect.stringContaining("262144") });
  });

  it("redelivers dead-lettered events under the same id when ops replay the DLQ", async () => {
    const accepted = await post("sw", signedTestWebhook(sources.sw, { type: "repair.me" }));
    const prefix = platform.topology.prefix;
    const deadLetters = new SqsSubscriptionQueues(sqs, prefix, queueUrlsByLookup(sqs, prefix));
    await eventually(async () => ((await deadLetters.depth("repairable")).total > 0 ? true : undefined));
    healed = true;
    const {
      report: { moved: replayed },
    } = await replayDeadLetters(deadLetters, "repairable", { max: 10, now: Date.now });
    expect(replayed.map((m) => m.eventId)).toEqual([accepted.body.id]);
    expect(replayed[0]).toMatchObject({ reason: "retries_exhausted", lastStatus: 503 });
    const attempts = await eventually(() => {
      const got = sink.receivedOn("/repair").filter((r) => r.headers["webhook-id"] === accepted.body.id);
      return got.length === 2 ? got : undefined;
    });
    expect(attempts).toHaveLength(2);
    expect((await deadLetters.depth("repairable")).total).toBe(0);
  });
});
