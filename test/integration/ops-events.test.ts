import { randomBytes } from "node:crypto";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import type { AttemptRecord } from "../../shared/ports/attempt-log.js";
import type { NewEvent } from "../../shared/ports/event-store.js";
import type { EventFilter, EventSummary } from "../../shared/use-cases/ops/contract.js";
import { s3Client } from "../support/aws.js";
import { httpSubscription, opsConfig, opsStack, READER, sampleEvent, WRITER } from "../support/ops-stack.js";

/**
 * The ops event use cases on their real adapters: events accepted by the ingest store and routed by the
 * router use case (index items, one copy per subscription), attempts recorded as the deliver function
 * records them.
 */
let stack: Awaited<ReturnType<typeof opsStack>>;
const MINUTE = 60_000;
const NOW = Date.now();
/** A JSON string that brotli cannot shrink below the inline limit: its event's body goes to the bucket. */
const incompressible = randomBytes(60_000).toString("base64");
/** All seeded events, newest first. */
const seeded: NewEvent[] = [];

const config = opsConfig([
  httpSubscription("billing", { eventTypes: ["invoice.*"] }),
  httpSubscription("shipping", { eventTypes: ["order.*"] }),
  { id: "audit", target: { type: "queue" } },
]);

const attempt = (
  event: NewEvent,
  subscriptionId: string,
  n: number,
  result: AttemptRecord["result"],
  extra: Partial<AttemptRecord> = {},
): AttemptRecord => ({
  eventId: event.id,
  subscriptionId,
  attempt: n,
  at: event.receivedAt + n * 1000,
  latencyMs: 12,
  ...(result === "delivered" ? { status: 200 } : { status: 503, detail: "upstream down" }),
  result,
  ...extra,
});

