import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { parseOpsJob } from "../../shared/http/ops-api.js";
import type { NewEvent } from "../../shared/ports/event-store.js";
import type { ReplayStatus } from "../../shared/use-cases/ops/contract.js";
import { httpSubscription, opsConfig, opsStack, READER, sampleEvent, WRITER } from "../support/ops-stack.js";

/**
 * Replays on their real adapters: events seeded through the ingest store and the router use case,
 * dead letters put in the subscriptions' DLQs as the deliver function puts them there, and the ops jobs
 * queue consumed by the test as the ops function consumes it (one `continueReplay` per job).
 */
let stack: Awaited<ReturnType<typeof opsStack>>;
const MINUTE = 60_000;
const NOW = Date.now();
const seeded: NewEvent[] = [];

beforeAll(async () => {
  stack = await opsStack(
    opsConfig([
      httpSubscription("billing", { eventTypes: ["invoice.*"] }),
      httpSubscription("shipping", { eventTypes: ["order.*"] }),
      { id: "audit", target: { type: "queue" } },
    ]),
    { sliceEvents: 7 },
    { jobs: true },
  );
  stack.setNow(NOW);
  for (let b = 0; b < 4; b++) {
    const batch = Array.from({ length: 5 }, (_, i) =>
      sampleEvent("sw", i % 2 === 0 ? "invoice.paid" : "order.created", NOW - (b * 20 + i) * MINUTE),
    );
    await stack.ingest(batch);
    seeded.push(...batch);
  }
  seeded.sort((a, b) => b.receivedAt - a.receivedAt);
  await stack.drain("billing", 12);
  await stack.drain("shipping", 8);
  await stack.drain("audit", 20);
}, 60_000);

