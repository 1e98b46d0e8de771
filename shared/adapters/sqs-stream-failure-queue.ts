import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { decodeStreamFailure } from "../domain/stream-failure.js";
import type {
  StreamFailureListing,
  StreamFailureMessage,
  StreamFailureQueue,
  StreamFailureRemoval,
} from "../ports/stream-failure-queue.js";
import { queueDepth } from "./sqs-message-queue.js";

/** How long a listing or a removal holds the messages it has received before it lets them go. */
const HOLD_SECONDS = 30;

/**
 * The stream failures queue on SQS. Listing receives every message (holding each while it looks) and
 * makes them visible again; removing receives them, deletes the chosen ones and releases the rest. The
 * bound of both is the queue's count when they begin, so a queue that fills meanwhile cannot keep them
 * going.
 */
export class SqsStreamFailureQueue implements StreamFailureQueue {
  constructor(
    private readonly sqs: SQSClient,
    /** The queue's URL (found on first use). */
    private readonly url: () => Promise<string>,
  ) {}

  async list(max: number): Promise<StreamFailureListing> {
    const queueUrl = await this.url();
    const queued = await this.depth(queueUrl);
    const seen = await this.receiveAll(queueUrl, Math.min(max, Math.max(queued, 1)));
    await this.release(queueUrl, seen);
    return { messages: seen.map(messageOf), queued };
  }

  async removeWhere(
    choose: (message: StreamFailureMessage) => boolean,
    max: number,
  ): Promise<StreamFailureRemoval> {
    const queueUrl = await this.url();
    const queued = await this.depth(queueUrl);
    const seen = (await this.receiveAll(queueUrl, Math.min(max, Math.max(queued, 1)))).map((m) => ({
      m,
      decoded: messageOf(m),
    }));
    const chosen = seen.filter((s) => choose(s.decoded));
    const others = seen.filter((s) => !chosen.includes(s));
    const failed = new Set<(typeof seen)[number]>();
    try {
      for (let i = 0; i < chosen.length; i += 10) {
        const batch = chosen.slice(i, i + 10);
        try {
          const out = await this.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((s, j) => ({ Id: String(j), ReceiptHandle: s.m.ReceiptHandle ?? "" })),
            }),
          );
          for (const f of out.Failed ?? []) {
            const entry = batch[Number(f.Id)];
            if (entry) failed.add(entry);
          }
        } catch {
          for (const entry of batch) failed.add(entry);
        }
      }
    } finally {
      await this.release(
        queueUrl,
        others.map((s) => s.m),
      );
    }
    const deleted = chosen.filter((s) => !failed.has(s));
    return {
      deleted: deleted.length,
      kept: others.length,
      notDeleted: chosen.length - deleted.length,
      deletedMessages: deleted.map((s) => s.decoded),
      notDeletedMessages: chosen.filter((s) => failed.has(s)).map((s) => s.decoded),
      keptMessages: others.map((s) => s.decoded),
      queued,
    };
  }

  private async depth(queueUrl: string): Promise<number> {
    return (await queueDepth(this.sqs, queueUrl)).total;
  }

  /** Receives distinct messages until none is visible or `max` are held. */
  private async receiveAll(queueUrl: string, max: number): Promise<Message[]> {
    const seen = new Map<string, Message>();
    try {
      while (seen.size < max) {
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.max(1, Math.min(10, max - seen.size)),
            // Long polling asks every SQS server, so an empty answer means no message is visible.
            WaitTimeSeconds: 1,
            VisibilityTimeout: HOLD_SECONDS,
            MessageSystemAttributeNames: ["SentTimestamp"],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) break;
        for (const m of messages) seen.set(m.MessageId ?? m.ReceiptHandle ?? "", m);
      }
    } catch (error) {
      await this.release(queueUrl, [...seen.values()]);
      throw error;
    }
    return [...seen.values()];
  }

  /** Makes held messages visible again at once (those it cannot come back when their hold ends). */
  private async release(queueUrl: string, messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle ?? "",
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch(() => undefined);
    }
  }
}

function messageOf(message: Message): StreamFailureMessage {
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? "",
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: sent } : {}),
    failure: decodeStreamFailure(message.Body ?? ""),
  };
}
