import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { setAsideBody } from "../../shared/domain/stream-failure.js";
import type { Topology } from "../../shared/topology/topology.js";
import type {
  DiscardSetAsideReport,
  EventPage,
  RedriveReport,
  RedriveRequest,
  StreamFailureList,
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
 * What the router never fanned out, recovered on the local platform as an operator would: the router's
 * stream mapping really gives up on a batch (every router invocation holding an `order.lost` event fails
 * its first AWS call — the event index write — and the mapping retries once before it gives up), so
 * Lambda's on-failure record lands on the stream failures queue; the event is stored and acknowledged,
 * on no subscription queue and in no index. Then the ops API (the ops function's bundle in its sandbox,
 * its grants enforced) lists the queue, dry-runs the redrive, runs it, and the event reaches the real
 * HTTP receiver once; the queue is empty after.
 */
const SECRET = SINK_SECRET;
const source = SW_SOURCE;
const LOST_TYPE = "order.lost";
const sqs = sqsClient();
let sink: HttpSink;
let platform: LocalPlatform;

/** The router's stream mapping gives up after one retry (the topology says 100; only the wait changes). */
const oneRetry = (topology: Topology): Topology => ({
  ...topology,
  functions: topology.functions.map((fn) =>
    fn.key === "router"
      ? { ...fn, streamTriggers: fn.streamTriggers.map((t) => ({ ...t, maximumRetryAttempts: 1 })) }
      : fn,
  ),
});

/** Whether a router invocation holds an event of the type whose routing always fails. */
const holdsLost = (event: unknown) =>
  (event as DynamoDBStreamEvent).Records.some((r) => r.dynamodb?.NewImage?.typ?.S === LOST_TYPE);

beforeAll(async () => {
  sink = await startHttpSink();
  platform = await startTestPlatform(
    "redrive",
    {
      sources: [source],
      subscriptions: [
        {
          id: "hook",
          sources: ["sw"],
          eventTypes: ["order.*"],
          target: { type: "http", url: `${sink.url}/hook`, secret: SECRET },
        },
      ],
    },
    {},
    {
      alterTopology: oneRetry,
      faultFor: (fn, event) => (fn === "router" && holdsLost(event) ? { kind: "fail", step: 1 } : undefined),
    },
  );
});

afterAll(async () => {
  await platform?.stop();
  await sink?.close();
});

const api = <T>(method: string, path: string, body?: unknown) => opsApi<T>(platform, method, path, body);

const post = (type: string) => postTestWebhook(platform, source, { type, data: { n: 1 } });

/** Calls the redrive until it is done, each call with the previous answer's cursor; the last answer. */
async function redrive(request: RedriveRequest): Promise<RedriveReport> {
  let answer = await api<RedriveReport>("POST", "stream-failures/redrive", request);
  for (let call = 1; answer.status === 200 && !answer.body.done && call < 20; call++)
    answer = await api<RedriveReport>("POST", "stream-failures/redrive", {
      ...(request.dryRun ? { dryRun: true } : {}),
      cursor: answer.body.cursor,
    });
  expect(answer.status).toBe(200);
  expect(answer.body.done).toBe(true);
  return answer.body;
}

const posted = (id: string) =>
  sink.receivedOn("/hook").filter((r) => r.headers["webhook-id"] === id && r.status === 200);

async function listedStatus(id: string): Promise<string | undefined> {
  const page = await api<EventPage>("GET", "events?limit=50");
  return page.body.events.find((e) => e.id === id)?.deliveries.find((d) => d.subscription === "hook")?.status;
}

describe("redriving a batch the router's stream mapping gave up on, through the ops API", () => {
  let keptId: string;
  let lostId: string;

  beforeAll(async () => {
    keptId = await post("order.kept");
    await eventually(async () => ((await listedStatus(keptId)) === "delivered" ? true : undefined), 30_000);
    lostId = await post(LOST_TYPE);
    await eventually(
      async () => {
        const list = await api<StreamFailureList>("GET", "stream-failures");
        return list.body.messages.some((m) => m.kind === "batch") ? true : undefined;
      },
      30_000,
      () => "(no on-failure record on the stream failures queue)",
    );
  });

  it("lists the on-failure record Lambda sent: the shard, the sequence range, the window a redrive scans", async () => {
    const list = await api<StreamFailureList>("GET", "stream-failures");
    expect(list.status).toBe(200);
    expect(list.body.queued).toBe(1);
    expect(list.body.messages).toEqual([
      expect.objectContaining({
        kind: "batch",
        condition: "RetryAttemptsExhausted",
        records: 1,
        window: { since: expect.any(String), until: expect.any(String) },
      }),
    ]);
    // Stored and acknowledged, but never routed: no copy, and the index (the events list) does not list it.
    expect(posted(lostId)).toEqual([]);
    expect(await messagesIn(sqs, platform.queues.hook?.url ?? "")).toBe(0);
    expect(await listedStatus(lostId)).toBeUndefined();
  });

  it("dry run: the one unindexed event of the window, per subscription, and nothing sent or deleted", async () => {
    const dry = await redrive({ dryRun: true });
    expect(dry).toMatchObject({
      dryRun: true,
      windowsFrom: "stream-failures",
      inWindows: 2,
      indexed: 1,
      routed: 1,
      perSubscription: { hook: 1 },
      firstIds: [lostId],
      unroutableCount: 0,
      failures: [],
      messages: { covered: 1, deleted: 1, left: 0, setAside: 0 },
    });
    expect(dry.windows).toHaveLength(1);
    expect((await api<StreamFailureList>("GET", "stream-failures")).body.queued).toBe(1);
    expect(await messagesIn(sqs, platform.queues.hook?.url ?? "")).toBe(0);
    expect(await listedStatus(lostId)).toBeUndefined();
  });

  it("routes it as the router does: delivered to the receiver once, listed, and the queue is empty", async () => {
    const real = await redrive({});
    expect(real).toMatchObject({
      dryRun: false,
      routed: 1,
      perSubscription: { hook: 1 },
      firstIds: [lostId],
      failures: [],
      messages: { covered: 1, deleted: 1, left: 0 },
    });
    await eventually(async () => ((await listedStatus(lostId)) === "delivered" ? true : undefined), 30_000);
    expect(posted(lostId)).toHaveLength(1);
    expect(posted(keptId)).toHaveLength(1);
    expect(await messagesIn(sqs, platform.queues.hook?.url ?? "")).toBe(0);
    expect((await api<StreamFailureList>("GET", "stream-failures")).body).toEqual({
      messages: [],
      queued: 0,
    });

    // A second run over the same window finds both events listed by the index: nothing to route again.
    const since = real.windows[0]?.since ?? "";
    const until = real.windows[0]?.until ?? "";
    const again = await redrive({ dryRun: true, since, until });
    expect(again).toMatchObject({ windowsFrom: "operator", inWindows: 2, indexed: 2, routed: 0 });
  });
});

describe("discarding a record the router set aside, through the ops API (the ops function's grants enforced)", () => {
  it("dry-runs, then deletes only the set-aside record: a batch message stays", async () => {
    const now = Date.now();
    const batch = JSON.stringify({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 2 },
      DDBStreamBatchInfo: {
        shardId: "shardId-e2e",
        startSequenceNumber: "1",
        endSequenceNumber: "1",
        approximateArrivalOfFirstRecord: new Date(now - 60_000).toISOString(),
        approximateArrivalOfLastRecord: new Date(now - 60_000).toISOString(),
        batchSize: 1,
      },
    });
    const setAside = setAsideBody({
      sequenceNumber: "900",
      eventId: "evt_SetAsideE2E00000000000",
      reason: "the stream record has no new image",
    });
    for (const body of [batch, setAside])
      await sqs.send(new SendMessageCommand({ QueueUrl: platform.streamFailuresUrl, MessageBody: body }));

    const dry = await api<DiscardSetAsideReport>("POST", "stream-failures/discard", { dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      dryRun: true,
      discarded: [{ eventId: "evt_SetAsideE2E00000000000", reason: "the stream record has no new image" }],
      left: { batches: 1, setAside: 0, unreadable: 0 },
      queued: 2,
    });
    expect(await messagesIn(sqs, platform.streamFailuresUrl)).toBe(2);

    const real = await api<DiscardSetAsideReport>("POST", "stream-failures/discard", {
      eventIds: ["evt_SetAsideE2E00000000000"],
    });
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({
      dryRun: false,
      discarded: [{ eventId: "evt_SetAsideE2E00000000000", sequenceNumber: "900" }],
      notDeleted: 0,
      unmatched: [],
      left: { batches: 1, setAside: 0 },
    });
    const list = await api<StreamFailureList>("GET", "stream-failures");
    expect(list.body.messages).toEqual([expect.objectContaining({ kind: "batch", shardId: "shardId-e2e" })]);
  });
});