async function listAll(filter: EventFilter, limit: number): Promise<{ pages: EventSummary[][] }> {
  const pages: EventSummary[][] = [];
  let cursor: string | undefined;
  do {
    const page = await stack.useCases.listEvents(filter, {
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    pages.push([...page.events]);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { pages };
}

beforeAll(async () => {
  stack = await opsStack(config);
  stack.setNow(NOW);
  // 24 events over three hours in batches of 4, invoices and orders alternating, from two sources.
  for (let b = 0; b < 6; b++) {
    const batch = Array.from({ length: 4 }, (_, i) =>
      sampleEvent(
        i === 3 ? "gh" : "sw",
        i % 2 === 0 ? "invoice.paid" : "order.created",
        NOW - (b * 30 + i) * MINUTE,
      ),
    );
    await stack.ingest(batch);
    seeded.push(...batch);
  }
  seeded.sort((a, b) => b.receivedAt - a.receivedAt);
  // What the router sent: taken off the queues, so each test sees only its own messages.
  await stack.drain("billing", 12);
  await stack.drain("shipping", 12);
  await stack.drain("audit", 24);
}, 60_000);

describe("listEvents (against the emulators)", () => {
  it("lists events newest first with each routed subscription's status, and pages through all of them once", async () => {
    const first = await stack.useCases.listEvents({}, {});
    expect(first.events.map((e) => e.id)).toEqual(seeded.map((e) => e.id));
    expect(first.nextCursor).toBeUndefined();
    const newest = seeded[0] as NewEvent;
    expect(first.events[0]).toEqual({
      id: newest.id,
      source: "sw",
      type: "invoice.paid",
      receivedAt: new Date(newest.receivedAt).toISOString(),
      deliveries: [
        { subscription: "billing", status: "pending" },
        { subscription: "audit", status: "enqueued" },
      ],
    });
    const { pages } = await listAll({}, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 4]);
    expect(pages.flat().map((e) => e.id)).toEqual(seeded.map((e) => e.id));
  });

  it("filters by source, type, subscription and time", async () => {
    const gh = await stack.useCases.listEvents({ source: "gh" }, { limit: 200 });
    expect(gh.events.map((e) => e.id)).toEqual(seeded.filter((e) => e.sourceId === "gh").map((e) => e.id));
    const orders = await stack.useCases.listEvents({ type: "order.created" }, { limit: 200 });
    expect(orders.events).toHaveLength(12);
    const shipping = await stack.useCases.listEvents({ subscription: "shipping" }, { limit: 200 });
    expect(shipping.events.map((e) => e.id)).toEqual(orders.events.map((e) => e.id));
    const since = new Date(NOW - 45 * MINUTE).toISOString();
    const until = new Date(NOW - 5 * MINUTE).toISOString();
    const window = await stack.useCases.listEvents({ since, until }, { limit: 200 });
    expect(window.events.map((e) => e.id)).toEqual(
      seeded
        .filter((e) => e.receivedAt >= NOW - 45 * MINUTE && e.receivedAt < NOW - 5 * MINUTE)
        .map((e) => e.id),
    );
  });

  it("filters by delivery status, paging on until the page is full, each event once", async () => {
    const invoices = seeded.filter((e) => e.type === "invoice.paid");
    const [delivered, deadLettered, retrying, resent] = [
      invoices[1],
      invoices[4],
      invoices[7],
      invoices[9],
    ] as [NewEvent, NewEvent, NewEvent, NewEvent];
    await stack.attempts([
      attempt(delivered, "billing", 1, "delivered"),
      attempt(deadLettered, "billing", 1, "retry-scheduled"),
      attempt(deadLettered, "billing", 2, "dead-lettered"),
      attempt(retrying, "billing", 1, "retry-scheduled"),
      // Dead-lettered, then an operator's resend succeeded: delivered.
      attempt(resent, "billing", 1, "dead-lettered"),
      attempt(resent, "billing", 1, "delivered", { resendId: "rsd_x", at: resent.receivedAt + 60_000 }),
    ]);
    const ids = async (filter: EventFilter, limit = 200) =>
      (await listAll(filter, limit)).pages.flat().map((e) => e.id);
    expect(await ids({ status: "delivered" })).toEqual([delivered.id, resent.id]);
    expect(await ids({ status: "delivered" }, 1)).toEqual([delivered.id, resent.id]);
    expect(await ids({ status: "dead-lettered", subscription: "billing" })).toEqual([deadLettered.id]);
    expect(await ids({ status: "retrying" })).toEqual([retrying.id]);
    expect(await ids({ status: "enqueued", subscription: "audit" })).toEqual(seeded.map((e) => e.id));
    expect(await ids({ status: "enqueued", subscription: "billing" })).toEqual([]);
    const pending = await ids({ status: "pending", subscription: "billing" }, 3);
    expect(pending).toEqual(
      invoices.filter((e) => ![delivered, deadLettered, retrying, resent].includes(e)).map((e) => e.id),
    );
    const page = await stack.useCases.listEvents({ status: "delivered" }, { limit: 1 });
    expect(page.events[0]?.deliveries).toEqual([
      { subscription: "billing", status: "delivered" },
      { subscription: "audit", status: "enqueued" },
    ]);
    expect(page.nextCursor).toBeDefined();
  });

  it("lists an event once although a retried router batch indexed it again", async () => {
    const event = sampleEvent("sw", "order.created", NOW - 200 * MINUTE);
    await stack.ingest([event]);
    await stack.ingest([event]); // the same event routed again: a second index item
    const page = await stack.useCases.listEvents({ until: new Date(NOW - 199 * MINUTE).toISOString() }, {});
    expect(page.events.map((e) => e.id)).toEqual([event.id]);
    await stack.drain("shipping", 2);
    await stack.drain("audit", 2);
  });

  it("answers bad input with invalid_request naming the field", async () => {
    const bad = (filter: EventFilter, page: { limit?: number; cursor?: string } = {}) =>
      stack.useCases.listEvents(filter, page);
    await expect(bad({}, { limit: 0 })).rejects.toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/^limit: /),
    });
    await expect(bad({}, { limit: 201 })).rejects.toMatchObject({ code: "invalid_request" });
    await expect(bad({ status: "lost" as never })).rejects.toMatchObject({
      detail:
        "status: 'lost' is not a delivery status; use one of delivered, retrying, dead-lettered, pending, enqueued.",
    });
    await expect(bad({ subscription: "nope" })).rejects.toMatchObject({
      code: "invalid_request",
      detail: "subscription: Unknown subscription 'nope'; known: billing, shipping, audit",
    });
    await expect(bad({ since: "yesterday" })).rejects.toMatchObject({
      detail: expect.stringMatching(/^since: 'yesterday' is not an ISO 8601 time/),
    });
    await expect(bad({ since: "2026-11-24T10:00:00Z", until: "2026-11-24T09:00:00Z" })).rejects.toMatchObject(
      {
        detail: expect.stringMatching(/^since .* must be before until/),
      },
    );
    await expect(bad({}, { cursor: "garbage!" })).rejects.toMatchObject({
      detail: expect.stringMatching(/^cursor: /),
    });
  });
});

