import {
  DeleteMessageCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { queueUrlsByLookup, SqsSubscriptionQueues } from "../../shared/adapters/sqs-subscription-queues.js";
import { queueNames } from "../../shared/topology/names.js";
import { replayDeadLetters } from "../../shared/use-cases/ops/dead-letters.js";
import { collectMessages, createQueue, sqsClient, uniqueName } from "../support/aws.js";
import { eventually } from "../support/http-sink.js";

const sqs = sqsClient();

interface QueuePair {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** The subscription the pair belongs to, on `adapter`. */
  readonly subscription: string;
  readonly adapter: SqsSubscriptionQueues;
}

/** A subscription queue and its DLQ under a fresh prefix, and the ops adapter finding them by name. */
async function queuePair(): Promise<QueuePair> {
  const prefix = uniqueName("ops-dlq");
  const name = queueNames.subscription(prefix, "billing");
  return {
    queueUrl: await createQueue(sqs, name),
    dlqUrl: await createQueue(sqs, queueNames.dlq(name)),
    subscription: "billing",
    adapter: new SqsSubscriptionQueues(sqs, prefix, queueUrlsByLookup(sqs, prefix)),
  };
}

const dlqDepth = (pair: QueuePair) => pair.adapter.depth(pair.subscription);
const listDlq = (pair: QueuePair, options: { max: number }) => pair.adapter.list(pair.subscription, options);

/** The CLI's `dlq replay`, as its tests knew it: what it moved, and how many it set out to move. */
async function replayDlq(
  pair: QueuePair,
  options: { max: number; now?: () => Date; onProgress?: (done: number, total: number) => void },
) {
  const { total, report } = await replayDeadLetters(pair.adapter, pair.subscription, {
    max: options.max,
    now: () => (options.now?.() ?? new Date()).getTime(),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  expect(report.unsent).toEqual([]);
  expect(report.notDeleted).toBe(0);
  return { total, moved: report.moved };
}

const event = (n: number) => JSON.stringify({ specversion: "1.0", id: `evt_${n}`, type: "invoice.paid" });

async function deadLetter(dlqUrl: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += 10) {
    const entries = Array.from({ length: Math.min(10, count - start) }, (_, i) => ({
      Id: String(i),
      MessageBody: event(start + i),
      MessageAttributes: {
        [A.reason]: { DataType: "String", StringValue: "retries_exhausted" },
        [A.attempts]: { DataType: "String", StringValue: "3" },
        [A.lastStatus]: { DataType: "String", StringValue: "503" },
      },
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlqUrl, Entries: entries }));
  }
}

/**
 * What the deliver function does with every message while a subscription is disabled: takes it off
 * the queue and dead-letters it again (a new message, with a new id), as fast as it can.
 */
function startDeadLettering(client: SQSClient, pair: Pick<QueuePair, "queueUrl" | "dlqUrl">) {
  let running = true;
  let moved = 0;
  const loop = (async () => {
    while (running) {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: pair.queueUrl,
          WaitTimeSeconds: 1,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
        }),
      );
      for (const m of out.Messages ?? []) {
        const attributes: Record<string, MessageAttributeValue> = {
          ...m.MessageAttributes,
          [A.reason]: { DataType: "String", StringValue: "subscription_disabled" },
        };
        await client.send(
          new SendMessageCommand({
            QueueUrl: pair.dlqUrl,
            MessageBody: m.Body,
            MessageAttributes: attributes,
          }),
        );
        await client.send(
          new DeleteMessageCommand({ QueueUrl: pair.queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
        moved++;
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return moved;
    },
  };
}

describe("ops dlq replay (against the SQS emulator)", () => {
  it("moves the one message of a disabled subscription's DLQ exactly once, although its copy dead-letters again at once", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 1);
    const deliver = startDeadLettering(sqsClient(), pair);
    let result: Awaited<ReturnType<typeof replayDlq>>;
    try {
      result = await replayDlq(pair, { max: 20 });
      // The copy comes back into the DLQ (the subscription is still disabled).
      await eventually(async () => ((await dlqDepth(pair)).visible === 1 ? true : undefined));
    } finally {
      await deliver.stop();
    }
    expect(result.total).toBe(1);
    expect(result.moved.map((m) => m.eventId)).toEqual(["evt_0"]);
    const [back, ...more] = await collectMessages(sqs, pair.dlqUrl, { until: (all) => all.length > 0 });
    expect(more).toEqual([]);
    expect(back?.Body).toBe(event(0));
    expect(back?.MessageAttributes?.[A.replayedAt]?.StringValue).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("moves what was in the DLQ when it started, reports progress n/total, and marks every copy", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 25);
    const progress: [number, number][] = [];
    const result = await replayDlq(pair, {
      max: 100,
      now: () => new Date("2026-11-24T10:00:00Z"),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(result.total).toBe(25);
    expect(result.moved).toHaveLength(25);
    expect(new Set(result.moved.map((m) => m.eventId)).size).toBe(25);
    expect(result.moved[0]).toMatchObject({ reason: "retries_exhausted", attempts: 3, lastStatus: 503 });
    expect(progress.at(-1)).toEqual([25, 25]);
    expect(progress.every(([, total]) => total === 25)).toBe(true);
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));

    const copies = await collectMessages(sqs, pair.queueUrl, { until: (all) => all.length >= 25 });
    expect(copies).toHaveLength(25);
    expect(new Set(copies.map((m) => m.MessageAttributes?.[A.replayedAt]?.StringValue))).toEqual(
      new Set(["2026-11-24T10:00:00.000Z"]),
    );
    expect(copies[0]?.MessageAttributes?.[A.replayedReason]?.StringValue).toBe("retries_exhausted");
    expect((await dlqDepth(pair)).total).toBe(0);
  });

  it("moves at most --max messages and leaves the rest", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 15);
    const result = await replayDlq(pair, { max: 10 });
    expect(result).toMatchObject({ total: 10 });
    expect(result.moved).toHaveLength(10);
    expect(await dlqDepth(pair)).toEqual({ total: 5, visible: 5, inFlight: 0, delayed: 0 });
  });

  it("says there was nothing to move in an empty DLQ", async () => {
    const pair = await queuePair();
    expect(await replayDlq(pair, { max: 100 })).toEqual({ total: 0, moved: [] });
  });
});

