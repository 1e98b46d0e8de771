import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { ENV } from "../../shared/config/env.js";
import { dynamoDbClient, emulatorEndpoints, messagesIn, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { jsonLines, runOpsCli } from "../support/ops-cli.js";
import { postTestWebhook, SINK_SECRET, SW_SOURCE, startTestPlatform } from "../support/test-platform.js";

/**
 * `npm run ops` as an operator runs it against a deployed stack (`--prefix`, `--config`), pointed at
 * the local platform's emulators with WEBHOOKS_SQS_ENDPOINT / WEBHOOKS_DYNAMODB_ENDPOINT.
 */
const SECRET = SINK_SECRET;
const source = SW_SOURCE;
const sqs = sqsClient();
let sink: HttpSink;
let platform: LocalPlatform;
let store: DynamoDbDeliveryStore;
let healed = false;
let laterHealed = false;

const http = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  sources: ["sw"],
  eventTypes: [`${id}.*`],
  target: { type: "http", url: `${sink.url}${path}`, secret: SECRET },
  ...extra,
});

const post = (type: string) => postTestWebhook(platform, source, { type });

const ops = (...args: string[]) => {
  const endpoints = emulatorEndpoints();
  return runOpsCli([...args, "--prefix", platform.topology.prefix, "--config", platform.configPath], {
    [ENV.sqsEndpoint]: endpoints.sqs,
    [ENV.dynamodbEndpoint]: endpoints.dynamodb,
    // Never the developer's own `npm start` state.
    WEBHOOKS_LOCAL_STATE: join(platform.configPath, "..", "no-stack.json"),
  });
};

const deliveriesOf = (path: string, id: string) =>
  sink.receivedOn(path).filter((r) => r.headers["webhook-id"] === id);

