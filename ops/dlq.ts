import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  type QueueAttributeName,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DELIVERY_ATTRIBUTES as A } from "../shared/adapters/sqs-delivery-queue.js";
import { queueNames } from "../shared/topology/names.js";
import { OPS_ERROR_CODES, OpsError } from "./errors.js";

/** How long `listDlq` holds the messages it has seen before it makes them visible again. */
const LIST_HOLD_SECONDS = 20;
/** How long `replayDlq` holds a message it is moving: covers the send and the delete. */
const REPLAY_HOLD_SECONDS = 60;

export interface DlqMessageSummary {
  readonly messageId: string;
  readonly eventId?: string;
  readonly type?: string;
  readonly reason: string;
  readonly attempts?: number;
  readonly lastStatus?: number;
  readonly errorClass?: string;
  readonly detail?: string;
  readonly failedAt?: string;
}

export interface QueuePair {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** A subscription's queue and DLQ URLs, found by the names the topology gives them. */
export async function resolveSubscriptionQueues(
  sqs: SQSClient,
  prefix: string,
  subscriptionId: string,
): Promise<QueuePair> {
  const name = queueNames.subscription(prefix, subscriptionId);
  const url = async (queueName: string) => {
    try {
      const out = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      if (out.QueueUrl) return out.QueueUrl;
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
    }
    throw new OpsError(
      OPS_ERROR_CODES.noTarget,
      `No queue ${queueName}: does the stack run this subscription (redeploy, or restart npm start, after ` +
        `adding it), and is the prefix '${prefix}' right?`,
    );
  };
  return { queueUrl: await url(name), dlqUrl: await url(queueNames.dlq(name)) };
}

const numberOrUndefined = (value: string | undefined) =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;

function summarise(message: Message): DlqMessageSummary {
  const attr = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  let eventId: string | undefined;
  let type: string | undefined;
  try {
    const body = JSON.parse(message.Body ?? "") as { id?: unknown; type?: unknown };
    if (typeof body.id === "string") eventId = body.id;
    if (typeof body.type === "string") type = body.type;
  } catch {
    // Not a CloudEvent (a consumer's own message on a queue subscription): shown without id and type.
  }
  return withoutUndefined({
    messageId: message.MessageId ?? "",
    eventId,
    type,
    reason: attr(A.reason) ?? "max_receive_count (moved by SQS redrive)",
    attempts: numberOrUndefined(attr(A.attempts) ?? attr(A.attempt)),
    lastStatus: numberOrUndefined(attr(A.lastStatus)),
    errorClass: attr(A.errorClass),
    detail: attr(A.detail),
    failedAt: attr(A.failedAt),
  });
}

/** The same object without its undefined fields (so JSON output and tables show only what is there). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export interface QueueDepth {
  /** Every message in the queue: visible + in flight + delayed. */
  readonly total: number;
  /** Ready to be received (`ApproximateNumberOfMessages`). */
  readonly visible: number;
  /** Received and not yet deleted or released (`ApproximateNumberOfMessagesNotVisible`). */
  readonly inFlight: number;
  /** Sent with a delay that has not ended (`ApproximateNumberOfMessagesDelayed`). */
  readonly delayed: number;
}

export async function dlqDepth(sqs: SQSClient, dlqUrl: string): Promise<QueueDepth> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const count = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
  const visible = count("ApproximateNumberOfMessages");
  const inFlight = count("ApproximateNumberOfMessagesNotVisible");
  const delayed = count("ApproximateNumberOfMessagesDelayed");
  return { total: visible + inFlight + delayed, visible, inFlight, delayed };
}

async function receive(sqs: SQSClient, queueUrl: string, max: number, holdSeconds: number) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, max),
      // Long polling asks every SQS server, so an empty answer means the queue is empty.
      WaitTimeSeconds: 1,
      VisibilityTimeout: holdSeconds,
      MessageAttributeNames: ["All"],
    }),
  );
  return out.Messages ?? [];
}

/** Makes held messages visible again at once; returns how many could not be (they return when their hold ends). */
async function release(sqs: SQSClient, queueUrl: string, receiptHandles: readonly string[]): Promise<number> {
  let failed = 0;
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const batch = receiptHandles.slice(i, i + 10);
    try {
      const out = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
        }),
      );
      failed += out.Failed?.length ?? 0;
    } catch {
      failed += batch.length;
    }
  }
  return failed;
}

export interface DlqListing {
  readonly messages: DlqMessageSummary[];
  /** Messages that could not be made visible again: they stay hidden until `hiddenForSeconds` pass. */
  readonly stillHidden: number;
  readonly hiddenForSeconds: number;
}

