import {
  GetQueueUrlCommand,
  type Message,
  type MessageAttributeValue,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  DeadLetter,
  DeadLetterListing,
  DeadLetters,
  FreshDelivery,
  HeldDeadLetter,
  QueueDepth,
  RequeueResult,
  SubscriptionQueues,
} from "../ports/subscription-queues.js";
import { queueNames } from "../topology/names.js";
import { DELIVERY_ATTRIBUTES as A } from "./sqs-delivery-queue.js";
import { deleteReceived, queueDepth, releaseReceived, SqsMessageQueue } from "./sqs-message-queue.js";

/** Finds a queue's URL by its name. */
export type QueueLocator = (queueName: string) => Promise<string>;

/** In a function: every queue of the stack is `<QUEUE_URL_PREFIX><name>` (no call needed). */
export const queueUrlsByPrefix =
  (urlPrefix: string): QueueLocator =>
  async (queueName) =>
    `${urlPrefix}${queueName}`;

/** From outside (the CLI): `GetQueueUrl`, once per queue; a missing queue says what to check. */
export function queueUrlsByLookup(sqs: SQSClient, prefix: string): QueueLocator {
  const found = new Map<string, Promise<string>>();
  const lookup = async (queueName: string) => {
    try {
      const out = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      if (out.QueueUrl) return out.QueueUrl;
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
    }
    throw new Error(
      `No queue ${queueName}: does the stack run this subscription (redeploy, or restart npm start, after ` +
        `adding it), and is the prefix '${prefix}' right?`,
    );
  };
  return (queueName) => {
    let url = found.get(queueName);
    if (!url) {
      url = lookup(queueName);
      url.catch(() => found.delete(queueName));
      found.set(queueName, url);
    }
    return url;
  };
}

/** How long `list` holds the messages it has seen before it makes them visible again. */
const LIST_HOLD_SECONDS = 20;

const numberOrUndefined = (value: string | undefined) =>
  value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;

/** The same object without its undefined fields (so JSON output and tables show only what is there). */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** What a DLQ message says: the CloudEvent's id, source, type and time, and why it failed. */
function deadLetterOf(message: Message): DeadLetter {
  const attr = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  let body: { id?: unknown; type?: unknown; webhooksourceid?: unknown; time?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(message.Body ?? "");
    if (typeof parsed === "object" && parsed !== null) body = parsed as typeof body;
  } catch {
    // Not a CloudEvent (a consumer's own message on a queue subscription): shown without id and type.
  }
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return withoutUndefined({
    messageId: message.MessageId ?? "",
    eventId: text(body.id),
    sourceId: text(body.webhooksourceid),
    type: text(body.type),
    receivedAt: text(body.time),
    reason: attr(A.reason) ?? "max_receive_count (moved by SQS redrive)",
    attempts: numberOrUndefined(attr(A.attempts) ?? attr(A.attempt)),
    lastStatus: numberOrUndefined(attr(A.lastStatus)),
    errorClass: attr(A.errorClass),
    detail: attr(A.detail),
    failedAt: attr(A.failedAt),
    resendId: attr(A.resendId),
  });
}

/** What `requeue` needs of a held letter beyond the port's view of it. */
interface Held {
  readonly body: string;
  /** The `webhooks.reason` attribute as it came (absent on a message SQS's redrive moved). */
  readonly reason?: string;
}

/**
 * The subscription queues and their DLQs on SQS, for ops: fresh deliveries of stored events (a resend
 * or replay, marked `webhooks.resend-id`), queue depths, and the DLQ operations a replay is made of —
 * list without hiding, receive and hold, copy back as a fresh delivery, delete, release.
 */
export class SqsSubscriptionQueues implements SubscriptionQueues, DeadLetters {
  /** The body of each letter `receive` handed out, until it is garbage. */
  private readonly held = new WeakMap<HeldDeadLetter, Held>();
  /** Batched sends (10 entries and 1 MiB per call, failed entries reported by index). */
  private readonly messages: SqsMessageQueue;

  constructor(
    private readonly sqs: SQSClient,
    private readonly prefix: string,
    private readonly locate: QueueLocator,
  ) {
    this.messages = new SqsMessageQueue(sqs);
  }

  private queueUrl(subscriptionId: string): Promise<string> {
    return this.locate(queueNames.subscription(this.prefix, subscriptionId));
  }

  private dlqUrl(subscriptionId: string): Promise<string> {
    return this.locate(queueNames.dlq(queueNames.subscription(this.prefix, subscriptionId)));
  }

  // SubscriptionQueues

  async enqueue(subscriptionId: string, deliveries: readonly FreshDelivery[]): Promise<readonly number[]> {
    return this.messages.sendBatch(
      await this.queueUrl(subscriptionId),
      deliveries.map((delivery) => ({
        body: delivery.body,
        attributes: { [A.resendId]: delivery.resendId },
      })),
    );
  }

