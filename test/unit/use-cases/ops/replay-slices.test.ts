import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../../shared/config/load-config.js";
import type { NewEvent } from "../../../../shared/ports/event-store.js";
import { createOpsUseCases } from "../../../../shared/use-cases/ops/create-ops-use-cases.js";
import { inMemoryOps } from "../../../support/in-memory-ops.js";

const NOW = Date.parse("2026-11-24T10:00:00Z");
const WRITER = { id: "ops@example.com", canWrite: true };
const config = parseConfig({
  sources: [],
  subscriptions: [
    { id: "billing", eventTypes: ["invoice.*"], target: { type: "queue" } },
    { id: "audit", target: { type: "queue" } },
  ],
});

const events: NewEvent[] = Array.from({ length: 10 }, (_, i) => ({
  id: `evt_${i}`,
  sourceId: "sw",
  provider: "standard-webhooks",
  type: i % 2 === 0 ? "invoice.paid" : "order.created",
  receivedAt: NOW - (i + 1) * 60_000,
  headers: {},
  body: Buffer.from(`{"n":${i}}`),
  expiresAt: Math.floor(NOW / 1000) + 86_400,
}));

function setup(sliceEvents = 3) {
  const ops = inMemoryOps(config, events, NOW);
  return { ...ops, useCases: createOpsUseCases(ops.deps, { sliceEvents, sliceMs: 30_000 }) };
}

/** (event id, subscription) of every delivery sent, in order. */
const pairs = (sent: { subscriptionId: string; delivery: { body: string } }[]) =>
  sent.map((s) => `${(JSON.parse(s.delivery.body) as { id: string }).id}>${s.subscriptionId}`);

describe("a replay, slice by slice", () => {
  it("handles at most `sliceEvents` events per slice, continues from its cursor, and sends each delivery once", async () => {
    const { useCases, queues, jobs } = setup(3);
    const { id } = await useCases.startReplay({ since: new Date(NOW - 3_600_000).toISOString() }, WRITER);
    expect(jobs).toEqual([{ replayId: id }]);
    const sentAfter: number[] = [];
    for (let slice = 0; slice < 4; slice++) {
      const status = await useCases.continueReplay(id);
      sentAfter.push(queues.sent.length);
      expect(status.state).toBe(slice < 3 ? "running" : "done");
    }
    // 10 events newest first, 3 per slice; invoices go to billing and audit, orders to audit.
    expect(sentAfter).toEqual([5, 9, 14, 15]);
    expect(pairs(queues.sent).sort()).toEqual(
      events
        .flatMap((e) =>
          e.type === "invoice.paid" ? [`${e.id}>billing`, `${e.id}>audit`] : [`${e.id}>audit`],
        )
        .sort(),
    );
    expect(new Set(queues.sent.map((s) => s.delivery.resendId))).toEqual(new Set([id]));
    // A job per slice that left work behind.
    expect(jobs).toHaveLength(4);
    expect(await useCases.getReplay(id)).toMatchObject({
      state: "done",
      total: 15,
      sent: 15,
      perSubscription: { billing: 5, audit: 10 },
      failures: [],
    });
  });

  it("retries a failed slice from the last recorded cursor, resending nothing already recorded", async () => {
    const { useCases, queues, jobs } = setup(3);
    const { id } = await useCases.startReplay({ subscription: "audit" }, WRITER);
    await useCases.continueReplay(id);
    expect(queues.sent).toHaveLength(3);
    queues.failNext = 1;
    await expect(useCases.continueReplay(id)).rejects.toThrow(/3 deliveries could not be queued/);
    const afterFailure = await useCases.getReplay(id);
    expect(afterFailure).toMatchObject({
      state: "running",
      sent: 3,
      failures: [{ error: expect.stringMatching(/^a slice failed: 3 deliveries could not be queued/) }],
    });
    const jobsBefore = jobs.length;
    while ((await useCases.continueReplay(id)).state === "running");
    expect(jobs.length).toBeGreaterThan(jobsBefore);
    expect(pairs(queues.sent)).toEqual(events.map((e) => `${e.id}>audit`));
  });

  it("gives a replay up after three slices in a row failed", async () => {
    const { useCases, queues } = setup(3);
    const { id } = await useCases.startReplay({ subscription: "audit" }, WRITER);
    queues.failNext = 3;
    await expect(useCases.continueReplay(id)).rejects.toThrow();
    await expect(useCases.continueReplay(id)).rejects.toThrow();
    const given = await useCases.continueReplay(id);
    expect(given).toMatchObject({ state: "failed", sent: 0, finishedAt: expect.any(String) });
    expect(given.failures).toHaveLength(3);
    expect((await useCases.continueReplay(id)).state).toBe("failed");
    expect(queues.sent).toEqual([]);
  });

  it("leaves a replay to the slice that holds it, and stops a slice whose lease another took over", async () => {
    const { useCases, queues, replays, jobs, advance } = setup(3);
    const { id } = await useCases.startReplay({ subscription: "audit" }, WRITER);
    // Another runner took it: its lease has not run out, so this slice does nothing.
    const held = replays.records.get(id);
    if (!held) throw new Error("no record");
    replays.records.set(id, {
      record: { ...held.record, leaseUntil: NOW + 60_000 },
      version: held.version + 1,
    });
    expect(await useCases.continueReplay(id)).toMatchObject({ state: "running", sent: 0 });
    expect(queues.sent).toEqual([]);
    // Its lease ran out (it crashed): this slice claims the replay, and another claims it behind its back.
    advance(120_000);
    queues.onEnqueue = () => {
      const current = replays.records.get(id);
      if (current) replays.records.set(id, { ...current, version: current.version + 1 });
    };
    const jobsBefore = jobs.length;
    expect(await useCases.continueReplay(id)).toMatchObject({ state: "running", sent: 0 });
    expect(jobs).toHaveLength(jobsBefore);
  });
});
