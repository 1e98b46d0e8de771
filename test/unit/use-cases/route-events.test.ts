import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../shared/config/load-config.js";
import { parseCloudEvent } from "../../../shared/domain/cloud-event.js";
import type { EventIndex, IndexedEvent } from "../../../shared/ports/event-index.js";
import type { StoredEvent } from "../../../shared/ports/event-store.js";
import type { MessageQueue, OutboundMessage } from "../../../shared/ports/message-queue.js";
import { type AcceptedRecord, createRouteEvents } from "../../../shared/use-cases/route-events.js";

const subscriptions = parseConfig({
  sources: [],
  subscriptions: [
    {
      id: "hook",
      target: {
        type: "http",
        url: "https://example.test/hook",
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      },
    },
    { id: "tap", target: { type: "queue" } },
  ],
}).subscriptions;

const event = (id: string): StoredEvent => ({
  id,
  sourceId: "sw",
  provider: "standard-webhooks",
  type: "order.created",
  receivedAt: Date.parse("2026-12-06T21:00:00Z"),
  contentType: "application/json",
  headers: {},
  body: Buffer.from(`{"n":"${id}"}`),
  bodyBytes: 12,
  expiresAt: 2_000_000_000,
});

/** A queue that keeps what went in, per queue URL, and fails the sends `failures` says to fail. */
function recordingQueue(failures: (url: string, call: number) => "all" | readonly number[] | undefined) {
  const accepted = new Map<string, string[]>();
  const calls = new Map<string, number>();
  const queue: MessageQueue = {
    send: async () => undefined,
    sendBatch: async (url: string, messages: readonly OutboundMessage[]) => {
      const call = (calls.get(url) ?? 0) + 1;
      calls.set(url, call);
      const fail = failures(url, call);
      if (fail === "all") throw new Error("connection reset");
      const failed = fail ?? [];
      const went = messages.filter((_, i) => !failed.includes(i)).map((m) => parseCloudEvent(m.body).id);
      accepted.set(url, [...(accepted.get(url) ?? []), ...went]);
      return failed;
    },
  };
  return { queue, accepted };
}

const index: EventIndex = { append: async (_events: readonly IndexedEvent[]) => undefined };
const records = (...ids: string[]): AcceptedRecord[] =>
  ids.map((id, i) => ({ sequenceNumber: String(100 + i), event: event(id) }));

describe("createRouteEvents", () => {
  const route = (queue: MessageQueue) =>
    createRouteEvents({
      subscriptions,
      queue,
      queueUrlFor: (id) => `q/${id}`,
      index,
      failuresQueueUrl: "q/failures",
    });

  it("sends a copy that failed to go in again at once, so the stream's retry does not duplicate the copies that went in", async () => {
    // The tap queue's send fails once (the whole call, then one entry): handing the record back to the
    // stream would send its hook copy a second time, and two copies in flight may both be POSTed.
    const { queue, accepted } = recordingQueue((url, call) =>
      url === "q/tap" ? (call === 1 ? "all" : call === 2 ? [1] : undefined) : undefined,
    );
    const report = await route(queue)(records("evt_a", "evt_b"));
    expect(report.failedSequenceNumbers).toEqual([]);
    expect(report.fannedOut).toBe(4);
    expect(accepted.get("q/hook")).toEqual(["evt_a", "evt_b"]);
    expect(accepted.get("q/tap")?.sort()).toEqual(["evt_a", "evt_b"]);
  });

  it("hands a record back to the stream when its copy keeps failing", async () => {
    const { queue, accepted } = recordingQueue((url) => (url === "q/tap" ? [0] : undefined));
    const report = await route(queue)(records("evt_a", "evt_b"));
    expect(report.failedSequenceNumbers).toEqual(["100"]);
    expect(report.fannedOut).toBe(3);
    expect(accepted.get("q/hook")).toEqual(["evt_a", "evt_b"]);
    expect(accepted.get("q/tap")).toEqual(["evt_b"]);
  });
});
