import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type CallUsage, usageOf } from "./sandbox-meter.js";

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Concurrent pollers, like the event source mapping's initial pollers. */
  readonly concurrency: number;
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  readonly onError: (message: string, error: unknown) => void;
  /** Told of each billed SQS call the mapping makes, with its cost (metering). */
  readonly onCall?: (usage: CallUsage) => void;
}

const LONG_POLL_SECONDS = 1;

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? "String",
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(":")[3] ?? "us-east-1",
  };
}

/**
 * What a Lambda SQS event source mapping does, against the emulator: long-poll, gather up to
 * `batchSize` records within the batching window, invoke, delete what succeeded. Records named in
 * `batchItemFailures`, and every record of an invocation that threw, are left alone: they reappear
 * after the queue's visibility timeout and move to the DLQ after `maxReceiveCount` receives (the
 * emulator applies the queue's redrive policy, as SQS does).
 */
export class SqsPoller {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
      { abortSignal: this.abort.signal },
    );
    const messages = out.Messages ?? [];
    // An empty long poll is a fixed cost of the mapping, not of any webhook: metered only when it found some.
    if (messages.length > 0) this.options.onCall?.(usageOf("SQS", "ReceiveMessage", {}, out, undefined));
    return messages;
  }

  private async loop(): Promise<void> {
    const { batchSize, maxBatchingWindowSeconds } = this.options;
    while (!this.abort.signal.aborted) {
      try {
        const batch = await this.receive(batchSize, LONG_POLL_SECONDS);
        if (batch.length === 0) continue;
        const deadline = Date.now() + maxBatchingWindowSeconds * 1000;
        while (batch.length < batchSize && Date.now() < deadline) {
          const more = await this.receive(batchSize - batch.length, 0);
          if (more.length === 0) await new Promise((r) => setTimeout(r, 50));
          batch.push(...more);
        }
        await this.dispatch(batch);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onError(`polling ${this.options.queueUrl} failed`, error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async dispatch(batch: Message[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map((m) => toRecord(m, this.options.queueArn)) };
    let failed: Set<string>;
    try {
      const response = (await this.options.invoke(event)) as SQSBatchResponse | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      this.options.onError(
        `invocation for ${this.options.queueUrl} failed; the batch returns to the queue`,
        error,
      );
      return;
    }
    const done = batch.filter((m) => m.MessageId !== undefined && !failed.has(m.MessageId));
    if (done.length === 0) return;
    const input = {
      QueueUrl: this.options.queueUrl,
      Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
    };
    const out = await this.options.sqs.send(new DeleteMessageBatchCommand(input));
    this.options.onCall?.(usageOf("SQS", "DeleteMessageBatch", input, out, undefined));
  }
}