describe("getEvent (against the emulators)", () => {
  it("shows the payload, the kept headers and every attempt per subscription", async () => {
    const event = seeded.find((e) => e.type === "invoice.paid") as NewEvent;
    await stack.attempts([
      attempt(event, "billing", 1, "retry-scheduled", { errorClass: "http_status" }),
      attempt(event, "billing", 2, "delivered"),
    ]);
    const detail = await stack.useCases.getEvent(event.id);
    expect(detail).toEqual({
      id: event.id,
      source: "sw",
      provider: "standard-webhooks",
      type: "invoice.paid",
      deliveryId: event.deliveryId,
      receivedAt: new Date(event.receivedAt).toISOString(),
      contentType: "application/json",
      headers: { "user-agent": "test" },
      payload: { kind: "json", json: JSON.parse(event.body.toString()), bytes: event.body.length },
      subscriptions: [
        {
          subscription: "billing",
          status: "delivered",
          attempts: [
            {
              attempt: 1,
              at: new Date(event.receivedAt + 1000).toISOString(),
              result: "retry-scheduled",
              status: 503,
              errorClass: "http_status",
              latencyMs: 12,
              detail: "upstream down",
            },
            {
              attempt: 2,
              at: new Date(event.receivedAt + 2000).toISOString(),
              result: "delivered",
              status: 200,
              latencyMs: 12,
            },
          ],
        },
        { subscription: "audit", status: "enqueued", attempts: [] },
      ],
    });
  });

  it("shows a body that is not JSON as base64, and fetches one kept in the payload bucket", async () => {
    const binary = sampleEvent("sw", "file.uploaded", NOW - MINUTE, {
      contentType: "application/octet-stream",
      body: Buffer.from([0, 1, 2, 255]),
    });
    const large = sampleEvent("sw", "report.ready", NOW - MINUTE, {
      body: Buffer.from(JSON.stringify({ rows: incompressible })),
    });
    await stack.ingest([binary, large]);
    expect((await stack.deps.events.get(large.id, Math.floor(NOW / 1000)))?.bodyRef).toBe(
      `events/sw/${large.id}`,
    );
    expect((await stack.useCases.getEvent(binary.id)).payload).toEqual({
      kind: "base64",
      base64: "AAEC/w==",
      bytes: 4,
    });
    expect((await stack.useCases.getEvent(large.id)).payload).toEqual({
      kind: "json",
      json: { rows: incompressible },
      bytes: large.body.length,
    });
    await stack.drain("audit", 2);
  });

  it("answers an unknown id with not_found", async () => {
    await expect(stack.useCases.getEvent("evt_nope")).rejects.toMatchObject({
      code: "not_found",
      detail: "No event 'evt_nope': it is unknown, or past its retention.",
    });
  });
});

