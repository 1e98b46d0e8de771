import { type Message, SendMessageCommand } from "@aws-sdk/client-sqs";
import { provision } from "../../local/provision.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { DynamoDbEventIndex } from "../../shared/adapters/dynamodb-event-index.js";
import { opsAdapters } from "../../shared/adapters/ops-adapters.js";
import { S3PayloadStore } from "../../shared/adapters/s3-payload-store.js";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { SqsJobQueue } from "../../shared/adapters/sqs-job-queue.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { queueUrlsByPrefix } from "../../shared/adapters/sqs-subscription-queues.js";
import { parseConfig } from "../../shared/config/load-config.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { eventIdFor } from "../../shared/domain/cloud-event.js";
import type { AttemptRecord } from "../../shared/ports/attempt-log.js";
import type { NewEvent } from "../../shared/ports/event-store.js";
import { queueNames } from "../../shared/topology/names.js";
import { buildTopology } from "../../shared/topology/topology.js";
import type { Operator } from "../../shared/use-cases/ops/contract.js";
import { createOpsUseCases } from "../../shared/use-cases/ops/create-ops-use-cases.js";
import type { OpsDeps, OpsSettings } from "../../shared/use-cases/ops/deps.js";
import type { ReplayRecord } from "../../shared/use-cases/ops/replay-record.js";
import { createRouteEvents } from "../../shared/use-cases/route-events.js";
import { collectMessages, createQueue, dynamoDbClient, s3Client, sqsClient, uniqueName } from "./aws.js";

export const WRITER: Operator = { id: "test-operator", canWrite: true };
export const READER: Operator = { id: "test-viewer", canWrite: false };

export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/**
 * A stack of its own on the emulators for one ops test file — the topology's tables, payload bucket,
 * queues and DLQs under a fresh prefix, as `npm start` provisions them — with the ops use cases on
 * their real adapters, and the real ingest store and router use case to seed events with.
 */