describe("ops dlq list / depth (against the SQS emulator)", () => {
  it("lists without hiding: depth right after counts what list showed, and a replay right after moves it all", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 3);
    const listing = await listDlq(pair, { max: 100 });
    expect(listing.stillHidden).toBe(0);
    expect(listing.messages.map((m) => m.eventId).sort()).toEqual(["evt_0", "evt_1", "evt_2"]);
    expect(await dlqDepth(pair)).toEqual({ total: 3, visible: 3, inFlight: 0, delayed: 0 });
    const replayed = await replayDlq(pair, { max: 100 });
    expect(replayed.moved.map((m) => m.eventId).sort()).toEqual(["evt_0", "evt_1", "evt_2"]);
    expect(listing.messages[0]).toEqual({
      messageId: expect.any(String),
      eventId: expect.stringMatching(/^evt_/),
      type: "invoice.paid",
      reason: "retries_exhausted",
      attempts: 3,
      lastStatus: 503,
    });
  });

  it("sees more than one receive's worth, each message once, and stops at --max", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 23);
    const all = await listDlq(pair, { max: 100 });
    expect(all.messages).toHaveLength(23);
    expect(new Set(all.messages.map((m) => m.messageId)).size).toBe(23);
    const some = await listDlq(pair, { max: 5 });
    expect(some.messages).toHaveLength(5);
    expect(await dlqDepth(pair)).toEqual({ total: 23, visible: 23, inFlight: 0, delayed: 0 });
  });

  it("counts messages in flight and delayed in the depth, part by part", async () => {
    const pair = await queuePair();
    await deadLetter(pair.dlqUrl, 2);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: pair.dlqUrl, MessageBody: event(9), DelaySeconds: 60 }),
    );
    await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pair.dlqUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }),
    );
    expect(await dlqDepth(pair)).toEqual({ total: 3, visible: 1, inFlight: 1, delayed: 1 });
  });
});
