import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { CLOSED } from "../../shared/domain/circuit-breaker.js";
import { createSubscriptionOps, destinationOf } from "../../shared/use-cases/ops/subscriptions.js";
import { uniqueName } from "../support/aws.js";
import { opsConfig, opsStack, READER, WRITER } from "../support/ops-stack.js";

const T0 = Date.parse("2026-11-24T10:00:00Z");
let store: DynamoDbDeliveryStore;
let ops: ReturnType<typeof createSubscriptionOps>;
const breakerStatus = (url: string) => ops.breakerStatus(url);

beforeAll(async () => {
  const stack = await opsStack(opsConfig([]));
  store = stack.store;
  ops = createSubscriptionOps(stack.deps);
});

describe("ops breaker status / close (against DynamoDB Local)", () => {
  it("keys a breaker by the destination's origin and says how to write one", () => {
    expect(destinationOf("https://api.example.com:8443/hooks/in?x=1")).toBe("https://api.example.com:8443");
    expect(() => destinationOf("api.example.com")).toThrow(/not a URL: pass the subscription's target URL/);
    expect(() => destinationOf("api.example.com")).toThrow(
      expect.objectContaining({ code: "invalid_request" }),
    );
  });

  it("shows an open breaker with its times, closes it, and then shows it closed", async () => {
    const url = `https://${uniqueName("dest")}.example/hook`;
    const origin = new URL(url).origin;
    const open = { ...CLOSED, state: "open" as const, openUntil: T0 + 30_000, opens: 2 };
    expect(await store.saveBreaker(origin, open, 0)).toBe(true);

    expect(await breakerStatus(url)).toEqual({
      destination: origin,
      state: "open",
      failures: 0,
      openUntil: "2026-11-24T10:00:30.000Z",
      opens: 2,
    });
    await expect(ops.closeBreaker(url, READER)).rejects.toMatchObject({
      code: "forbidden",
      detail: "test-viewer has read-only access; closing a breaker needs an operator with write access.",
    });
    expect((await store.breaker(origin)).state.state).toBe("open");
    expect(await ops.closeBreaker(url, WRITER)).toEqual({
      destination: origin,
      state: "open",
      failures: 0,
      openUntil: "2026-11-24T10:00:30.000Z",
      opens: 2,
    });
    expect(await breakerStatus(origin)).toEqual({
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
    expect(await breakerStatus(origin)).toEqual({
      destination: origin,
      state: "closed",
      failures: 1,
      opens: 0,
      window: { since: "2026-11-24T10:00:00.000Z", attempts: 9, failures: 4 },
    });
  });
});