/** Takes the next job off the jobs queue (waiting a little), or undefined when there is none. */
async function nextJob(): Promise<string | undefined> {
  const out = await stack.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: stack.jobsUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
  );
  const message = out.Messages?.[0];
  if (!message) return undefined;
  await stack.sqs.send(
    new DeleteMessageCommand({ QueueUrl: stack.jobsUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  return parseOpsJob(message.Body ?? "");
}

/** Consumes jobs as the ops function does until the replay is no longer running; the progress seen. */
async function runJobs(id: string): Promise<{ final: ReplayStatus; progress: number[]; jobs: number }> {
  const progress: number[] = [];
  let jobs = 0;
  for (;;) {
    const job = await nextJob();
    if (job === undefined) return { final: await stack.useCases.getReplay(id), progress, jobs };
    expect(job).toBe(id);
    jobs++;
    const status = await stack.useCases.continueReplay(job);
    progress.push(status.sent);
  }
}

const cloudEventOf = (id: string, type: string, receivedAt: number) =>
  JSON.stringify({
    specversion: "1.0",
    id,
    source: "/webhooks/sw",
    type,
    time: new Date(receivedAt).toISOString(),
    datacontenttype: "application/json",
    data: {},
    webhooksourceid: "sw",
    webhookprovider: "standard-webhooks",
  });

const idsOf = (messages: readonly Message[]) => messages.map((m) => JSON.parse(m.Body ?? "{}").id as string);

describe("replays of archived events (against the emulators)", () => {
  it("estimates how many deliveries a filter would send, per subscription, and the newest ids", async () => {
    const invoices = seeded.filter((e) => e.type === "invoice.paid");
    expect(await stack.useCases.estimateReplay({ type: "invoice.paid" })).toEqual({
      dryRun: true,
      total: 24,
      perSubscription: { billing: 12, shipping: 0, audit: 12 },
      firstIds: invoices.slice(0, 10).map((e) => e.id),
    });
    expect(await stack.useCases.estimateReplay({ subscription: "shipping" })).toMatchObject({
      total: 8,
      perSubscription: { shipping: 8 },
    });
    const since = new Date(NOW - 10 * MINUTE).toISOString();
    expect(await stack.useCases.estimateReplay({ since, subscription: "billing" })).toMatchObject({
      total: invoices.filter((e) => e.receivedAt >= NOW - 10 * MINUTE).length,
    });
    // Nothing was sent.
    expect(await stack.drain("billing")).toEqual([]);
  });

  it("sends each (event, subscription) once, as a resend named by the replay, slice by slice through the jobs queue", async () => {
    const { id } = await stack.useCases.startReplay({ type: "invoice.paid" }, WRITER);
    expect(id).toMatch(/^rpl_[0-9a-f]{32}$/);
    const started = await stack.useCases.getReplay(id);
    expect(started).toMatchObject({
      id,
      state: "running",
      total: 24,
      sent: 0,
      by: "test-operator",
      failures: [],
    });
    expect(started.filter).toEqual({
      type: "invoice.paid",
      since: expect.any(String),
      until: expect.any(String),
    });
    const { final, progress, jobs } = await runJobs(id);
    // 12 events of 7 per slice: two slices.
    expect(jobs).toBe(2);
    expect(progress).toEqual([14, 24]);
    expect(final).toMatchObject({
      state: "done",
      total: 24,
      sent: 24,
      perSubscription: { billing: 12, audit: 12 },
      failures: [],
      finishedAt: expect.any(String),
    });
    const billing = await stack.drain("billing", 12);
    const audit = await stack.drain("audit", 12);
    const invoices = seeded.filter((e) => e.type === "invoice.paid").map((e) => e.id);
    expect(idsOf(billing)).toEqual(invoices);
    expect(idsOf(audit).sort()).toEqual([...invoices].sort());
    expect(
      new Set([...billing, ...audit].map((m) => m.MessageAttributes?.[A.resendId]?.StringValue)),
    ).toEqual(new Set([id]));
    // Nothing more: another job for a finished replay does nothing.
    expect(await stack.useCases.continueReplay(id)).toEqual(final);
    expect(await stack.drain("billing")).toEqual([]);
  });

  it("lets one of two slices running at once own the replay, so nothing is sent twice", async () => {
    const { id } = await stack.useCases.startReplay({ subscription: "shipping" }, WRITER);
    await nextJob();
    const [a, b] = await Promise.all([stack.useCases.continueReplay(id), stack.useCases.continueReplay(id)]);
    // A slice looks at 7 events of the index (3 of them orders); the other saw the replay taken.
    const firstSlice = seeded.slice(0, 7).filter((e) => e.type === "order.created").length;
    expect(Math.max(a.sent, b.sent)).toBe(firstSlice);
    expect(Math.min(a.sent, b.sent)).toBeLessThanOrEqual(firstSlice);
    const { final } = await runJobs(id);
    expect(final).toMatchObject({ state: "done", total: 8, sent: 8 });
    expect((await stack.drain("shipping", 8)).length).toBe(8);
    expect(await stack.drain("shipping")).toEqual([]);
  });

  it("lists the events it could not send (payload erased) and sends the rest", async () => {
    const target = seeded.find((e) => e.type === "order.created") as NewEvent;
    const { id } = await stack.useCases.startReplay(
      { type: "order.created", subscription: "shipping" },
      WRITER,
    );
    await stack.useCases.erasePayload(target.id, WRITER);
    const { final } = await runJobs(id);
    expect(final).toMatchObject({
      state: "done",
      total: 8,
      sent: 7,
      failures: [{ eventId: target.id, error: expect.stringMatching(/^its payload was erased at /) }],
    });
    expect(idsOf(await stack.drain("shipping", 7))).not.toContain(target.id);
  });

  it("finishes at once when the filter matches nothing", async () => {
    const { id } = await stack.useCases.startReplay({ type: "nothing.matches" }, WRITER);
    expect(await stack.useCases.getReplay(id)).toMatchObject({ state: "done", total: 0, sent: 0 });
    expect(await nextJob()).toBeUndefined();
  });
});

describe("replays of dead letters (against the emulators)", () => {
  it("moves only the matching dead letters out of the DLQ, each once, and leaves the others visible", async () => {
    const letters = Array.from({ length: 9 }, (_, i) => ({
      id: `evt_dead${i}`,
      type: i % 3 === 0 ? "invoice.refused" : "invoice.paid",
      receivedAt: NOW - i * MINUTE,
    }));
    for (const [i, l] of letters.entries())
      await stack.deadLetter(
        "billing",
        cloudEventOf(l.id, l.type, l.receivedAt),
        i % 3 === 0 ? "permanent_failure" : "retries_exhausted",
      );
    await stack.deadLetter("shipping", cloudEventOf("evt_ship", "order.created", NOW), "retries_exhausted");

    const filter = { deadLettered: true, reason: "retries_exhausted", subscription: "billing" } as const;
    const estimate = await stack.useCases.estimateReplay(filter);
    const matching = letters.filter((l) => l.type === "invoice.paid").map((l) => l.id);
    expect(estimate).toEqual({ dryRun: true, total: 6, perSubscription: { billing: 6 }, firstIds: matching });
    // The estimate took nothing away.
    expect(await stack.deps.deadLetters.depth("billing")).toMatchObject({ visible: 9, inFlight: 0 });

    const { id } = await stack.useCases.startReplay(filter, WRITER);
    const { final, jobs } = await runJobs(id);
    expect(jobs).toBeGreaterThanOrEqual(2); // 9 messages to look at, 7 per slice
    expect(final).toMatchObject({
      state: "done",
      total: 6,
      sent: 6,
      perSubscription: { billing: 6 },
      failures: [],
    });
    const moved = await stack.drain("billing", 6);
    expect(idsOf(moved).sort()).toEqual([...matching].sort());
    expect(moved[0]?.MessageAttributes?.[A.replayedAt]?.StringValue).toMatch(/^\d{4}-/);
    expect(moved[0]?.MessageAttributes?.[A.replayedReason]?.StringValue).toBe("retries_exhausted");
    // The three others stay in the DLQ, visible; the shipping DLQ was not touched.
    expect(await stack.deps.deadLetters.depth("billing")).toMatchObject({ total: 3, visible: 3 });
    expect(await stack.deps.deadLetters.depth("shipping")).toMatchObject({ total: 1, visible: 1 });
    // A second replay of the same filter finds nothing left to move.
    expect((await stack.useCases.estimateReplay(filter)).total).toBe(0);
  });

  it("looks at no more messages than the DLQ held when it started, though copies dead-letter again", async () => {
    await stack.deadLetter("audit", cloudEventOf("evt_loop", "x.y", NOW));
    const { id } = await stack.useCases.startReplay({ deadLettered: true, subscription: "audit" }, WRITER);
    // A consumer that fails everything: each copy comes straight back into the DLQ (a new message).
    const bounce = async () => {
      const [copy] = await stack.drain("audit", 1);
      await stack.deadLetter("audit", copy?.Body ?? "");
    };
    await nextJob();
    const status = await stack.useCases.continueReplay(id);
    await bounce();
    const { final } = await runJobs(id);
    expect([status.state, final.state]).toContain("done");
    expect(final).toMatchObject({ total: 1, sent: 1 });
    expect(await stack.deps.deadLetters.depth("audit")).toMatchObject({ total: 1 });
  });

  it("refuses read-only operators, unknown replays and filters that do not fit", async () => {
    await expect(stack.useCases.startReplay({ type: "x" }, READER)).rejects.toMatchObject({
      code: "forbidden",
      detail: "test-viewer has read-only access; starting a replay needs an operator with write access.",
    });
    await expect(stack.useCases.getReplay("rpl_nope")).rejects.toMatchObject({ code: "not_found" });
    await expect(stack.useCases.continueReplay("rpl_nope")).rejects.toMatchObject({ code: "not_found" });
    await expect(stack.useCases.estimateReplay({ reason: "retries_exhausted" })).rejects.toMatchObject({
      code: "invalid_request",
      detail: expect.stringMatching(/^filter\.reason: only dead letters have a reason/),
    });
    await expect(stack.useCases.estimateReplay({ subscription: "nope" })).rejects.toMatchObject({
      detail: "filter.subscription: Unknown subscription 'nope'; known: billing, shipping, audit",
    });
    await expect(stack.useCases.estimateReplay({ since: "soon" })).rejects.toMatchObject({
      code: "invalid_request",
    });
  });
});
