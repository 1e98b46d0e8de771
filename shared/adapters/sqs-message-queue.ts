import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  type QueueAttributeName,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { MessageQueue, OutboundMessage } from "../ports/message-queue.js";
import type { QueueDepth } from "../ports/subscription-queues.js";

/** SQS allows 10 entries and 1 MiB (body plus attributes) per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;

function toAttributes(
  attributes: Readonly<Record<string, string>> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes) return undefined;
  const entries = Object.entries(attributes);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
}

function sizeOf(message: OutboundMessage): number {
  let size = Buffer.byteLength(message.body);
  for (const [k, v] of Object.entries(message.attributes ?? {})) {
    size += Buffer.byteLength(k) + Buffer.byteLength(v) + "String".length;
  }
  return size;
}

export class SqsMessageQueue implements MessageQueue {
  constructor(private readonly client: SQSClient) {}

  async send(queueUrl: string, message: OutboundMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: message.body,
        DelaySeconds: message.delaySeconds,
        MessageAttributes: toAttributes(message.attributes),
      }),
    );
  }

  async sendBatch(queueUrl: string, messages: readonly OutboundMessage[]): Promise<readonly number[]> {
    const failed: number[] = [];
    const chunks: number[][] = [];
    let current: number[] = [];
    let bytes = 0;
    messages.forEach((message, index) => {
      const size = sizeOf(message);
      if (current.length === MAX_BATCH_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(index);
      bytes += size;
    });
    if (current.length > 0) chunks.push(current);

    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const result = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((index) => {
                const message = messages[index] as OutboundMessage;
                return {
                  Id: String(index),
                  MessageBody: message.body,
                  DelaySeconds: message.delaySeconds,
                  MessageAttributes: toAttributes(message.attributes),
                };
              }),
            }),
          );
          for (const entry of result.Failed ?? []) failed.push(Number(entry.Id));
        } catch {
          failed.push(...chunk);
        }
      }),
    );
    return failed.sort((a, b) => a - b);
  }
}

/** A queue's approximate counts (one GetQueueAttributes): visible, in flight, delayed, and their sum. */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const out = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
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

/**
 * Deletes received messages by their receipt handles, ten per DeleteMessageBatch. Returns the indexes
 * (into `receiptHandles`) of those SQS did not delete; a batch whose call failed counts whole.
 */
export async function deleteReceived(
  client: SQSClient,
  queueUrl: string,
  receiptHandles: readonly string[],
): Promise<number[]> {
  const failed: number[] = [];
  for (let i = 0; i < receiptHandles.length; i += MAX_BATCH_ENTRIES) {
    const batch = receiptHandles.slice(i, i + MAX_BATCH_ENTRIES);
    try {
      const out = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle })),
        }),
      );
      for (const f of out.Failed ?? []) failed.push(i + Number(f.Id));
    } catch {
      for (let j = 0; j < batch.length; j++) failed.push(i + j);
    }
  }
  return failed;
}

/**
 * Makes received messages visible again at once (visibility 0), ten per call. Returns how many could
 * not be released: those come back when their hold ends.
 */
export async function releaseReceived(
  client: SQSClient,
  queueUrl: string,
  receiptHandles: readonly string[],
): Promise<number> {
  let failed = 0;
  for (let i = 0; i < receiptHandles.length; i += MAX_BATCH_ENTRIES) {
    const batch = receiptHandles.slice(i, i + MAX_BATCH_ENTRIES);
    try {
      const out = await client.send(
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