/**
 * Shows what sits in a DLQ without taking it away: every message seen is held only while the listing
 * runs (so each is seen once) and then made visible again, so a replay right after finds them all.
 * Stops at `max` messages, at the queue's approximate count, or when a receive comes back empty.
 */
export async function listDlq(sqs: SQSClient, dlqUrl: string, options: { max: number }): Promise<DlqListing> {
  const { total } = await dlqDepth(sqs, dlqUrl);
  const bound = Math.min(options.max, Math.max(total, 1));
  const seen = new Map<string, Message>();
  let stillHidden = 0;
  try {
    while (seen.size < bound) {
      const messages = await receive(sqs, dlqUrl, bound - seen.size, LIST_HOLD_SECONDS);
      if (messages.length === 0) break;
      for (const m of messages) seen.set(m.MessageId ?? "", m);
    }
  } finally {
    const handles = [...seen.values()].map((m) => m.ReceiptHandle ?? "");
    stillHidden = await release(sqs, dlqUrl, handles);
  }
  return {
    messages: [...seen.values()].slice(0, options.max).map(summarise),
    stillHidden,
    hiddenForSeconds: LIST_HOLD_SECONDS,
  };
}

export interface ReplayResult {
  /** The DLQ's message count when the replay started (at most `max`): the most it would move. */
  readonly total: number;
  readonly moved: DlqMessageSummary[];
}

/**
 * Moves the messages that were in a DLQ when the replay started (at most `max`) back onto the
 * subscription queue as fresh deliveries (attempt 1, no wait), body byte for byte so the event id and
 * `webhook-id` stay the same, each marked `webhooks.replayed-at`. Each message is sent before it is
 * deleted from the DLQ: a crash in between replays it twice, never loses it.
 *
 * It never moves the same message twice: the ids of the moved messages and of their copies are
 * remembered, and the count read at the start bounds the run. A copy that fails again during the
 * replay comes back into the DLQ under yet another id; the bound keeps it from going round in a loop
 * (on a busy DLQ it may take the place of an older message, which waits for the next replay).
 */
export async function replayDlq(
  sqs: SQSClient,
  pair: QueuePair,
  options: { max: number; now?: () => Date; onProgress?: (done: number, total: number) => void },
): Promise<ReplayResult> {
  const depth = await dlqDepth(sqs, pair.dlqUrl);
  const total = Math.min(options.max, depth.visible + depth.inFlight);
  const moved: DlqMessageSummary[] = [];
  const known = new Set<string>();
  const skipped: string[] = [];
  try {
    while (moved.length < total) {
      const received = await receive(sqs, pair.dlqUrl, total - moved.length, REPLAY_HOLD_SECONDS);
      if (received.length === 0) break;
      const messages: Message[] = [];
      for (const m of received) {
        if (known.has(m.MessageId ?? "")) skipped.push(m.ReceiptHandle ?? "");
        else messages.push(m);
      }
      if (messages.length === 0) continue;
      const replayedAt = (options.now?.() ?? new Date()).toISOString();
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: pair.queueUrl,
          Entries: messages.map((m, i) => {
            const reason = m.MessageAttributes?.[A.reason]?.StringValue;
            return {
              Id: String(i),
              MessageBody: m.Body ?? "",
              MessageAttributes: {
                [A.replayedAt]: { DataType: "String", StringValue: replayedAt },
                ...(reason ? { [A.replayedReason]: { DataType: "String", StringValue: reason } } : {}),
              },
            };
          }),
        }),
      );
      for (const s of sent.Successful ?? []) if (s.MessageId) known.add(s.MessageId);
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const copied = messages.filter((_, i) => ok.has(i));
      for (const m of copied) known.add(m.MessageId ?? "");
      let notDeleted = 0;
      if (copied.length > 0) {
        const deleted = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: pair.dlqUrl,
            Entries: copied.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
        notDeleted = deleted.Failed?.length ?? 0;
      }
      moved.push(...copied.map(summarise));
      options.onProgress?.(moved.length, total);
      const unsent = messages.length - copied.length;
      if (unsent > 0 || notDeleted > 0) {
        const why = (sent.Failed ?? [])[0]?.Message ?? "";
        throw new OpsError(
          OPS_ERROR_CODES.partial,
          `Replayed ${moved.length} of ${total} message(s), then stopped: ` +
            [
              unsent > 0 ? `${unsent} could not be re-sent${why ? ` (${why})` : ""} and stay in the DLQ` : "",
              notDeleted > 0
                ? `${notDeleted} were re-sent but not deleted from the DLQ (they show up there again; ` +
                  "a copy whose POST succeeded is never POSTed twice)"
                : "",
            ]
              .filter(Boolean)
              .join("; "),
        );
      }
    }
  } finally {
    await release(sqs, pair.dlqUrl, skipped);
  }
  return { total, moved };
}
