import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { DELIVERY_ATTRIBUTES as A } from "../shared/domain/delivery-attributes.js";
import { queueNames } from "../shared/topology/topology.js";

export interface DlqMessageSummary {
  readonly messageId: string;
  readonly eventId?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly attempts?: string;
  readonly lastStatus?: string;
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
    const out = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (!out.QueueUrl) throw new Error(`Queue ${queueName} not found.`);
    return out.QueueUrl;
  };
  return { queueUrl: await url(name), dlqUrl: await url(queueNames.dlq(name)) };
}

function summarise(message: Message): DlqMessageSummary {
  const attr = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  let eventId: string | undefined;
  let type: string | undefined;
  try {
    const body = JSON.parse(message.Body ?? "") as { id?: string; type?: string };
    eventId = body.id;
    type = body.type;
  } catch {}
  const fields: Record<string, string | undefined> = {
    eventId,
    type,
    reason: attr(A.reason) ?? "max_receive_count (moved by SQS redrive)",
    attempts: attr(A.attempts) ?? attr(A.attempt),
    lastStatus: attr(A.lastStatus),
    errorClass: attr(A.errorClass),
    detail: attr(A.detail),
    failedAt: attr(A.failedAt),
  };
  return {
    messageId: message.MessageId ?? "",
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
}

export async function dlqDepth(sqs: SQSClient, dlqUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Moves up to `max` messages from a DLQ back onto its queue, as fresh deliveries (attempt 1, no wait),
 * keeping the body byte for byte so the event id and `webhook-id` stay the same. Each message is sent
 * before it is deleted from the DLQ: a crash in between replays it twice, never loses it.
 * With `dryRun`, messages are only listed and become visible again after a short timeout.
 */
export async function replayDlq(
  sqs: SQSClient,
  pair: QueuePair,
  options: { max: number; dryRun: boolean; now?: () => Date },
): Promise<DlqMessageSummary[]> {
  const moved: DlqMessageSummary[] = [];
  while (moved.length < options.max) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pair.dlqUrl,
        MaxNumberOfMessages: Math.min(10, options.max - moved.length),
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.dryRun ? 5 : 60,
        MessageAttributeNames: ["All"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    if (!options.dryRun) {
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
                "webhooks.replayed-at": { DataType: "String", StringValue: replayedAt },
                ...(reason
                  ? { "webhooks.replayed-reason": { DataType: "String", StringValue: reason } }
                  : {}),
              },
            };
          }),
        }),
      );
      const ok = new Set((sent.Successful ?? []).map((s) => Number(s.Id)));
      const toDelete = messages.filter((_, i) => ok.has(i));
      if (toDelete.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: pair.dlqUrl,
            Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
      }
      if (toDelete.length < messages.length)
        throw new Error(
          `${messages.length - toDelete.length} message(s) could not be re-sent; they stay in the DLQ.`,
        );
      moved.push(...toDelete.map(summarise));
    } else {
      moved.push(...messages.map(summarise));
    }
  }
  return moved;
}
