import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import type {
  EventDetail,
  EventPage,
  ReplayEstimate,
  ReplayStatus,
  ResendResult,
  SubscriptionHealth,
} from "../../shared/use-cases/ops/contract.js";
import { messagesIn, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import {
  opsApi,
  postTestWebhook,
  SINK_SECRET,
  SW_SOURCE,
  startTestPlatform,
} from "../support/test-platform.js";

/**
 * The ops API with real data, as an operator uses it on `npm start`: webhooks posted through ingest,
 * routed, delivered (or dead-lettered) by the deployed functions' bundles, then found, inspected,
 * resent, erased and replayed through `/ops/api/*` with the stack's token. Replays run in the
 * background: the ops function enqueues one job per slice on the ops jobs queue and consumes it.
 */
const SECRET = SINK_SECRET;
const source = SW_SOURCE;
const sqs = sqsClient();
let sink: HttpSink;
let platform: LocalPlatform;
let healed = false;

const http = (id: string, path: string, extra: Record<string, unknown> = {}) => ({
  id,
  sources: ["sw"],
  eventTypes: [`${id}.*`],
  target: { type: "http", url: `${sink.url}${path}`, secret: SECRET },
  ...extra,
});

beforeAll(async () => {
  sink = await startHttpSink((path) =>
    path === "/flaky" ? { status: healed ? 200 : 503 } : { status: 200 },
  );
  platform = await startTestPlatform("opsdata", {
    sources: [source],
    subscriptions: [
      http("ok", "/ok"),
      http("flaky", "/flaky", { retry: { scheduleSeconds: [] } }),
      { id: "audit", sources: ["sw"], eventTypes: ["audit.*"], target: { type: "queue" } },
    ],
  });
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

const api = <T>(method: string, path: string, body?: unknown) => opsApi<T>(platform, method, path, body);

const post = (type: string, data: Record<string, unknown> = {}) =>
  postTestWebhook(platform, source, { type, data });

const deliveriesOf = (path: string, id: string) =>
  sink.receivedOn(path).filter((r) => r.headers["webhook-id"] === id && r.status === 200);

/** The event's status with one subscription, as the list shows it. */
async function listedStatus(id: string, subscription: string): Promise<string | undefined> {
  const page = await api<EventPage>("GET", "events?limit=50");
  return page.body.events.find((e) => e.id === id)?.deliveries.find((d) => d.subscription === subscription)
    ?.status;
}

describe("the ops API on real events", () => {
  let okId: string;
  let flakyId: string;
  let auditId: string;

  beforeAll(async () => {
    okId = await post("ok.created", { n: 1 });
    flakyId = await post("flaky.created", { n: 2 });
    auditId = await post("audit.logged", { n: 3 });
    await eventually(async () =>
      (await listedStatus(okId, "ok")) === "delivered" &&
      (await listedStatus(flakyId, "flaky")) === "dead-lettered"
        ? true
        : undefined,
    );
  });

  it("lists the events newest first with where each stands per subscription, and filters them", async () => {
    const page = await api<EventPage>("GET", "events?limit=50");
    expect(page.status).toBe(200);
    const ids = page.body.events.map((e) => e.id);
    expect(ids.slice(0, 3)).toEqual([auditId, flakyId, okId]);
    expect(page.body.events.find((e) => e.id === auditId)).toMatchObject({
      source: "sw",
      type: "audit.logged",
      deliveries: [{ subscription: "audit", status: "enqueued" }],
    });

    const dead = await api<EventPage>("GET", "events?status=dead-lettered");
    expect(dead.body.events.map((e) => e.id)).toEqual([flakyId]);
    const byType = await api<EventPage>("GET", "events?type=ok.created");
    expect(byType.body.events.map((e) => e.id)).toEqual([okId]);
    const bySubscription = await api<EventPage>("GET", "events?subscription=audit");
    expect(bySubscription.body.events.map((e) => e.id)).toEqual([auditId]);

    const paged = await api<EventPage>("GET", "events?limit=2");
    expect(paged.body.events).toHaveLength(2);
    expect(paged.body.nextCursor).toBeDefined();
    const next = await api<EventPage>(
      "GET",
      `events?limit=2&cursor=${encodeURIComponent(paged.body.nextCursor ?? "")}`,
    );
    expect(next.body.events.map((e) => e.id)).toEqual([okId]);
  });

  it("shows one event: its payload, the headers kept (never the signature) and each attempt", async () => {
    const detail = await api<EventDetail>("GET", `events/${flakyId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: flakyId, source: "sw", provider: "standard-webhooks" });
    expect(detail.body.payload).toMatchObject({
      kind: "json",
      json: { type: "flaky.created", data: { n: 2 } },
    });
    expect(Object.keys(detail.body.headers)).not.toContain("webhook-signature");
    const flaky = detail.body.subscriptions.find((s) => s.subscription === "flaky");
    expect(flaky?.status).toBe("dead-lettered");
    expect(flaky?.attempts).toEqual([
      expect.objectContaining({ attempt: 1, result: "dead-lettered", status: 503 }),
    ]);

    const missing = await api<{ code: string; detail: string }>("GET", `events/${flakyId.slice(0, -4)}zzzz`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
  });

  it("resends an event: the subscriber gets it again with the same webhook-id", async () => {
    const resent = await api<ResendResult>("POST", `events/${okId}/resend`, {});
    expect(resent.status).toBe(202);
    expect(resent.body).toMatchObject({ id: okId, subscriptions: ["ok"] });
    expect(resent.body.resendId).toMatch(/^rsd_/);
    await eventually(() => (deliveriesOf("/ok", okId).length === 2 ? true : undefined));
    // The resend's attempt names it; the routed delivery's does not.
    const attempts = await eventually(async () => {
      const detail = await api<EventDetail>("GET", `events/${okId}`);
      const list = detail.body.subscriptions.find((s) => s.subscription === "ok")?.attempts ?? [];
      return list.length === 2 ? list : undefined;
    });
    expect(attempts.map((a) => [a.result, a.resendId])).toEqual([
      ["delivered", undefined],
      ["delivered", resent.body.resendId],
    ]);
  });

  it("erases a payload: the event stays findable, its body is gone, and a resend of it is refused 409", async () => {
    const erased = await api<{ erasedAt: string }>("DELETE", `events/${auditId}/payload`);
    expect(erased.status).toBe(200);
    const detail = await api<EventDetail>("GET", `events/${auditId}`);
    expect(detail.body.payload).toMatchObject({ kind: "erased", erasedAt: erased.body.erasedAt });
    const refused = await api<{ code: string; detail: string }>("POST", `events/${auditId}/resend`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("conflict");
  });

  it("replays the dead letters after a dry run: the estimate, then the background replay to done", async () => {
    const dlqUrl = platform.queues.flaky?.dlqUrl ?? "";
    expect(await messagesIn(sqs, dlqUrl)).toBe(1);
    const estimate = await api<ReplayEstimate>("POST", "replays", {
      filter: { deadLettered: true },
      dryRun: true,
    });
    expect(estimate.status).toBe(200);
    expect(estimate.body).toMatchObject({ dryRun: true, total: 1, perSubscription: { flaky: 1 } });
    expect(estimate.body.firstIds).toEqual([flakyId]);
    // A dry run moves nothing.
    expect(await messagesIn(sqs, dlqUrl)).toBe(1);

    healed = true;
    const started = await api<ReplayStatus>("POST", "replays", { filter: { deadLettered: true } });
    expect(started.status).toBe(202);
    expect(started.body.id).toMatch(/^rpl_/);
    const done = await eventually(async () => {
      const status = await api<ReplayStatus>("GET", `replays/${started.body.id}`);
      return status.body.state === "running" ? undefined : status.body;
    });
    expect(done).toMatchObject({
      state: "done",
      total: 1,
      sent: 1,
      perSubscription: { flaky: 1 },
      failures: [],
    });
    expect(done.by).toBe("local-operator");
    await eventually(() => (deliveriesOf("/flaky", flakyId).length === 1 ? true : undefined));
    expect(await messagesIn(sqs, dlqUrl)).toBe(0);
    await eventually(async () => ((await listedStatus(flakyId, "flaky")) === "delivered" ? true : undefined));
  });

  it("replays a time window of the archive by type onto its subscriptions", async () => {
    const before = deliveriesOf("/ok", okId).length;
    const replay = await api<ReplayStatus>("POST", "replays", { filter: { type: "ok.created" } });
    expect(replay.status).toBe(202);
    const done = await eventually(async () => {
      const status = await api<ReplayStatus>("GET", `replays/${replay.body.id}`);
      return status.body.state === "running" ? undefined : status.body;
    });
    expect(done).toMatchObject({ state: "done", total: 1, sent: 1, perSubscription: { ok: 1 } });
    await eventually(() => (deliveriesOf("/ok", okId).length === before + 1 ? true : undefined));
  });

  it("pauses and resumes a subscription, and shows each subscription's health", async () => {
    const paused = await api<SubscriptionHealth>("POST", "subscriptions/ok/pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: "ok", state: "paused", pausedBy: ["ops"] });
    const health = await api<{ subscriptions: SubscriptionHealth[] }>("GET", "subscriptions");
    expect(health.status).toBe(200);
    const rows = health.body.subscriptions;
    expect(rows.map((s) => s.id)).toEqual(["ok", "flaky", "audit"]);
    expect(rows.find((s) => s.id === "ok")?.state).toBe("paused");
    expect(rows.find((s) => s.id === "flaky")).toMatchObject({ target: "http", dlqDepth: 0 });
    expect(rows.find((s) => s.id === "audit")).toMatchObject({ target: "queue", backlog: 1 });

    const resumed = await api<SubscriptionHealth>("POST", "subscriptions/ok/resume");
    expect(resumed.body).toMatchObject({ id: "ok", state: "active" });
    const unknown = await api<{ code: string; detail: string }>("POST", "subscriptions/nope/pause");
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe("Unknown subscription 'nope'; known: ok, flaky, audit");
  });

  it("closes a destination's breaker by URL", async () => {
    const closed = await api<{ destination: string; state: string }>("POST", "breakers/close", {
      url: `${sink.url}/flaky`,
    });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ destination: sink.url, state: "closed" });
  });
});