export async function opsStack(
  configInput: unknown,
  settings: OpsSettings = {},
  options: { readonly jobs?: boolean } = {},
) {
  const config: WebhooksConfig = parseConfig(configInput);
  const prefix = uniqueName("ops");
  const topology = buildTopology(config, { prefix });
  const sqs = sqsClient();
  const dynamodb = dynamoDbClient();
  const s3 = s3Client();
  const provisioned = await provision(topology, { sqs, dynamodb, s3 });
  let now = Date.now();
  const clock = { now: () => now };
  const payloads = new S3PayloadStore(provisioned.bucketName, () => s3);
  const adapters = opsAdapters<ReplayRecord>({
    dynamodb,
    sqs,
    tables: provisioned.tableNames,
    prefix,
    locate: queueUrlsByPrefix(provisioned.queueUrlPrefix),
    payloads: () => payloads,
    clock,
  });
  // The ops jobs queue the API's function consumes (here: the test, calling continueReplay per job).
  const jobsUrl = options.jobs ? await createQueue(sqs, `${prefix}-ops-jobs`) : undefined;
  const deps: OpsDeps = {
    config,
    ...adapters,
    ...(jobsUrl ? { jobs: new SqsJobQueue(new SqsMessageQueue(sqs), jobsUrl) } : {}),
  };
  const queueUrl = (subscriptionId: string) =>
    `${provisioned.queueUrlPrefix}${queueNames.subscription(prefix, subscriptionId)}`;
  const dlqUrl = (subscriptionId: string) =>
    `${provisioned.queueUrlPrefix}${queueNames.dlq(queueNames.subscription(prefix, subscriptionId))}`;
  const route = createRouteEvents({
    subscriptions: config.subscriptions,
    queue: new SqsMessageQueue(sqs),
    queueUrlFor: queueUrl,
    index: new DynamoDbEventIndex(dynamodb, provisioned.tableNames.delivery),
    failuresQueueUrl: provisioned.streamFailures.url,
  });
  const store = new DynamoDbDeliveryStore(dynamodb, provisioned.tableNames.delivery);
  let batch = 0;

  return {
    config,
    prefix,
    deps,
    store,
    useCases: createOpsUseCases(deps, settings),
    jobsUrl,
    sqs,
    dynamodb,
    tableNames: provisioned.tableNames,
    /** The stream failures queue (the router's on-failure destination and set-aside records). */
    streamFailuresUrl: provisioned.streamFailures.url,
    queueUrl,
    dlqUrl,
    /** Sets the clock the use cases read. */
    setNow: (ms: number) => {
      now = ms;
    },
    now: () => now,
    /**
     * Accepts events as ingest does (one conditional write each; a large body goes to the bucket first)
     * and routes them as the router does (index item, one copy per matching subscription): one batch.
     */
    async ingest(events: readonly NewEvent[]): Promise<void> {
      for (const event of events) await adapters.events.accept(event, Math.floor(event.receivedAt / 1000));
      const stored = await Promise.all(
        events.map(async (e) => {
          const found = await adapters.events.get(e.id, Math.floor(e.receivedAt / 1000));
          if (!found) throw new Error(`event ${e.id} was not stored`);
          return found;
        }),
      );
      batch++;
      const report = await route(
        stored.map((event, i) => ({ sequenceNumber: `${String(batch).padStart(10, "0")}${i}`, event })),
      );
      if (report.failedSequenceNumbers.length > 0) throw new Error("routing failed");
    },
    /** Accepts events as ingest does and routes none of them (as if the router never got them). */
    async acceptOnly(events: readonly NewEvent[]): Promise<void> {
      for (const event of events) await adapters.events.accept(event, Math.floor(event.receivedAt / 1000));
    },
    /** Records attempts as the deliver function does (successes in the ledger, failures in the log). */
    async attempts(records: readonly AttemptRecord[]): Promise<void> {
      for (const record of records) {
        if (record.result === "delivered")
          await store.recordBatch(
            [{ attempt: record, expiresAtSeconds: Math.floor(record.at / 1000) + 86_400 }],
            [],
            86_400,
          );
        else await store.recordAttempt(record, 86_400);
      }
    },
    /** Puts a message into a subscription's DLQ as the deliver function dead-letters it. */
    async deadLetter(subscriptionId: string, body: string, reason = "retries_exhausted"): Promise<void> {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl(subscriptionId),
          MessageBody: body,
          MessageAttributes: {
            [A.reason]: { DataType: "String", StringValue: reason },
            [A.attempts]: { DataType: "String", StringValue: "3" },
            [A.lastStatus]: { DataType: "String", StringValue: "503" },
          },
        }),
      );
    },
    /** Takes every message off a subscription's queue (until `count` arrived, or a few seconds). */
    drain(subscriptionId: string, count?: number): Promise<Message[]> {
      return collectMessages(sqs, queueUrl(subscriptionId), {
        ...(count === undefined ? { timeoutMs: 2_500 } : { until: (all) => all.length >= count }),
      });
    },
  };
}

let counter = 0;

/** A JSON event of `sourceId` with this type, received at `receivedAt`. */
export function sampleEvent(
  sourceId: string,
  type: string,
  receivedAt: number,
  overrides: Partial<NewEvent> = {},
): NewEvent {
  counter++;
  const body = Buffer.from(JSON.stringify({ type, n: counter, at: receivedAt }));
  return {
    id: eventIdFor(sourceId, `${type}-${counter}-${receivedAt}-${Math.random()}`),
    sourceId,
    provider: "standard-webhooks",
    type,
    deliveryId: `msg_${counter}`,
    receivedAt,
    contentType: "application/json",
    headers: { "user-agent": "test" },
    body,
    expiresAt: Math.floor(receivedAt / 1000) + 7 * 86_400,
    ...overrides,
  };
}

/** A config with one source `sw` and these subscriptions (HTTP ones to a URL that is never called). */
export function opsConfig(subscriptions: readonly Record<string, unknown>[]) {
  return {
    sources: [
      { id: "sw", provider: "standard-webhooks", secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"] },
    ],
    subscriptions,
  };
}

export const httpSubscription = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  target: { type: "http", url: `https://${id}.example.test/hook`, secret: SECRET },
  ...extra,
});
