import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { runOps } from "../../ops/cli.js";
import { ENV } from "../../shared/config/env.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { setAsideBody } from "../../shared/domain/stream-failure.js";
import type { NewEvent } from "../../shared/ports/event-store.js";
import type { ScannedEvent } from "../../shared/ports/stored-event-scanner.js";
import type {
  DiscardSetAsideReport,
  RedriveReport,
  RedriveRequest,
  StreamFailureView,
} from "../../shared/use-cases/ops/contract.js";
import { emulatorEndpoints } from "../support/aws.js";
import { httpSubscription, opsConfig, opsStack, READER, sampleEvent, WRITER } from "../support/ops-stack.js";

/**
 * The redrive of what the router never fanned out, on its real adapters against the emulators: events
 * accepted into the event table, some routed by the router's use case (indexed) and some not (as if the
 * stream mapping had given up on them), on-failure records on the stream failures queue as Lambda writes
 * them, and a set-aside record as the router writes it. The scan is cut small (3 segments, pages of 2
 * items, 2 events per call) so every redrive takes several calls through its cursor.
 */
let stack: Awaited<ReturnType<typeof opsStack>>;
const MINUTE = 60_000;
const NOW = Date.now();
/** The given-up batch: received around T. */
const T = NOW - 2 * 60 * MINUTE;

let indexed: NewEvent[];
let invoice: NewEvent;
let order: NewEvent;
let large: NewEvent;
let erased: NewEvent;
let outside: NewEvent;
let expired: NewEvent;
/** A dry run's cursor after its first call. */
let dryCursor: string;

/** What Lambda sends its on-failure destination for a stream batch it gave up on. */
const batchFailure = (first: number, last: number, records: number) =>
  JSON.stringify({
    requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 101 },
    version: "1.0",
    timestamp: new Date(last + MINUTE).toISOString(),
    DDBStreamBatchInfo: {
      shardId: "shardId-00000001",
      startSequenceNumber: "4100000000000001",
      endSequenceNumber: `41000000000000${String(records).padStart(2, "0")}`,
      approximateArrivalOfFirstRecord: new Date(Math.floor(first / 1000) * 1000).toISOString(),
      approximateArrivalOfLastRecord: new Date(Math.floor(last / 1000) * 1000).toISOString(),
      batchSize: records,
      streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/x-events/stream/2026",
    },
  });

async function putFailure(body: string): Promise<void> {
  await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.streamFailuresUrl, MessageBody: body }));
}

