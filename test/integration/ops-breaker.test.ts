import { beforeAll, describe, expect, it } from "vitest";
import { createTable } from "../../local/provision.js";
import { breakerStatus, closeBreaker, destinationOf } from "../../ops/breaker.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { CLOSED } from "../../shared/domain/circuit-breaker.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const table = uniqueName("ops-breaker");
const store = new DynamoDbDeliveryStore(client, table);
const spec = buildTopology({ sources: [], subscriptions: [] }, { prefix: "x" }).tables.delivery;
const T0 = Date.parse("2026-11-24T10:00:00Z");

beforeAll(() => createTable(client, { ...spec, name: table }));

describe("ops breaker status / close (against DynamoDB Local)", () => {
  it("keys a breaker by the destination's origin and says how to write one", () => {
    expect(destinationOf("https://api.example.com:8443/hooks/in?x=1")).toBe("https://api.example.com:8443");
    expect(() => destinationOf("api.example.com")).toThrow(/not a URL: pass the subscription's target URL/);
  });

  it("shows an open breaker with its times, closes it, and then shows it closed", async () => {
    const url = `https://${uniqueName("dest")}.example/hook`;
    const origin = new URL(url).origin;
    const open = { ...CLOSED, state: "open" as const, openUntil: T0 + 30_000, opens: 2 };
    expect(await store.saveBreaker(origin, open, 0)).toBe(true);

    expect(await breakerStatus(store, url)).toEqual({
      destination: origin,
      state: "open",
      failures: 0,
      openUntil: "2026-11-24T10:00:30.000Z",
      opens: 2,
    });
    expect(await closeBreaker(store, url)).toMatchObject({ state: "open", opens: 2 });
    expect(await breakerStatus(store, origin)).toEqual({
      destination: origin,
      state: "closed",
      failures: 0,
      opens: 0,
    });
    expect((await store.breaker(origin)).state).toEqual(CLOSED);
  });

  it("shows a running failure-rate window", async () => {
    const origin = `https://${uniqueName("dest")}.example`;
    const windowed = { ...CLOSED, failures: 1, windowStart: T0, windowAttempts: 9, windowFailures: 4 };
    expect(await store.saveBreaker(origin, windowed, 0)).toBe(true);
    expect(await breakerStatus(store, origin)).toEqual({
      destination: origin,
      state: "closed",
      failures: 1,
      opens: 0,
      window: { since: "2026-11-24T10:00:00.000Z", attempts: 9, failures: 4 },
    });
  });
});
