import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import type { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { CLOSED } from "../../shared/domain/circuit-breaker.js";
import { findSubscription } from "../../shared/use-cases/ops/deps.js";
import type { OpsUseCases } from "../../shared/use-cases/ops/ops-use-cases.js";
import {
  createSubscriptionOps,
  replayRefusal,
  requireHttp,
  statusOf,
} from "../../shared/use-cases/ops/subscriptions.js";
import { httpSubscription, opsConfig, opsStack, READER, WRITER } from "../support/ops-stack.js";

let store: DynamoDbDeliveryStore;
let ops: ReturnType<typeof createSubscriptionOps>;
let useCases: OpsUseCases;
let config: WebhooksConfig;
let stack: Awaited<ReturnType<typeof opsStack>>;
const T = new Date("2026-11-24T10:00:00Z");

beforeAll(async () => {
  stack = await opsStack(
    opsConfig([
      httpSubscription("billing", { rateLimitPerSecond: 5 }),
      httpSubscription("held", { paused: true }),
      httpSubscription("gone"),
      httpSubscription("quiet"),
      { id: "audit", target: { type: "queue" } },
    ]),
  );
  stack.setNow(T.getTime());
  store = stack.store;
  config = stack.config;
  ops = createSubscriptionOps(stack.deps);
  useCases = stack.useCases;
});

describe("ops subscription ids and state (against DynamoDB Local)", () => {
  it("checks an id against the config and names the known ones", async () => {
    expect(findSubscription(config, "audit").target.type).toBe("queue");
    expect(() => findSubscription(config, "nope")).toThrow(
      expect.objectContaining({
        code: "not_found",
        detail: "Unknown subscription 'nope'; known: billing, held, gone, quiet, audit",
      }),
    );
    await expect(useCases.pauseSubscription("nope", WRITER)).rejects.toMatchObject({ code: "not_found" });
    await expect(ops.subscriptionStatus("nope")).rejects.toMatchObject({ code: "not_found" });
  });

  it("says pause and resume do not apply to a queue subscription, and writes nothing", async () => {
    const audit = findSubscription(config, "audit");
    expect(() => requireHttp(audit, "pause")).toThrow(/^'audit' is a queue subscription/);
    await expect(useCases.pauseSubscription("audit", WRITER)).rejects.toMatchObject({
      code: "invalid_request",
    });
    await expect(useCases.resumeSubscription("audit", WRITER)).rejects.toMatchObject({
      code: "invalid_request",
    });
    expect(await store.subscriptionState("audit")).toEqual({ paused: false });
    expect(await ops.subscriptionStatus("audit")).toMatchObject({ target: "queue", state: "not-applicable" });
    expect(replayRefusal(await ops.subscriptionStatus("audit"))).toBeUndefined();
  });

  it("refuses a pause or resume by a read-only operator, and writes nothing", async () => {
    await expect(useCases.pauseSubscription("quiet", READER)).rejects.toMatchObject({
      code: "forbidden",
      detail: "test-viewer has read-only access; pausing a subscription needs an operator with write access.",
    });
    await expect(useCases.resumeSubscription("quiet", READER)).rejects.toMatchObject({ code: "forbidden" });
    expect(await store.subscriptionState("quiet")).toEqual({ paused: false });
  });

  it("refuses a replay while paused or disabled, and not once resumed", async () => {
    expect(replayRefusal(await ops.subscriptionStatus("billing"))).toBeUndefined();

    const paused = await ops.changeSubscription("billing", "pause", WRITER);
    expect(paused).toMatchObject({ changed: true, after: { state: "paused", pausedByOps: true } });
    expect(replayRefusal(await ops.subscriptionStatus("billing"))).toEqual({
      why: "paused",
      inConfig: false,
    });
    expect((await ops.changeSubscription("billing", "pause", WRITER)).changed).toBe(false);

    await store.setSubscriptionState("billing", { paused: true, disabledReason: "HTTP 410 Gone" });
    expect(await ops.subscriptionStatus("billing")).toMatchObject({
      state: "disabled",
      disabledReason: "HTTP 410 Gone",
    });
    expect(replayRefusal(await ops.subscriptionStatus("billing"))).toEqual({
      why: "disabled",
      detail: "HTTP 410 Gone",
    });

    const resumed = await ops.changeSubscription("billing", "resume", WRITER);
    expect(resumed).toMatchObject({
      changed: true,
      before: { state: "disabled", pausedByOps: true, disabledReason: "HTTP 410 Gone" },
      after: { state: "active", pausedByOps: false, rateLimitPerSecond: 5 },
    });
    expect(await store.subscriptionState("billing")).toEqual({ paused: false, changedAt: T.toISOString() });
    expect(replayRefusal(await ops.subscriptionStatus("billing"))).toBeUndefined();
    expect((await ops.changeSubscription("billing", "resume", WRITER)).changed).toBe(false);
  });

  it("keeps the receiver's reason when a disabled subscription is paused", async () => {
    await store.setSubscriptionState("gone", { paused: false, disabledReason: "webhook-delivery: disable" });
    await ops.changeSubscription("gone", "pause", WRITER);
    expect(await store.subscriptionState("gone")).toEqual({
      paused: true,
      disabledReason: "webhook-delivery: disable",
      changedAt: T.toISOString(),
    });
  });

  it("reports a pause that comes from the config, which ops cannot lift", async () => {
    const status = await ops.subscriptionStatus("held");
    expect(status).toMatchObject({ state: "paused", pausedByOps: false, pausedInConfig: true });
    expect(replayRefusal(status)).toEqual({ why: "paused", inConfig: true });
    expect(await ops.changeSubscription("held", "resume", WRITER)).toMatchObject({
      changed: false,
      after: { state: "paused" },
    });
    expect(statusOf(findSubscription(config, "held"), { paused: false }).pausedInConfig).toBe(true);
  });
});

describe("ops subscription health (against the emulators)", () => {
  it("shows each subscription's state, backlog, DLQ, last hour, breaker and last error", async () => {
    const now = T.getTime();
    await store.recordBatch(
      [],
      [
        {
          subscriptionId: "quiet",
          at: now - 30 * 60_000,
          delivered: 8,
          failed: 0,
          latenciesMs: [10, 20, 30, 40, 50, 60, 70, 80],
          batchKey: "a",
        },
        {
          subscriptionId: "quiet",
          at: now - 10 * 60_000,
          delivered: 1,
          failed: 1,
          latenciesMs: [90, 1000],
          lastError: "HTTP 503",
          batchKey: "b",
        },
        // Older than an hour: not counted.
        {
          subscriptionId: "quiet",
          at: now - 2 * 3_600_000,
          delivered: 50,
          failed: 50,
          latenciesMs: [5],
          batchKey: "c",
        },
      ],
      86_400,
    );
    await stack.deadLetter("quiet", "{}");
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl("quiet"), MessageBody: "x" }));
    await store.saveBreaker(
      "https://quiet.example.test",
      { ...CLOSED, state: "open", openUntil: now + 30_000, opens: 1 },
      0,
    );

    const health = await useCases.listSubscriptions();
    expect(health.map((h) => h.id)).toEqual(["billing", "held", "gone", "quiet", "audit"]);
    const quiet = health.find((h) => h.id === "quiet");
    expect(quiet).toEqual({
      id: "quiet",
      target: "http",
      url: "https://quiet.example.test/hook",
      state: "active",
      backlog: 1,
      dlqDepth: 1,
      lastHour: { delivered: 9, failed: 1, successRate: 0.9, p50Ms: 50, p99Ms: 1000 },
      breaker: { state: "open", openUntil: new Date(now + 30_000).toISOString() },
      lastError: `HTTP 503 at ${new Date(now - 10 * 60_000).toISOString()}`,
    });
    expect(health.find((h) => h.id === "held")).toMatchObject({ state: "paused", pausedBy: ["config"] });
    expect(health.find((h) => h.id === "gone")).toMatchObject({
      state: "disabled",
      pausedBy: ["ops"],
      disabledReason: "webhook-delivery: disable",
    });
    const audit = health.find((h) => h.id === "audit");
    expect(audit).toEqual({ id: "audit", target: "queue", state: "active", backlog: 0, dlqDepth: 0 });
    // No CloudWatch on the emulators: the oldest message age is left out, never guessed.
    expect(health.every((h) => h.oldestMessageAgeSeconds === undefined)).toBe(true);
  });

  it("returns the subscription's health after a pause or resume", async () => {
    const paused = await useCases.pauseSubscription("quiet", WRITER);
    expect(paused).toMatchObject({
      id: "quiet",
      state: "paused",
      pausedBy: ["ops"],
      changedAt: T.toISOString(),
    });
    const resumed = await useCases.resumeSubscription("quiet", WRITER);
    expect(resumed.state).toBe("active");
    expect(resumed.pausedBy).toBeUndefined();
  });
});