async function queued(url: string): Promise<number> {
  const out = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** Every id the event index lists around T (what the ops API's event list shows). */
async function listedIds(since: number, until: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const entry of stack.deps.index.scan({ since, until })) ids.push(entry.id);
  return ids;
}

/** Calls the redrive until it is done, each call with the previous answer's cursor. */
async function redrive(request: RedriveRequest, by = WRITER): Promise<RedriveReport[]> {
  const reports: RedriveReport[] = [];
  let cursor: string | undefined;
  for (let call = 0; call < 50; call++) {
    const report = await stack.useCases.redriveStreamFailures(
      cursor === undefined ? request : { ...(request.dryRun ? { dryRun: true } : {}), cursor },
      by,
    );
    reports.push(report);
    if (report.done) return reports;
    cursor = report.cursor;
  }
  throw new Error("the redrive did not finish in 50 calls");
}

beforeAll(async () => {
  stack = await opsStack(
    opsConfig([
      httpSubscription("billing", { eventTypes: ["invoice.*"] }),
      { id: "audit", eventTypes: ["order.*"], target: { type: "queue" } },
    ]),
    { scanSegments: 3, scanPageItems: 2, redriveEvents: 2 },
  );
  stack.setNow(NOW);
  indexed = [
    sampleEvent("sw", "invoice.paid", T - MINUTE),
    sampleEvent("sw", "order.created", T + 2 * MINUTE),
  ];
  await stack.ingest(indexed);
  await stack.drain("billing", 1);
  await stack.drain("audit", 1);

  invoice = sampleEvent("sw", "invoice.paid", T);
  order = sampleEvent("sw", "order.created", T + 20_000);
  // Too large for its item once compressed: kept in the payload bucket, routed as a reference.
  large = sampleEvent("sw", "order.large", T + 40_000, {
    body: Buffer.from(JSON.stringify({ blob: randomBytes(48_000).toString("base64") })),
  });
  erased = sampleEvent("sw", "invoice.paid", NOW - 5 * 60 * MINUTE);
  outside = sampleEvent("sw", "invoice.paid", NOW - 3.5 * 60 * MINUTE);
  expired = sampleEvent("sw", "invoice.paid", T + 30_000, { expiresAt: Math.floor(NOW / 1000) - 60 });
  await stack.acceptOnly([invoice, order, large, erased, outside, expired]);
  await stack.deps.events.erasePayload(erased.id, new Date(NOW - 60 * MINUTE));

  await putFailure(batchFailure(T, T + 40_000, 4));
  await putFailure(batchFailure(erased.receivedAt, erased.receivedAt, 1));
  await putFailure(
    setAsideBody({
      sequenceNumber: "4100000000000099",
      eventId: invoice.id,
      reason: "unreadable event item",
    }),
  );
  // A redrive deletes only the messages sent before it began: the clock starts after they were sent.
  stack.setNow(Date.now());
}, 60_000);

describe("DynamoDbStoredEventScanner (a parallel, paged Scan of the event table)", () => {
  it("finds every live event received in the windows, over all segments and pages, and nothing else", async () => {
    const windows = [{ since: T - 5 * MINUTE, until: T + 5 * MINUTE }];
    const found: ScannedEvent[] = [];
    let pages = 0;
    let scannedItems = 0;
    for (let segment = 0; segment < 3; segment++) {
      let after: string | undefined;
      do {
        const page = await stack.deps.storedEvents.page({
          windows,
          segment,
          totalSegments: 3,
          nowSeconds: Math.floor(NOW / 1000),
          limit: 2,
          ...(after === undefined ? {} : { after }),
        });
        found.push(...page.events);
        scannedItems += page.scannedItems;
        pages++;
        after = page.next;
      } while (after !== undefined);
    }
    expect(found.map((e) => e.id).sort()).toEqual(
      [...indexed, invoice, order, large].map((e) => e.id).sort(),
    );
    expect(found.find((e) => e.id === order.id)).toEqual({
      id: order.id,
      sourceId: "sw",
      type: "order.created",
      receivedAt: order.receivedAt,
    });
    // A scan reads every item of the table, whatever the filter keeps: 8, or 7 once DynamoDB Local's TTL
    // sweep (within a second or so, AWS's within days) has deleted the expired one.
    expect([7, 8]).toContain(scannedItems);
    expect(pages).toBeGreaterThan(3);
  });

  it("reads an event back whole (a large body as its reference), and nothing for an unknown or expired one", async () => {
    const nowSeconds = Math.floor(NOW / 1000);
    const back = await stack.deps.storedEvents.read(large.id, nowSeconds);
    expect(back).toMatchObject({ id: large.id, type: "order.large", bodyRef: `events/sw/${large.id}` });
    expect(await stack.deps.storedEvents.read(expired.id, nowSeconds)).toBeUndefined();
    expect(await stack.deps.storedEvents.read("evt_unknownunknownunknow", nowSeconds)).toBeUndefined();
  });
});

describe("the stream failures queue", () => {
  it("lists its messages decoded, and listing takes nothing away", async () => {
    const first = await stack.useCases.listStreamFailures();
    expect(first.queued).toBe(3);
    const batches = first.messages.filter((m) => m.kind === "batch");
    expect(batches).toHaveLength(2);
    expect(batches.find((m) => m.records === 4)).toMatchObject({
      kind: "batch",
      condition: "RetryAttemptsExhausted",
      shardId: "shardId-00000001",
      firstArrival: new Date(Math.floor(T / 1000) * 1000).toISOString(),
      window: { since: new Date(Math.floor(T / 1000) * 1000 - 5 * MINUTE).toISOString() },
    });
    expect(first.messages.find((m) => m.kind === "set-aside")).toMatchObject({
      eventId: invoice.id,
      reason: "unreadable event item",
    });
    expect((await stack.useCases.listStreamFailures()).messages).toHaveLength(3);
    await expect(stack.useCases.listStreamFailures({ limit: 0 })).rejects.toMatchObject({
      code: "invalid_request",
      detail: "limit: must be a whole number from 1 to 1000.",
    });
  });
});

describe("redriving what the router never fanned out", () => {
  it("dry run: counts the unindexed events of the failures' windows per subscription, and changes nothing", async () => {
    const reports = await redrive({ dryRun: true });
    expect(reports.length).toBeGreaterThan(1);
    dryCursor = reports[0]?.cursor as string;
    const last = reports.at(-1) as RedriveReport;
    expect(last).toMatchObject({
      dryRun: true,
      windowsFrom: "stream-failures",
      done: true,
      inWindows: 6,
      indexed: 2,
      routed: 3,
      perSubscription: { billing: 1, audit: 2 },
      unmatched: 0,
      unroutableCount: 1,
      failures: [],
      // What the real run would delete: the batch around the erased event stays, and the set-aside record.
      messages: { covered: 2, deleted: 1, left: 2, setAside: 1 },
    });
    // The whole table, once (one scan filters on both windows); the expired item may be swept already.
    expect([7, 8]).toContain(last.scannedItems);
    expect([...last.firstIds].sort()).toEqual([invoice.id, order.id, large.id].sort());
    // Eventually consistent: half a unit per 4 KB read (the large event's item holds its reference only).
    expect(last.readUnits).toBeGreaterThan(0);
    expect(last.readUnits).toBeLessThanOrEqual(8);
    expect(last.unroutable).toEqual([
      {
        eventId: erased.id,
        receivedAt: new Date(erased.receivedAt).toISOString(),
        reason: `its payload was erased at ${new Date(NOW - 60 * MINUTE).toISOString()}`,
      },
    ]);
    expect(await queued(stack.queueUrl("billing"))).toBe(0);
    expect(await queued(stack.queueUrl("audit"))).toBe(0);
    expect(await listedIds(T - 10 * MINUTE, T + 10 * MINUTE)).not.toContain(invoice.id);
    expect(await queued(stack.streamFailuresUrl)).toBe(3);
  });

  it("refuses a real run to a read-only operator, and a cursor of another mode or not its own", async () => {
    await expect(stack.useCases.redriveStreamFailures({}, READER)).rejects.toMatchObject({
      code: "forbidden",
      detail:
        "test-viewer has read-only access; redriving what the router never fanned out needs an operator with write access.",
    });
    expect(
      (await stack.useCases.redriveStreamFailures({ dryRun: true, cursor: dryCursor }, READER)).dryRun,
    ).toBe(true);
    await expect(stack.useCases.redriveStreamFailures({ cursor: dryCursor }, WRITER)).rejects.toMatchObject({
      code: "invalid_request",
      detail:
        "cursor: it continues a dry run; continue it with dryRun, or start the redrive without a cursor.",
    });
    await expect(
      stack.useCases.redriveStreamFailures({ dryRun: true, cursor: "bm90LWEtY3Vyc29y" }, READER),
    ).rejects.toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/^cursor: not a cursor/),
    });
    await expect(
      stack.useCases.redriveStreamFailures({ dryRun: true, until: new Date(T).toISOString() }, READER),
    ).rejects.toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/^since: give it with until/),
    });
  });

  it("routes only the unindexed events through the router's use case, indexes them, and then deletes the batch it covered", async () => {
    const reports = await redrive({});
    const last = reports.at(-1) as RedriveReport;
    expect(last).toMatchObject({
      dryRun: false,
      done: true,
      indexed: 2,
      routed: 3,
      perSubscription: { billing: 1, audit: 2 },
      unroutableCount: 1,
      failures: [],
      // The batch around the erased event stays (its event cannot be routed), and so does the set-aside record.
      messages: { covered: 2, deleted: 1, left: 2, setAside: 1 },
    });
    expect(reports.slice(0, -1).every((r) => r.messages.deleted === 0)).toBe(true);

    const billing = (await stack.drain("billing", 1)).map((m) => parseCloudEvent(m.Body ?? ""));
    expect(billing.map((e) => e.id)).toEqual([invoice.id]);
    expect(billing[0]).toMatchObject({ type: "invoice.paid", webhooksourceid: "sw" });
    const audit = (await stack.drain("audit", 2)).map(
      (m) => JSON.parse(m.Body ?? "{}") as Record<string, unknown>,
    );
    expect(audit.map((e) => e.id).sort()).toEqual([order.id, large.id].sort());
    // The claim check travels as the router sends it: a reference to the payload bucket.
    expect(audit.find((e) => e.id === large.id)).toMatchObject({ dataref: `events/sw/${large.id}` });
    expect(audit.find((e) => e.id === large.id)).not.toHaveProperty("data");

    // Listed now, as if the router had routed them.
    const listed = await listedIds(T - 10 * MINUTE, T + 10 * MINUTE);
    expect(listed).toEqual(
      expect.arrayContaining([invoice.id, order.id, large.id, ...indexed.map((e) => e.id)]),
    );
    const left = await stack.useCases.listStreamFailures();
    expect(left.messages.map((m) => m.kind).sort()).toEqual(["batch", "set-aside"]);
    expect(left.messages.find((m) => m.kind === "batch")).toMatchObject({ records: 1 });
  });

  it("never routes an event twice: a second run over the same window finds everything indexed and sends nothing", async () => {
    const last = (
      await redrive({
        since: new Date(T - 10 * MINUTE).toISOString(),
        until: new Date(T + 10 * MINUTE).toISOString(),
      })
    ).at(-1) as RedriveReport;
    expect(last).toMatchObject({
      windowsFrom: "operator",
      inWindows: 5,
      indexed: 5,
      routed: 0,
      unroutableCount: 0,
      messages: { covered: 0, deleted: 0, left: 2 },
    });
    expect(await stack.drain("billing")).toEqual([]);
    expect(await stack.drain("audit")).toEqual([]);
  });

  it("redrives the operator's own window (since/until), past what the failures name", async () => {
    const since = new Date(outside.receivedAt - MINUTE).toISOString();
    const until = new Date(outside.receivedAt + MINUTE).toISOString();
    const dry = (await redrive({ dryRun: true, since, until })).at(-1) as RedriveReport;
    expect(dry).toMatchObject({
      windowsFrom: "operator",
      windows: [{ since, until }],
      routed: 1,
      firstIds: [outside.id],
      messages: { covered: 0 },
    });
    const real = (await redrive({ since, until })).at(-1) as RedriveReport;
    expect(real).toMatchObject({
      routed: 1,
      perSubscription: { billing: 1, audit: 0 },
      messages: { deleted: 0 },
    });
    expect((await stack.drain("billing", 1)).map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([
      outside.id,
    ]);
  });

  it("sends again, on the next call with the cursor, copies that could not be queued (a queue that is gone)", async () => {
    const lost = sampleEvent("sw", "invoice.paid", NOW - 8 * 60 * MINUTE);
    await stack.acceptOnly([lost]);
    const since = new Date(lost.receivedAt - MINUTE).toISOString();
    const until = new Date(lost.receivedAt + MINUTE).toISOString();
    await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: stack.queueUrl("billing") }));
    const failed = await stack.useCases.redriveStreamFailures({ since, until }, WRITER);
    expect(failed).toMatchObject({ done: false, routed: 0, failures: [{ eventId: lost.id }] });
    // Indexed already (the router writes the index first), so only the cursor knows it still has to go out.
    expect(await listedIds(lost.receivedAt - MINUTE, lost.receivedAt + MINUTE)).toEqual([lost.id]);

    await stack.sqs.send(new CreateQueueCommand({ QueueName: `${stack.prefix}-sub-billing` }));
    let report = failed;
    while (!report.done)
      report = await stack.useCases.redriveStreamFailures({ cursor: report.cursor as string }, WRITER);
    expect(report).toMatchObject({ routed: 1, failures: [] });
    expect((await stack.drain("billing", 1)).map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([lost.id]);
  });

  it("covers and deletes a batch given up on a minute ago, though its margin reaches past now", async () => {
    const recent = sampleEvent("sw", "invoice.paid", Date.now() - MINUTE);
    await stack.acceptOnly([recent]);
    await putFailure(batchFailure(recent.receivedAt, recent.receivedAt, 1));
    stack.setNow(Date.now());
    const dry = (await redrive({ dryRun: true })).at(-1) as RedriveReport;
    expect(dry.windows.at(-1)?.until).toBe(new Date(stack.now()).toISOString());
    // Covered: the batch around the erased event (kept: its event cannot be routed) and this one.
    expect(dry).toMatchObject({ routed: 1, firstIds: [recent.id], messages: { covered: 2, deleted: 1 } });
    const real = (await redrive({})).at(-1) as RedriveReport;
    expect(real).toMatchObject({ routed: 1, messages: { covered: 2, deleted: 1, left: 2 } });
    expect((await stack.drain("billing", 1)).map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([
      recent.id,
    ]);
    const left = await stack.useCases.listStreamFailures();
    expect(left.messages.filter((m) => m.kind === "batch")).toHaveLength(1);
  });
});

