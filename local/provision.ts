import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { TableKey } from "../shared/topology/grants.js";
import type { PayloadBucketSpec, TableSpec, Topology } from "../shared/topology/topology.js";

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface Provisioned {
  readonly tableNames: Readonly<Record<TableKey, string>>;
  /** The event table's stream, which the router's mapping reads. */
  readonly eventStreamArn: string;
  readonly bucketName: string;
  /** By topology queue key. */
  readonly queues: ReadonlyMap<string, ProvisionedQueue>;
  readonly streamFailures: { readonly url: string; readonly arn: string };
  /** `${queueUrlPrefix}${queueName}` is a queue's URL on this emulator. */
  readonly queueUrlPrefix: string;
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const arn = got.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${name} has no ARN`);
  return { url: QueueUrl, arn };
}

/**
 * Creates a table as CDK deploys it — on demand, string keys, TTL, its index and stream — and returns its
 * stream's ARN (if it has one). A table that exists already is left alone.
 */
export async function createTable(dynamodb: DynamoDBClient, spec: TableSpec): Promise<string | undefined> {
  const keys = [spec.partitionKey, spec.sortKey, spec.index?.partitionKey, spec.index?.sortKey].filter(
    (k): k is string => k !== undefined,
  );
  const definitions: AttributeDefinition[] = [...new Set(keys)].map((name) => ({
    AttributeName: name,
    AttributeType: "S",
  }));
  try {
    const out = await dynamodb.send(
      new CreateTableCommand({
        TableName: spec.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: definitions,
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: "HASH" },
          ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: "RANGE" as const }] : []),
        ],
        ...(spec.index
          ? {
              GlobalSecondaryIndexes: [
                {
                  IndexName: spec.index.name,
                  KeySchema: [
                    { AttributeName: spec.index.partitionKey, KeyType: "HASH" },
                    { AttributeName: spec.index.sortKey, KeyType: "RANGE" },
                  ],
                  Projection: { ProjectionType: "ALL" },
                },
              ],
            }
          : {}),
        ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
      }),
    );
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: spec.name,
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      }),
    );
    return out.TableDescription?.LatestStreamArn;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // It exists (another stack on the same emulator, or a persistent one): its stream is read from the
    // oldest record it still holds, as a new mapping would (at least once: consumers dedupe on the id).
    const existing = await dynamodb.send(new DescribeTableCommand({ TableName: spec.name }));
    return existing.Table?.LatestStreamArn;
  }
}

/** The payload bucket with its per-source expiry, as CDK deploys it (the emulator may not expire). */
async function createBucket(s3: S3Client, name: string, spec: PayloadBucketSpec): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  if (spec.expiry.length === 0) return;
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: name,
      LifecycleConfiguration: {
        Rules: spec.expiry.map((rule, i) => ({
          ID: `expire-${i}`,
          Status: "Enabled",
          Filter: { Prefix: rule.prefix },
          Expiration: { Days: rule.days },
        })),
      },
    }),
  );
}

/** Creates the topology's tables, bucket, queues and DLQs on the emulators, with what CDK deploys. */
export async function provision(
  topology: Topology,
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient; s3: S3Client },
): Promise<Provisioned> {
  const eventStreamArn = await createTable(clients.dynamodb, topology.tables.events);
  await createTable(clients.dynamodb, topology.tables.delivery);
  if (!eventStreamArn) {
    throw new Error(
      `Table ${topology.tables.events.name} exists already: its stream cannot be read from the start.`,
    );
  }
  await createBucket(clients.s3, topology.payloadBucket.localName, topology.payloadBucket);

  const queues = new Map<string, ProvisionedQueue>();
  for (const spec of topology.queues) {
    const dlq = await createQueue(clients.sqs, spec.dlq.name, {
      MessageRetentionPeriod: String(spec.dlq.retentionSeconds),
    });
    const queue = await createQueue(clients.sqs, spec.name, {
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(spec.retentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: spec.dlq.maxReceiveCount,
      }),
    });
    queues.set(spec.key, { url: queue.url, arn: queue.arn, dlqUrl: dlq.url, dlqArn: dlq.arn });
  }
  const streamFailures = await createQueue(clients.sqs, topology.streamFailures.name, {
    MessageRetentionPeriod: String(topology.streamFailures.retentionSeconds),
  });
  return {
    tableNames: { events: topology.tables.events.name, delivery: topology.tables.delivery.name },
    eventStreamArn,
    bucketName: topology.payloadBucket.localName,
    queues,
    streamFailures,
    queueUrlPrefix: streamFailures.url.slice(
      0,
      streamFailures.url.length - topology.streamFailures.name.length,
    ),
  };
}