describe("resendEvent (against the emulators)", () => {
  it("sends the event as the router built it to every routed subscription, marked with a new resend id", async () => {
    const event = sampleEvent("sw", "invoice.paid", NOW - 2 * MINUTE);
    await stack.ingest([event]);
    const [routed] = await stack.drain("billing", 1);
    await stack.drain("audit", 1);
    const result = await stack.useCases.resendEvent(event.id, undefined, WRITER);
    expect(result).toEqual({
      id: event.id,
      resendId: expect.stringMatching(/^rsd_[0-9a-f]{32}$/),
      subscriptions: ["billing", "audit"],
    });
    const [billing] = await stack.drain("billing", 1);
    const [audit] = await stack.drain("audit", 1);
    for (const copy of [billing, audit]) {
      expect(copy?.Body).toBe(routed?.Body);
      expect(copy?.MessageAttributes?.[A.resendId]?.StringValue).toBe(result.resendId);
    }
    const again = await stack.useCases.resendEvent(event.id, ["audit"], WRITER);
    expect(again.subscriptions).toEqual(["audit"]);
    expect(again.resendId).not.toBe(result.resendId);
    expect(await stack.drain("audit", 1)).toHaveLength(1);
    expect(await stack.drain("billing")).toEqual([]);
  });

  it("resends a body kept in the payload bucket as its reference (dataref), as the router does", async () => {
    const large = sampleEvent("sw", "invoice.large", NOW - 3 * MINUTE, {
      body: Buffer.from(JSON.stringify({ blob: randomBytes(60_000).toString("base64") })),
    });
    await stack.ingest([large]);
    await stack.drain("billing", 1);
    await stack.drain("audit", 1);
    await stack.useCases.resendEvent(large.id, ["billing"], WRITER);
    const [copy] = await stack.drain("billing", 1);
    expect(parseCloudEvent(copy?.Body ?? "")).toMatchObject({
      id: large.id,
      dataref: `events/sw/${large.id}`,
    });
  });

  it("refuses unknown or unrouted subscriptions, unknown events and read-only operators", async () => {
    const event = seeded.find((e) => e.type === "order.created") as NewEvent;
    await expect(stack.useCases.resendEvent(event.id, ["nope"], WRITER)).rejects.toMatchObject({
      code: "invalid_request",
      detail: "subscriptions: Unknown subscription 'nope'; known: billing, shipping, audit",
    });
    await expect(stack.useCases.resendEvent(event.id, ["billing"], WRITER)).rejects.toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(
        /^subscriptions: 'billing' does not receive event .*; it goes to: shipping, audit\.$/,
      ),
    });
    await expect(stack.useCases.resendEvent(event.id, [], WRITER)).rejects.toMatchObject({
      code: "invalid_request",
    });
    await expect(stack.useCases.resendEvent("evt_nope", undefined, WRITER)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(stack.useCases.resendEvent(event.id, undefined, READER)).rejects.toMatchObject({
      code: "forbidden",
    });
    expect(await stack.drain("shipping")).toEqual([]);
  });
});

describe("erasePayload (against the emulators)", () => {
  it("drops the payload (and its bucket object), keeps a tombstone, and then refuses a resend", async () => {
    const large = sampleEvent("sw", "order.large", NOW - 4 * MINUTE, {
      body: Buffer.from(JSON.stringify({ blob: randomBytes(40_000).toString("base64") })),
    });
    await stack.ingest([large]);
    const s3 = s3Client();
    const object = new GetObjectCommand({ Bucket: `${stack.prefix}-payloads`, Key: `events/sw/${large.id}` });
    expect((await s3.send(object)).ContentLength).toBe(large.body.length);
    await expect(stack.useCases.erasePayload(large.id, READER)).rejects.toMatchObject({ code: "forbidden" });
    stack.setNow(NOW + 1000);
    const erased = await stack.useCases.erasePayload(large.id, WRITER);
    expect(erased).toEqual({ id: large.id, erasedAt: new Date(NOW + 1000).toISOString() });
    // Again: the same answer, nothing changes.
    stack.setNow(NOW + 2000);
    expect(await stack.useCases.erasePayload(large.id, WRITER)).toEqual(erased);
    stack.setNow(NOW);
    const detail = await stack.useCases.getEvent(large.id);
    expect(detail.payload).toEqual({ kind: "erased", erasedAt: erased.erasedAt, bytes: large.body.length });
    expect(detail.headers).toEqual({ "user-agent": "test" });
    await expect(s3.send(object)).rejects.toThrow();
    await expect(stack.useCases.resendEvent(large.id, undefined, WRITER)).rejects.toMatchObject({
      code: "conflict",
      detail: `Event '${large.id}' cannot be resent: its payload was erased at ${erased.erasedAt}.`,
    });
    await expect(stack.useCases.erasePayload("evt_nope", WRITER)).rejects.toMatchObject({
      code: "not_found",
    });
    await stack.drain("shipping");
    await stack.drain("audit");
  });
});