/** Runs the command line in this process against the test's stack, as against a deployed one. */
async function ops(...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "ops-stream-failures-"));
  const configPath = join(dir, "webhooks.json");
  writeFileSync(configPath, JSON.stringify(stack.config));
  const out: string[] = [];
  const err: string[] = [];
  const endpoints = emulatorEndpoints();
  const code = await runOps([...args, "--prefix", stack.prefix, "--config", configPath], {
    env: { [ENV.sqsEndpoint]: endpoints.sqs, [ENV.dynamodbEndpoint]: endpoints.dynamodb },
    cwd: dir,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out, err };
}

describe("npm run ops -- stream-failures (the CLI on the same use cases)", () => {
  it("lists the queue, dry-runs the redrive, then runs it and says what cannot be routed (exit 1)", async () => {
    const late = sampleEvent("sw", "invoice.paid", NOW - 10 * 60 * MINUTE);
    await stack.acceptOnly([late]);
    await putFailure(batchFailure(late.receivedAt, late.receivedAt, 1));

    const list = await ops("stream-failures", "--json");
    expect(list.code).toBe(0);
    const messages = list.out.map((line) => JSON.parse(line) as { kind: string; records?: number });
    expect(messages.map((m) => m.kind).sort()).toEqual(["batch", "batch", "set-aside"]);
    expect(list.err.join("\n")).toContain("stream-failures redrive --dry-run");

    const dry = await ops("stream-failures", "redrive", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out).toEqual([
      "SUBSCRIPTION  WOULD ROUTE",
      "billing                 1",
      "audit                   0",
      "",
      expect.stringMatching(/^EVENT ID/),
      expect.stringContaining(erased.id),
    ]);
    expect(dry.err.join("\n")).toMatch(/Dry run: would route 1 event\(s\); first ids: evt_/);
    expect(dry.err.join("\n")).toContain(
      "Nothing was sent or deleted; then 1 batch message(s) would be deleted from the stream failures queue and 2 left there.",
    );
    expect(await stack.drain("billing")).toEqual([]);

    const real = await ops("stream-failures", "redrive", "--json");
    expect(real.code).toBe(1);
    const report = JSON.parse(real.out[0] ?? "{}") as RedriveReport;
    expect(report).toMatchObject({ routed: 1, firstIds: [late.id], messages: { deleted: 1, left: 2 } });
    expect(real.err.at(-1)).toBe(
      "1 event(s) of the windows cannot be routed (listed above); the batch messages whose windows hold them stay in the queue.",
    );
    expect((await stack.drain("billing", 1)).map((m) => parseCloudEvent(m.Body ?? "").id)).toEqual([late.id]);
  });
});

