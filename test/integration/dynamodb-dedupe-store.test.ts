import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoDbDedupeStore } from "../../shared/adapters/dynamodb-dedupe-store.js";
import { createDedupeTable, dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const table = uniqueName("dedupe");
const store = new DynamoDbDedupeStore(client, table);
const T0 = 1_800_000_000;
const claimAt = (key: string, nowSeconds: number, eventId = "evt_1") =>
  store.claim({ key, eventId, nowSeconds, leaseSeconds: 15, ttlSeconds: 3_600 });

beforeAll(() => createDedupeTable(client, table));

describe("DynamoDbDedupeStore (against DynamoDB Local)", () => {
  it("claims a key nobody has seen", async () => {
    const result = await claimAt(uniqueName("k"), T0);
    expect(result.status).toBe("claimed");
  });

  it("answers in-flight, with the time left on the lease, while another claim is pending", async () => {
    const key = uniqueName("k");
    await claimAt(key, T0);
    expect(await claimAt(key, T0 + 5)).toEqual({ status: "in-flight", retryAfterSeconds: 10 });
  });

  it("answers duplicate with the original event id once the claim is complete", async () => {
    const key = uniqueName("k");
    const claim = await claimAt(key, T0, "evt_original");
    if (claim.status !== "claimed") throw new Error("expected a claim");
    await store.complete({ key, token: claim.token });
    expect(await claimAt(key, T0 + 60, "evt_other")).toEqual({
      status: "duplicate",
      eventId: "evt_original",
    });
  });

  it("lets a retry take over a pending claim whose lease ran out (the first request died)", async () => {
    const key = uniqueName("k");
    await claimAt(key, T0);
    expect((await claimAt(key, T0 + 16)).status).toBe("claimed");
  });

  it("treats an item past its TTL as absent even before DynamoDB deletes it", async () => {
    const key = uniqueName("k");
    const claim = await claimAt(key, T0);
    if (claim.status !== "claimed") throw new Error("expected a claim");
    await store.complete({ key, token: claim.token });
    expect((await claimAt(key, T0 + 3_601)).status).toBe("claimed");
  });

  it("frees the key at once when a claim is released", async () => {
    const key = uniqueName("k");
    const claim = await claimAt(key, T0);
    if (claim.status !== "claimed") throw new Error("expected a claim");
    await store.release({ key, token: claim.token });
    expect((await claimAt(key, T0 + 1)).status).toBe("claimed");
  });

  it("does not let a stale token complete or release a claim that was taken over", async () => {
    const key = uniqueName("k");
    const first = await claimAt(key, T0);
    const second = await claimAt(key, T0 + 20);
    if (first.status !== "claimed" || second.status !== "claimed") throw new Error("expected two claims");
    await store.complete({ key, token: first.token });
    await store.release({ key, token: first.token });
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    expect(item.Item?.status?.S).toBe("pending");
    expect(item.Item?.token?.S).toBe(second.token);
  });

  it("stores the TTL attribute as epoch seconds the table's TTL can act on", async () => {
    const key = uniqueName("k");
    await claimAt(key, T0);
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    expect(item.Item?.expiresAt?.N).toBe(String(T0 + 3_600));
  });
});
