import { randomBytes } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { LOCAL_CLIENT_CONFIG } from "../../local/emulator-clients.js";

function endpoint(name: "TEST_SQS_ENDPOINT" | "TEST_DYNAMODB_ENDPOINT"): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run tests through vitest so the global setup starts the emulators.`);
  return value;
}

export const emulatorEndpoints = () => ({
  sqs: endpoint("TEST_SQS_ENDPOINT"),
  dynamodb: endpoint("TEST_DYNAMODB_ENDPOINT"),
});

export function sqsClient(): SQSClient {
  return new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoint("TEST_SQS_ENDPOINT") });
}

export function dynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoint("TEST_DYNAMODB_ENDPOINT") });
}

/** S3 on the emulators: fauxqs serves it on the SQS endpoint, path-style. */
export function s3Client(): S3Client {
  return new S3Client({
    ...LOCAL_CLIENT_CONFIG,
    endpoint: endpoint("TEST_SQS_ENDPOINT"),
    forcePathStyle: true,
  });
}

/** A resource name nobody else in this run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const out = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error("no queue url");
  return out.QueueUrl;
}

/** Receives (and deletes) everything on a queue until `until` holds for what was collected, or time runs out. */
export async function collectMessages(
  client: SQSClient,
  queueUrl: string,
  options: { until?: (all: readonly Message[]) => boolean; timeoutMs?: number } = {},
): Promise<Message[]> {
  const all: Message[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length > 0) {
      all.push(...messages);
      await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
    if (options.until?.(all)) break;
  }
  return all;
}

/** Messages in a queue, visible or in flight (not delayed), read straight from SQS (not through the code under test). */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