describe("discarding the records the router set aside (never a batch message)", () => {
  const first = "evt_SetAsideFirst000000000"; // 22 characters after evt_
  const second = "evt_SetAsideSecond00000000";
  const unknown = "evt_NoSuchRecord0000000000";
  let batchId: string;

  const kinds = (messages: readonly StreamFailureView[]) => messages.map((m) => m.kind).sort();
  const setAsideIds = (report: DiscardSetAsideReport) => report.discarded.map((r) => r.eventId).sort();

  beforeAll(async () => {
    // What the earlier tests left: the batch around the erased event (it cannot be routed) and the
    // set-aside record of `invoice`. Two more set-aside records, and a message of neither kind.
    const before = await stack.useCases.listStreamFailures();
    expect(kinds(before.messages)).toEqual(["batch", "set-aside"]);
    batchId = before.messages.find((m) => m.kind === "batch")?.messageId ?? "";
    await putFailure(
      setAsideBody({
        sequenceNumber: "4100000000000101",
        eventId: first,
        reason: "the stream record has no new image",
      }),
    );
    await putFailure(
      setAsideBody({
        sequenceNumber: "4100000000000102",
        eventId: second,
        reason: "the event item holds no payload",
      }),
    );
    await putFailure("not a stream failure");
  });

  it("dry run: lists every set-aside record with its event id and why, and deletes nothing", async () => {
    const dry = await stack.useCases.discardSetAside({ dryRun: true }, READER);
    expect(dry).toMatchObject({
      dryRun: true,
      notDeleted: 0,
      unmatched: [],
      left: { batches: 1, setAside: 0, unreadable: 1 },
      queued: 5,
    });
    expect(setAsideIds(dry)).toEqual([first, invoice.id, second].sort());
    expect(dry.discarded.find((r) => r.eventId === first)).toMatchObject({
      kind: "set-aside",
      sequenceNumber: "4100000000000101",
      reason: "the stream record has no new image",
      sentAt: expect.any(String),
    });
    const named = await stack.useCases.discardSetAside({ dryRun: true, eventIds: [first, unknown] }, READER);
    expect(setAsideIds(named)).toEqual([first]);
    expect(named).toMatchObject({ unmatched: [unknown], left: { batches: 1, setAside: 2, unreadable: 1 } });
    expect(await queued(stack.streamFailuresUrl)).toBe(5);
  });

  it("refuses a real run to a read-only operator, and an empty list of event ids", async () => {
    await expect(stack.useCases.discardSetAside({}, READER)).rejects.toMatchObject({
      code: "forbidden",
      detail:
        "test-viewer has read-only access; discarding the records the router set aside needs an operator with write access.",
    });
    await expect(stack.useCases.discardSetAside({ eventIds: [] }, WRITER)).rejects.toMatchObject({
      code: "invalid_request",
      detail: "eventIds: must name at least one event id; omit it to discard every set-aside record.",
    });
    expect(await queued(stack.streamFailuresUrl)).toBe(5);
  });

  it("deletes only the set-aside records naming the given event ids", async () => {
    const report = await stack.useCases.discardSetAside({ eventIds: [first] }, WRITER);
    expect(report).toMatchObject({
      dryRun: false,
      notDeleted: 0,
      unmatched: [],
      left: { batches: 1, setAside: 2, unreadable: 1 },
      queued: 5,
    });
    expect(setAsideIds(report)).toEqual([first]);
    const left = await stack.useCases.listStreamFailures();
    expect(kinds(left.messages)).toEqual(["batch", "set-aside", "set-aside", "unreadable"]);
    expect(left.messages.flatMap((m) => (m.kind === "set-aside" ? [m.eventId] : [])).sort()).toEqual(
      [invoice.id, second].sort(),
    );
  });

  it("the CLI: a dry run prints the records; a discard by --event says which ids no record names (exit 1)", async () => {
    const dry = await ops("stream-failures", "discard", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out[0]).toMatch(/^EVENT ID +SEQUENCE +SENT +WHY$/);
    expect(dry.out).toHaveLength(3);
    expect(dry.out.slice(1)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${invoice.id} +4100000000000099 +\\S+ +unreadable event item$`)),
        expect.stringMatching(
          new RegExp(`^${second} +4100000000000102 +\\S+ +the event item holds no payload$`),
        ),
      ]),
    );
    expect(dry.err).toEqual([
      "Dry run: would discard the 2 set-aside record(s) above from the stream failures queue; nothing was " +
        "deleted. 1 batch message(s) (a redrive routes their events), 0 set-aside record(s) and 1 message(s) " +
        "of neither kind would stay.",
      expect.stringMatching(
        new RegExp(
          `^Run it: npm run ops -- stream-failures discard --prefix ${stack.prefix} --config \\S+webhooks\\.json$`,
        ),
      ),
    ]);
    expect(await queued(stack.streamFailuresUrl)).toBe(4);

    const named = await ops("stream-failures", "discard", "--event", second, "--event", unknown);
    expect(named.code).toBe(1);
    expect(named.out).toEqual([
      expect.stringMatching(/^EVENT ID/),
      expect.stringMatching(new RegExp(`^${second} +4100000000000102 `)),
    ]);
    expect(named.err[0]).toBe(
      `Discarded the 1 set-aside record(s) above from the stream failures queue as cli:${userInfo().username}; ` +
        "1 batch message(s) (a redrive routes their events), " +
        "1 set-aside record(s) and 1 message(s) of neither kind stay.",
    );
    expect(named.err.at(-1)).toMatch(
      new RegExp(
        `^No set-aside record in the stream failures queue names ${unknown} \\(already discarded, or a typo: ` +
          "npm run ops -- stream-failures list .* shows them\\); the other records named were discarded\\.$",
      ),
    );
    expect(await queued(stack.streamFailuresUrl)).toBe(3);
  });

  it("discards every remaining set-aside record, and leaves the batch message and the one of neither kind", async () => {
    const report = await stack.useCases.discardSetAside({}, WRITER);
    expect(setAsideIds(report)).toEqual([invoice.id]);
    expect(report).toMatchObject({
      dryRun: false,
      notDeleted: 0,
      left: { batches: 1, setAside: 0, unreadable: 1 },
      queued: 3,
    });
    const left = await stack.useCases.listStreamFailures();
    expect(kinds(left.messages)).toEqual(["batch", "unreadable"]);
    // The very batch message that was there: a redrive still finds it.
    expect(left.messages.find((m) => m.kind === "batch")?.messageId).toBe(batchId);

    const none = await ops("stream-failures", "discard", "--json");
    expect(none.code).toBe(0);
    expect(JSON.parse(none.out[0] ?? "{}")).toEqual({
      dryRun: false,
      discarded: [],
      notDeleted: 0,
      unmatched: [],
      left: { batches: 1, setAside: 0, unreadable: 1 },
      queued: 2,
    });
    expect(none.err).toEqual([
      "No set-aside record in the stream failures queue: nothing discarded. 1 batch message(s) (a redrive " +
        "routes their events), 0 set-aside record(s) and 1 message(s) of neither kind stay.",
    ]);
    expect(await queued(stack.streamFailuresUrl)).toBe(2);
  });
});