beforeAll(async () => {
  sink = await startHttpSink((path) =>
    path === "/gone"
      ? { status: 410 }
      : path === "/repair"
        ? { status: healed ? 200 : 503 }
        : path === "/later"
          ? { status: laterHealed ? 200 : 503 }
          : { status: 200 },
  );
  platform = await startTestPlatform("ops", {
    sources: [source],
    subscriptions: [
      http("gone", "/gone"),
      http("repair", "/repair", { retry: { scheduleSeconds: [] } }),
      http("calm", "/calm", { rateLimitPerSecond: 5 }),
      http("frozen", "/frozen", { paused: true }),
      { id: "audit", sources: ["sw"], eventTypes: ["audit.*"], target: { type: "queue" } },
      http("later", "/later", { retry: { scheduleSeconds: [] } }),
    ],
  });
  store = new DynamoDbDeliveryStore(dynamoDbClient(), platform.topology.tables.delivery.name);
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

describe("npm run ops through the local platform", () => {
  it("prints the usage, without an error, for no arguments and for --help", async () => {
    for (const args of [[], ["--help"], ["-h"], ["help"]]) {
      const run = await runOpsCli(args);
      expect(run.code, args.join(" ")).toBe(0);
      expect(run.stdout).toMatch(/^Usage: npm run ops -- <command>/);
      expect(run.stdout + run.stderr).not.toContain("Unknown command");
    }
  });

  it("refuses to replay a disabled subscription's DLQ, and with --force replays its one message exactly once", async () => {
    const id = await post("gone.one");
    const dlqUrl = platform.queues.gone?.dlqUrl ?? "";
    await eventually(async () => ((await messagesIn(sqs, dlqUrl)) === 1 ? true : undefined));
    expect((await store.subscriptionState("gone")).disabledReason).toContain("410");

    const refused = await ops("dlq", "replay", "gone");
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("'gone' is disabled");
    expect(refused.stderr).toContain("npm run ops -- subscription resume gone");
    expect(refused.stderr).toContain("--force");
    expect(await messagesIn(sqs, dlqUrl)).toBe(1);

    const forced = await ops("dlq", "replay", "gone", "--force", "--json");
    expect(forced.code).toBe(0);
    const moved = jsonLines(forced.stdout);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ eventId: id, reason: "subscription_disabled" });
    expect(forced.stderr).toContain("1/1");
    expect(forced.stderr).toContain("Replayed 1 of 1 message(s)");
    // Still disabled: the replayed copy dead-letters again, once, and is never POSTed. (The poller
    // deletes the copy from the queue just after the deliver function dead-lettered it.)
    const queueUrl = platform.queues.gone?.url ?? "";
    await eventually(async () =>
      (await messagesIn(sqs, dlqUrl)) === 1 && (await messagesIn(sqs, queueUrl)) === 0 ? true : undefined,
    );
    expect(deliveriesOf("/gone", id)).toHaveLength(1);
  });

  it("lists a DLQ without hiding it: depth counts what list shows, and a replay right after moves the listed message", async () => {
    const id = await post("repair.one");
    const dlqUrl = platform.queues.repair?.dlqUrl ?? "";
    await eventually(async () => ((await messagesIn(sqs, dlqUrl)) === 1 ? true : undefined));

    const listed = await ops("dlq", "list", "repair", "--json");
    expect(listed.code).toBe(0);
    const rows = jsonLines(listed.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventId: id, reason: "retries_exhausted", attempts: 1, lastStatus: 503 });

    const depth = await ops("dlq", "depth", "repair", "--json");
    expect(depth.code).toBe(0);
    expect(jsonLines(depth.stdout)).toEqual([
      { subscription: "repair", total: rows.length, visible: rows.length, inFlight: 0, delayed: 0 },
    ]);

    const table = await ops("dlq", "list", "repair");
    expect(table.stdout.split("\n")[0]).toMatch(/^EVENT ID\s+TYPE\s+REASON\s+ATTEMPTS\s+LAST STATUS/);
    expect(table.stdout).toContain(id);

    healed = true;
    const replayed = await ops("dlq", "replay", "repair");
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toContain("Replayed 1 of 1 message(s)");
    await eventually(() => (deliveriesOf("/repair", id).length === 2 ? true : undefined));
    expect(await messagesIn(sqs, dlqUrl)).toBe(0);
  });

  it("checks subscription ids against the config and names the known ones", async () => {
    const run = await ops("subscription", "pause", "nope");
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim()).toBe(
      "Unknown subscription 'nope'; known: gone, repair, calm, frozen, audit, later",
    );
    expect(await store.subscriptionState("nope")).toEqual({ paused: false });

    const missing = await ops("dlq", "depth", "nope");
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(
      "Unknown subscription 'nope'; known: gone, repair, calm, frozen, audit, later",
    );

    const queue = await ops("subscription", "pause", "audit");
    expect(queue.code).toBe(2);
    expect(queue.stderr).toContain("'audit' is a queue subscription");
    expect(await store.subscriptionState("audit")).toEqual({ paused: false });
  });

  it("says when held messages flow after a resume, and where a disabled subscription's messages went", async () => {
    const paused = await ops("subscription", "pause", "calm");
    expect(paused.code).toBe(0);
    expect((await store.subscriptionState("calm")).paused).toBe(true);
    const status = await ops("subscription", "status", "calm", "--json");
    expect(jsonLines(status.stdout)).toEqual([
      expect.objectContaining({ subscription: "calm", target: "http", state: "paused" }),
    ]);

    const resumed = await ops("subscription", "resume", "calm");
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("held messages flow again within 60 s");
    expect(resumed.stderr).toContain("at most 5 per second");
    expect((await store.subscriptionState("calm")).paused).toBe(false);

    // Paused in the config: neither a replay nor ops can deliver until a redeploy without it.
    const frozenReplay = await ops("dlq", "replay", "frozen");
    expect(frozenReplay.code).toBe(1);
    expect(frozenReplay.stderr).toContain(`'frozen' is paused in the config ("paused": true)`);
    const frozenResume = await ops("subscription", "resume", "frozen");
    expect(frozenResume.code).toBe(1);
    expect(frozenResume.stderr).toContain(`'frozen' stays paused: its config sets "paused": true`);

    // 'gone' was disabled by its receiver in an earlier test; its DLQ holds the event.
    const reenabled = await ops("subscription", "resume", "gone");
    expect(reenabled.code).toBe(0);
    expect(reenabled.stderr).toContain("had been disabled");
    expect(reenabled.stderr).toContain("in its DLQ");
    expect(reenabled.stderr).toContain(`npm run ops -- dlq replay gone --prefix ${platform.topology.prefix}`);
    expect((await store.subscriptionState("gone")).disabledReason).toBeUndefined();
  });

  it("finds an event, shows its attempts, resends it under the same webhook-id, and erases its payload", async () => {
    const id = await post("calm.found");
    await eventually(async () =>
      (await store.attemptsForEvent(id)).some((a) => a.result === "delivered") ? true : undefined,
    );

    const listed = await ops("events", "list", "--type", "calm.found", "--json");
    expect(listed.code).toBe(0);
    expect(jsonLines(listed.stdout)).toEqual([
      expect.objectContaining({
        id,
        source: "sw",
        deliveries: [{ subscription: "calm", status: "delivered" }],
      }),
    ]);
    const table = await ops("events", "list", "--subscription", "calm", "--status", "delivered");
    expect(table.stdout.split("\n")[0]).toMatch(/^RECEIVED\s+EVENT ID\s+SOURCE\s+TYPE\s+DELIVERIES/);
    expect(table.stdout).toContain(`${id}`);

    const shown = await ops("events", "show", id, "--json");
    expect(shown.code).toBe(0);
    const [detail] = jsonLines(shown.stdout);
    expect(detail).toMatchObject({
      id,
      type: "calm.found",
      payload: { kind: "json" },
      subscriptions: [
        {
          subscription: "calm",
          status: "delivered",
          attempts: [{ attempt: 1, result: "delivered", status: 200 }],
        },
      ],
    });

    const resent = await ops("events", "resend", id);
    expect(resent.code).toBe(0);
    expect(resent.stderr).toMatch(/^Resent .* to calm as cli:/);
    await eventually(() => (deliveriesOf("/calm", id).length === 2 ? true : undefined));

    const erased = await ops("events", "erase", id, "--json");
    expect(erased.code).toBe(0);
    expect(jsonLines(erased.stdout)).toEqual([{ id, erasedAt: expect.any(String) }]);
    const tombstone = jsonLines((await ops("events", "show", id, "--json")).stdout)[0];
    expect(tombstone).toMatchObject({ payload: { kind: "erased" } });
    const refused = await ops("events", "resend", id);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^Event '.*' cannot be resent: its payload was erased at /);

    const unknown = await ops("events", "show", "evt_nope");
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr.trim()).toBe("No event 'evt_nope': it is unknown, or past its retention.");
    expect(deliveriesOf("/calm", id)).toHaveLength(2);
  });

  it("estimates a replay of dead letters, runs it with progress until done, and replays archived events", async () => {
    const id = await post("later.one");
    const dlqUrl = platform.queues.later?.dlqUrl ?? "";
    await eventually(async () => ((await messagesIn(sqs, dlqUrl)) === 1 ? true : undefined));

    const dryRun = await ops("replay", "--dry-run", "--dead-lettered", "--subscription", "later", "--json");
    expect(dryRun.code).toBe(0);
    expect(jsonLines(dryRun.stdout)).toEqual([
      { dryRun: true, total: 1, perSubscription: { later: 1 }, firstIds: [id] },
    ]);
    expect(dryRun.stderr).toContain(
      `A replay of the dead letters (subscription later) would send 1 delivery; the newest: ${id}. Start it with npm run ops -- replay --subscription later --dead-lettered --prefix`,
    );
    const nothing = await ops("replay", "--dry-run", "--dead-lettered", "--subscription", "calm");
    expect(nothing.stderr.trim().split("\n").at(-1)).toBe(
      "A replay of the dead letters (subscription calm) would send 0 deliveries: nothing to replay.",
    );
    expect(await messagesIn(sqs, dlqUrl)).toBe(1);

    laterHealed = true;
    const replayed = await ops("replay", "--dead-lettered", "--subscription", "later", "--json");
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toContain("1/1");
    const [status] = jsonLines(replayed.stdout);
    expect(status).toMatchObject({ state: "done", total: 1, sent: 1, by: expect.stringMatching(/^cli:/) });
    await eventually(() => (deliveriesOf("/later", id).length === 2 ? true : undefined));
    expect(await messagesIn(sqs, dlqUrl)).toBe(0);

    // 'frozen' is paused in the config, but this replay sends it nothing: no refusal.
    const again = await ops("replay", "--type", "later.one");
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Replay rpl_\w+ done: sent 1 of 1\./);
    await eventually(() => (deliveriesOf("/later", id).length === 3 ? true : undefined));
    const replayId = /Replay (rpl_\w+) done/.exec(again.stderr)?.[1] ?? "";
    const shown = await ops("replay", "status", replayId, "--json");
    expect(jsonLines(shown.stdout)).toEqual([
      expect.objectContaining({ id: replayId, state: "done", perSubscription: { later: 1 }, failures: [] }),
    ]);

    // A replay that would send to a paused subscription is refused, as dlq replay is.
    const held = await post("frozen.one");
    await eventually(async () => {
      const listed = await ops("events", "list", "--type", "frozen.one", "--json");
      return jsonLines(listed.stdout).some((e) => e.id === held) ? true : undefined;
    });
    const refused = await ops("replay", "--type", "frozen.one");
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^'frozen' is paused in the config \("paused": true\)/);
  });

  it("prints every subscription's health", async () => {
    const run = await ops("subscriptions", "--json");
    expect(run.code).toBe(0);
    const rows = jsonLines(run.stdout);
    expect(rows.map((r) => r.id)).toEqual(["gone", "repair", "calm", "frozen", "audit", "later"]);
    expect(rows.find((r) => r.id === "frozen")).toMatchObject({ state: "paused", pausedBy: ["config"] });
    expect(rows.find((r) => r.id === "calm")).toMatchObject({
      target: "http",
      backlog: expect.any(Number),
      dlqDepth: 0,
      lastHour: expect.objectContaining({ delivered: expect.any(Number) }),
      breaker: { state: "closed" },
    });
    expect(rows.find((r) => r.id === "audit")).toMatchObject({ target: "queue", state: "active" });
    const table = await ops("subscriptions");
    expect(table.stdout.split("\n")[0]).toMatch(/^SUBSCRIPTION\s+TARGET\s+STATE\s+BACKLOG\s+DLQ/);
  });
});