  async backlog(subscriptionId: string): Promise<QueueDepth> {
    return this.depthOf(await this.queueUrl(subscriptionId));
  }

  // DeadLetters

  async depth(subscriptionId: string): Promise<QueueDepth> {
    return this.depthOf(await this.dlqUrl(subscriptionId));
  }

  private depthOf(queueUrl: string): Promise<QueueDepth> {
    return queueDepth(this.sqs, queueUrl);
  }

  async list(subscriptionId: string, options: { readonly max: number }): Promise<DeadLetterListing> {
    const dlqUrl = await this.dlqUrl(subscriptionId);
    const { total } = await this.depthOf(dlqUrl);
    const bound = Math.min(options.max, Math.max(total, 1));
    const seen = new Map<string, Message>();
    let stillHidden = 0;
    try {
      while (seen.size < bound) {
        const messages = await this.receiveFrom(dlqUrl, bound - seen.size, LIST_HOLD_SECONDS);
        if (messages.length === 0) break;
        for (const m of messages) seen.set(m.MessageId ?? "", m);
      }
    } finally {
      stillHidden = await releaseReceived(
        this.sqs,
        dlqUrl,
        [...seen.values()].map((m) => m.ReceiptHandle ?? ""),
      );
    }
    return {
      messages: [...seen.values()].slice(0, options.max).map(deadLetterOf),
      stillHidden,
      hiddenForSeconds: LIST_HOLD_SECONDS,
    };
  }

  async receive(
    subscriptionId: string,
    options: { readonly max: number; readonly holdSeconds: number },
  ): Promise<HeldDeadLetter[]> {
    const messages = await this.receiveFrom(
      await this.dlqUrl(subscriptionId),
      options.max,
      options.holdSeconds,
    );
    return messages.map((m) => {
      const letter: HeldDeadLetter = { ...deadLetterOf(m), receipt: m.ReceiptHandle ?? "" };
      const reason = m.MessageAttributes?.[A.reason]?.StringValue;
      this.held.set(letter, { body: m.Body ?? "", ...(reason === undefined ? {} : { reason }) });
      return letter;
    });
  }

  async requeue(
    subscriptionId: string,
    letters: readonly HeldDeadLetter[],
    replayedAt: Date,
  ): Promise<RequeueResult> {
    const url = await this.queueUrl(subscriptionId);
    const sent: { messageId: string; copyId: string }[] = [];
    const failed: { messageId: string; error: string }[] = [];
    for (let i = 0; i < letters.length; i += 10) {
      const chunk = letters.slice(i, i + 10);
      try {
        const out = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((letter, j) => {
              const held = this.held.get(letter);
              if (!held) throw new Error(`dead letter ${letter.messageId} was not received by this adapter`);
              const attributes: Record<string, MessageAttributeValue> = {
                [A.replayedAt]: { DataType: "String", StringValue: replayedAt.toISOString() },
              };
              if (held.reason)
                attributes[A.replayedReason] = { DataType: "String", StringValue: held.reason };
              if (letter.resendId)
                attributes[A.resendId] = { DataType: "String", StringValue: letter.resendId };
              return { Id: String(j), MessageBody: held.body, MessageAttributes: attributes };
            }),
          }),
        );
        for (const s of out.Successful ?? [])
          sent.push({ messageId: chunk[Number(s.Id)]?.messageId ?? "", copyId: s.MessageId ?? "" });
        for (const f of out.Failed ?? [])
          failed.push({ messageId: chunk[Number(f.Id)]?.messageId ?? "", error: f.Message ?? f.Code ?? "" });
      } catch (error) {
        for (const letter of chunk)
          failed.push({ messageId: letter.messageId, error: (error as Error).message });
      }
    }
    return { sent, failed };
  }

  async remove(subscriptionId: string, letters: readonly HeldDeadLetter[]): Promise<number> {
    const dlqUrl = await this.dlqUrl(subscriptionId);
    return (
      await deleteReceived(
        this.sqs,
        dlqUrl,
        letters.map((l) => l.receipt),
      )
    ).length;
  }

  async release(subscriptionId: string, letters: readonly HeldDeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
    return releaseReceived(
      this.sqs,
      await this.dlqUrl(subscriptionId),
      letters.map((l) => l.receipt),
    );
  }

  private async receiveFrom(queueUrl: string, max: number, holdSeconds: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        // Long polling asks every SQS server, so an empty answer means no message is visible.
        WaitTimeSeconds: 1,
        VisibilityTimeout: holdSeconds,
        MessageAttributeNames: ["All"],
      }),
    );
    return out.Messages ?? [];
  }
}
