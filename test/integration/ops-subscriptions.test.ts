import { beforeAll, describe, expect, it } from "vitest";
import { createTable } from "../../local/provision.js";
import { OpsError } from "../../ops/errors.js";
import {
  findSubscription,
  pauseSubscription,
  replayRefusal,
  requireHttp,
  resumeSubscription,
  subscriptionStatus,
} from "../../ops/subscriptions.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { parseConfig } from "../../shared/config/load-config.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const table = uniqueName("ops-subs");
const store = new DynamoDbDeliveryStore(client, table);
const spec = buildTopology({ sources: [], subscriptions: [] }, { prefix: "x" }).tables.delivery;
const target = {
  type: "http",
  url: "https://api.example.com/hook",
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
};
const config = parseConfig({
  sources: [],
  subscriptions: [
    { id: "billing", target, rateLimitPerSecond: 5 },
    { id: "held", target, paused: true },
    { id: "audit", target: { type: "queue" } },
  ],
});
const T = new Date("2026-11-24T10:00:00Z");

beforeAll(() => createTable(client, { ...spec, name: table }));

/** A subscription of the config under a fresh id, so tests never share its stored state. */
const fresh = (id: "billing" | "held") => ({ ...findSubscription(config, id), id: uniqueName(id) });

function opsError(run: () => unknown): OpsError {
  try {
    run();
  } catch (error) {
    if (error instanceof OpsError) return error;
    throw error;
  }
  throw new Error("expected an OpsError");
}

describe("ops subscription ids and state (against DynamoDB Local)", () => {
  it("checks an id against the config and names the known ones", () => {
    expect(findSubscription(config, "audit").target.type).toBe("queue");
    const unknown = opsError(() => findSubscription(config, "nope"));
    expect(unknown.message).toBe("Unknown subscription 'nope'; known: billing, held, audit");
    expect(unknown).toMatchObject({ code: "unknown_subscription", exitCode: 2 });
    const none = opsError(() => findSubscription(parseConfig({ sources: [], subscriptions: [] }), "x"));
    expect(none.message).toContain("known: none");
  });

  it("says pause and resume do not apply to a queue subscription, and writes nothing", async () => {
    const audit = findSubscription(config, "audit");
    expect(opsError(() => requireHttp(audit, "pause")).message).toMatch(/^'audit' is a queue subscription/);
    await expect(pauseSubscription(store, audit, T)).rejects.toMatchObject({ code: "not_applicable" });
    await expect(resumeSubscription(store, audit, T)).rejects.toMatchObject({ code: "not_applicable" });
    expect(await store.subscriptionState("audit")).toEqual({ paused: false });
    expect(await subscriptionStatus(store, audit)).toMatchObject({
      target: "queue",
      state: "not-applicable",
    });
    expect(replayRefusal(await subscriptionStatus(store, audit))).toBeUndefined();
  });

  it("refuses a replay while paused or disabled, and not once resumed", async () => {
    const sub = fresh("billing");
    expect(replayRefusal(await subscriptionStatus(store, sub))).toBeUndefined();

    const paused = await pauseSubscription(store, sub, T);
    expect(paused).toMatchObject({ changed: true, after: { state: "paused", pausedByOps: true } });
    expect(replayRefusal(await subscriptionStatus(store, sub))).toEqual({ why: "paused", inConfig: false });
    expect((await pauseSubscription(store, sub, T)).changed).toBe(false);

    await store.setSubscriptionState(sub.id, { paused: true, disabledReason: "HTTP 410 Gone" });
    expect(await subscriptionStatus(store, sub)).toMatchObject({
      state: "disabled",
      disabledReason: "HTTP 410 Gone",
    });
    expect(replayRefusal(await subscriptionStatus(store, sub))).toEqual({
      why: "disabled",
      detail: "HTTP 410 Gone",
    });

    const resumed = await resumeSubscription(store, sub, T);
    expect(resumed).toMatchObject({
      changed: true,
      before: { state: "disabled", pausedByOps: true, disabledReason: "HTTP 410 Gone" },
      after: { state: "active", pausedByOps: false, rateLimitPerSecond: 5 },
    });
    expect(await store.subscriptionState(sub.id)).toEqual({ paused: false, changedAt: T.toISOString() });
    expect(replayRefusal(await subscriptionStatus(store, sub))).toBeUndefined();
    expect((await resumeSubscription(store, sub, T)).changed).toBe(false);
  });

  it("keeps the receiver's reason when a disabled subscription is paused", async () => {
    const sub = fresh("billing");
    await store.setSubscriptionState(sub.id, { paused: false, disabledReason: "webhook-delivery: disable" });
    await pauseSubscription(store, sub, T);
    expect(await store.subscriptionState(sub.id)).toEqual({
      paused: true,
      disabledReason: "webhook-delivery: disable",
      changedAt: T.toISOString(),
    });
  });

  it("reports a pause that comes from the config, which ops cannot lift", async () => {
    const sub = fresh("held");
    const status = await subscriptionStatus(store, sub);
    expect(status).toMatchObject({ state: "paused", pausedByOps: false, pausedInConfig: true });
    expect(replayRefusal(status)).toEqual({ why: "paused", inConfig: true });
    expect(await resumeSubscription(store, sub, T)).toMatchObject({
      changed: false,
      after: { state: "paused" },
    });
  });
});
