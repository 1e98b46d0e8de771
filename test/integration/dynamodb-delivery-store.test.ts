import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTable } from "../../local/provision.js";
import { DynamoDbDeliveryStore, statsPartition } from "../../shared/adapters/dynamodb-delivery-store.js";
import { CLOSED } from "../../shared/domain/circuit-breaker.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const table = uniqueName("delivery");
const store = new DynamoDbDeliveryStore(client, table);
const T0 = 1_800_000_000_000;
const spec = buildTopology({ sources: [], subscriptions: [] }, { prefix: "x" }).tables.delivery;

beforeAll(() => createTable(client, { ...spec, name: table }));

describe("DynamoDbDeliveryStore (against DynamoDB Local)", () => {
  it("tells which of a batch's deliveries already succeeded, in one read, and forgets expired ones", async () => {
    const [a, b, c] = [uniqueName("evt"), uniqueName("evt"), uniqueName("evt")];
    const success = (eventId: string, subscriptionId: string, expiresAtSeconds: number) => ({
      attempt: {
        eventId,
        subscriptionId,
        attempt: 1,
        at: T0,
        latencyMs: 5,
        status: 200,
        result: "delivered" as const,
      },
      expiresAtSeconds,
    });
    await store.recordBatch(
      [
        success(a, "s", T0 / 1000 + 3_600),
        success(b, "s", T0 / 1000 + 3_600),
        success(c, "s", T0 / 1000 - 1),
      ],
      [],
      3_600,
    );
    const keys = [a, b, c].map((eventId) => ({ eventId, subscriptionId: "s" }));
    const found = await store.delivered([...keys, { eventId: a, subscriptionId: "other" }], T0);
    expect([...found].sort()).toEqual([`${a}#s`, `${b}#s`].sort());
    // The success record is its attempt's log entry.
    expect(await store.attemptsForEvent(a)).toEqual([success(a, "s", 0).attempt]);
  });

  it("records a resend's success apart from the event's, so neither stops the other", async () => {
    const eventId = uniqueName("evt");
    const attempt = (resendId?: string) => ({
      eventId,
      subscriptionId: "s",
      attempt: 1,
      at: T0,
      latencyMs: 5,
      status: 200,
      result: "delivered" as const,
      ...(resendId === undefined ? {} : { resendId }),
    });
    await store.recordBatch([{ attempt: attempt(), expiresAtSeconds: T0 / 1000 + 3_600 }], [], 3_600);
    const keys = [
      { eventId, subscriptionId: "s" },
      { eventId, subscriptionId: "s", resendId: "rsd_1" },
    ];
    expect([...(await store.delivered(keys, T0))]).toEqual([`${eventId}#s`]);
    await store.recordBatch(
      [{ attempt: { ...attempt("rsd_1"), at: T0 + 1 }, expiresAtSeconds: T0 / 1000 + 3_600 }],
      [],
      3_600,
    );
    expect([...(await store.delivered(keys, T0))].sort()).toEqual([`${eventId}#s`, `${eventId}#s#rsd_1`]);
    expect(await store.attemptsForEvent(eventId)).toEqual([attempt(), { ...attempt("rsd_1"), at: T0 + 1 }]);
  });

  it("keeps each batch's statistics per subscription and hour, and rewriting a batch replaces it", async () => {
    const sub = uniqueName("sub");
    const stats = {
      subscriptionId: sub,
      at: T0,
      delivered: 9,
      failed: 1,
      latenciesMs: [12, 15, 200],
      lastError: "HTTP 503",
      batchKey: "m-1",
    };
    await store.recordBatch([], [stats], 3_600);
    await store.recordBatch([], [stats], 3_600);
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: statsPartition(sub, T0) } },
      }),
    );
    expect(out.Items).toHaveLength(1);
    expect(out.Items?.[0]).toMatchObject({
      ok: { N: "9" },
      ko: { N: "1" },
      lat: { S: "[12,15,200]" },
      err: { S: "HTTP 503" },
    });
  });

  it("returns an event's failed attempts in order and a subscription's newest first", async () => {
    const eventId = uniqueName("evt");
    const sub = uniqueName("sub");
    for (const [attempt, status] of [
      [1, 500],
      [2, 503],
      [3, 502],
    ] as const) {
      await store.recordAttempt(
        {
          eventId,
          subscriptionId: sub,
          attempt,
          at: T0 + attempt * 1_000,
          latencyMs: 10 * attempt,
          status,
          result: "retry-scheduled",
        },
        86_400,
      );
    }
    const byEvent = await store.attemptsForEvent(eventId);
    expect(byEvent.map((a) => [a.attempt, a.status, a.result])).toEqual([
      [1, 500, "retry-scheduled"],
      [2, 503, "retry-scheduled"],
      [3, 502, "retry-scheduled"],
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
