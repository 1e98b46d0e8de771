import { type Message, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { decodeStreamFailure } from "../domain/stream-failure.js";
import type {
  StreamFailureListing,
  StreamFailureMessage,
  StreamFailureQueue,
  StreamFailureRemoval,
} from "../ports/stream-failure-queue.js";
import { deleteReceived, queueDepth, releaseReceived } from "./sqs-message-queue.js";

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
    let failedIndexes: number[] = [];
    try {
      failedIndexes = await deleteReceived(
        this.sqs,
        queueUrl,
        chosen.map((c) => c.m.ReceiptHandle ?? ""),
      );
    } finally {
      await this.release(
        queueUrl,
        others.map((o) => o.m),
      );
    }
    const failed = new Set(failedIndexes.map((i) => chosen[i]));
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
    await releaseReceived(
      this.sqs,
      queueUrl,
      messages.map((m) => m.ReceiptHandle ?? ""),
    );
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
