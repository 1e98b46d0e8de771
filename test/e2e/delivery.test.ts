import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { ENV } from "../../shared/config/env.js";
import { collectMessages, dynamoDbClient, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { postTestWebhook, SINK_SECRET, SW_SOURCE, startTestPlatform } from "../support/test-platform.js";

const SECRET = SINK_SECRET;
const source = SW_SOURCE;
const sqs = sqsClient();
let sink: HttpSink;
let platform: LocalPlatform;
let store: DynamoDbDeliveryStore;

const subscription = (id: string, type: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  sources: ["sw"],
  eventTypes: [`${type}.*`],
  target: { type: "http", url: `${sink.url}${path}`, secret: SECRET },
  ...extra,
});

const post = (type: string) => postTestWebhook(platform, source, { type });

const deliveriesOf = (path: string, id: string) =>
  sink.receivedOn(path).filter((r) => r.headers["webhook-id"] === id);

beforeAll(async () => {
  sink = await startHttpSink((path) =>
    path === "/gone" ? { status: 410 } : path === "/flaky" ? { status: 502 } : { status: 200 },
  );
  platform = await startTestPlatform(
    "dlv",
    {
      sources: [source],
      subscriptions: [
        subscription("once", "once", "/once"),
        subscription("held", "held", "/held"),
        subscription("gone", "gone", "/gone"),
        subscription("flaky", "flaky", "/flaky", { retry: { scheduleSeconds: [1] } }),
      ],
    },
    { [ENV.pausedRecheckSeconds]: "1" },
  );
  store = new DynamoDbDeliveryStore(dynamoDbClient(), platform.topology.tables.delivery.name);
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

describe("delivery through the local platform", () => {
  it("never POSTs again when SQS redelivers a message whose POST already succeeded", async () => {
    const id = await post("once.created");
    const [first] = await eventually(() => {
      const got = deliveriesOf("/once", id);
      return got.length > 0 ? got : undefined;
    });
    // A copy of the same message, as SQS's at-least-once delivery may hand the consumer again.
    await sqs.send(new SendMessageCommand({ QueueUrl: platform.queues.once?.url, MessageBody: first?.body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: platform.queues.once?.url, MessageBody: first?.body }));
    await new Promise((r) => setTimeout(r, 2_500));
    expect(deliveriesOf("/once", id)).toHaveLength(1);
  });

  it("holds everything while a subscription is paused and delivers it after resume, losing nothing", async () => {
    await store.setSubscriptionState("held", { paused: true });
    const ids = [await post("held.a"), await post("held.b")];
    await new Promise((r) => setTimeout(r, 2_500));
    expect(sink.receivedOn("/held")).toHaveLength(0);
    await store.setSubscriptionState("held", { paused: false });
    await eventually(() => (ids.every((id) => deliveriesOf("/held", id).length === 1) ? true : undefined));
    expect(
      sink
        .receivedOn("/held")
        .map((r) => r.headers["webhook-id"])
        .sort(),
    ).toEqual([...ids].sort());
  });

  it("disables a subscription whose receiver answers 410 Gone and dead-letters later events without POSTing them", async () => {
    const first = await post("gone.one");
    const [dead] = await collectMessages(sqs, platform.queues.gone?.dlqUrl ?? "", {
      until: (all) => all.length > 0,
      timeoutMs: 15_000,
    });
    expect(dead?.MessageAttributes?.[A.reason]?.StringValue).toBe("subscription_disabled");
    expect((await store.subscriptionState("gone")).disabledReason).toContain("HTTP 410");
    const second = await post("gone.two");
    const [parked] = await collectMessages(sqs, platform.queues.gone?.dlqUrl ?? "", {
      until: (all) => all.length > 0,
      timeoutMs: 15_000,
    });
    expect(parked?.Body).toContain(second);
    expect(deliveriesOf("/gone", first)).toHaveLength(1);
    expect(deliveriesOf("/gone", second)).toHaveLength(0);
  });

  it("logs every attempt of an event, queryable per event and per subscription", async () => {
    const id = await post("flaky.x");
    await collectMessages(sqs, platform.queues.flaky?.dlqUrl ?? "", {
      until: (all) => all.length > 0,
      timeoutMs: 15_000,
    });
    const attempts = await store.attemptsForEvent(id);
    expect(attempts.map((a) => [a.attempt, a.status, a.result])).toEqual([
      [1, 502, "retry-scheduled"],
      [2, 502, "dead-lettered"],
    ]);
    const recent = await store.attemptsForSubscription("flaky", 10);
    expect(recent.filter((a) => a.eventId === id)).toHaveLength(2);
  });
});
