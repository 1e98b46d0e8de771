import { beforeAll, describe, expect, it } from "vitest";
import { createDeliveryTable } from "../../local/provision.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { CLOSED } from "../../shared/domain/circuit-breaker.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const table = uniqueName("delivery");
const store = new DynamoDbDeliveryStore(client, table);
const T0 = 1_800_000_000_000;
const spec = buildTopology({ sources: [], subscriptions: [] }, { prefix: "x" }).deliveryTable;

beforeAll(() => createDeliveryTable(client, { ...spec, name: table }));

describe("DynamoDbDeliveryStore (against DynamoDB Local)", () => {
  it("lets one attempt at a time hold an (event, subscription) and refuses all after a success", async () => {
    const eventId = uniqueName("evt");
    const first = await store.begin({ eventId, subscriptionId: "s", nowMs: T0, leaseSeconds: 60 });
    if (first.status !== "go") throw new Error("expected the lease");
    expect(await store.begin({ eventId, subscriptionId: "s", nowMs: T0 + 1_000, leaseSeconds: 60 })).toEqual({
      status: "busy",
      retryAfterSeconds: 59,
    });
    expect(
      (await store.begin({ eventId, subscriptionId: "other", nowMs: T0, leaseSeconds: 60 })).status,
    ).toBe("go");
    await store.recordSuccess({
      eventId,
      subscriptionId: "s",
      expiresAtSeconds: T0 / 1000 + 3_600,
      attempt: {
        eventId,
        subscriptionId: "s",
        attempt: 1,
        at: T0,
        latencyMs: 5,
        status: 200,
        result: "delivered",
      },
      attemptTtlSeconds: 3_600,
    });
    expect(
      await store.begin({ eventId, subscriptionId: "s", nowMs: T0 + 120_000, leaseSeconds: 60 }),
    ).toEqual({
      status: "delivered",
    });
  });

  it("frees the lease when an attempt failed, and after the lease ran out when one died", async () => {
    const eventId = uniqueName("evt");
    const first = await store.begin({ eventId, subscriptionId: "s", nowMs: T0, leaseSeconds: 60 });
    if (first.status !== "go") throw new Error("expected the lease");
    await store.release({ eventId, subscriptionId: "s", token: first.token });
    const second = await store.begin({ eventId, subscriptionId: "s", nowMs: T0 + 1, leaseSeconds: 60 });
    expect(second.status).toBe("go");
    expect(
      (await store.begin({ eventId, subscriptionId: "s", nowMs: T0 + 61_000, leaseSeconds: 60 })).status,
    ).toBe("go");
  });

  it("returns an event's attempts in order and a subscription's newest first", async () => {
    const eventId = uniqueName("evt");
    const sub = uniqueName("sub");
    for (const [attempt, status] of [
      [1, 500],
      [2, 503],
      [3, 200],
    ] as const) {
      await store.recordAttempt(
        {
          eventId,
          subscriptionId: sub,
          attempt,
          at: T0 + attempt * 1_000,
          latencyMs: 10 * attempt,
          status,
          result: status === 200 ? "delivered" : "retry-scheduled",
        },
        86_400,
      );
    }
    const byEvent = await store.attemptsForEvent(eventId);
    expect(byEvent.map((a) => [a.attempt, a.status, a.result])).toEqual([
      [1, 500, "retry-scheduled"],
      [2, 503, "retry-scheduled"],
      [3, 200, "delivered"],
    ]);
    const bySubscription = await store.attemptsForSubscription(sub, 2);
    expect(bySubscription.map((a) => a.attempt)).toEqual([3, 2]);
  });

  it("keeps a subscription's paused and disabled state", async () => {
    const sub = uniqueName("sub");
    expect(await store.subscriptionState(sub)).toEqual({ paused: false });
    await store.setSubscriptionState(sub, { paused: true, changedAt: "2026-11-24T10:00:00.000Z" });
    expect(await store.subscriptionState(sub)).toEqual({
      paused: true,
      changedAt: "2026-11-24T10:00:00.000Z",
    });
    await store.setSubscriptionState(sub, {
      paused: false,
      disabledReason: "HTTP 410",
      changedAt: "2026-11-24T11:00:00.000Z",
    });
    expect(await store.subscriptionState(sub)).toMatchObject({ paused: false, disabledReason: "HTTP 410" });
  });
  it("keeps a destination's breaker, every field included, and refuses a stale compare-and-set", async () => {
    const destination = `https://${uniqueName("dest")}.example`;
    const fresh = await store.breaker(destination);
    expect(fresh).toEqual({ state: CLOSED, version: 0 });
    const windowed = { ...CLOSED, failures: 2, windowStart: T0, windowAttempts: 7, windowFailures: 3 };
    expect(await store.saveBreaker(destination, windowed, 0)).toBe(true);
    expect(await store.saveBreaker(destination, CLOSED, 0)).toBe(false); // someone else got there first
    expect(await store.breaker(destination)).toEqual({ state: windowed, version: 1 });
    const open = { ...CLOSED, state: "open" as const, openUntil: T0 + 30_000, opens: 1 };
    expect(await store.saveBreaker(destination, open, 1)).toBe(true);
    expect(await store.saveBreaker(destination, windowed, 1)).toBe(false);
    expect(await store.breaker(destination)).toEqual({ state: open, version: 2 });
  });
});
