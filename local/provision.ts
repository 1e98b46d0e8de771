import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DeliveryTableSpec, Topology } from "../shared/topology/topology.js";

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface Provisioned {
  readonly tableName: string;
  readonly deliveryTableName: string;
  /** By topology queue key. */
  readonly queues: ReadonlyMap<string, ProvisionedQueue>;
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

/** Creates the topology's table, queues and DLQs on the emulators, with the attributes CDK deploys. */
/** Creates the dedupe table (on demand, TTL), as CDK deploys it; an existing table is left alone. */
export async function createDedupeTable(dynamodb: DynamoDBClient, spec: Topology["table"]): Promise<void> {
  await ignoreExisting(async () => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: spec.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: spec.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: spec.partitionKey, KeyType: "HASH" }],
      }),
    );
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: spec.name,
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      }),
    );
  });
}

/** Creates the delivery-state table (pk/sk, `bySubscription` index, TTL), as CDK deploys it. */
export async function createDeliveryTable(dynamodb: DynamoDBClient, spec: DeliveryTableSpec): Promise<void> {
  await ignoreExisting(async () => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: spec.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: spec.partitionKey, AttributeType: "S" },
          { AttributeName: spec.sortKey, AttributeType: "S" },
          { AttributeName: spec.index.partitionKey, AttributeType: "S" },
          { AttributeName: spec.index.sortKey, AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: spec.partitionKey, KeyType: "HASH" },
          { AttributeName: spec.sortKey, KeyType: "RANGE" },
        ],
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
      }),
    );
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: spec.name,
        TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      }),
    );
  });
}

async function ignoreExisting(create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

export async function provision(
  topology: Topology,
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient },
): Promise<Provisioned> {
  await createDedupeTable(clients.dynamodb, topology.table);
  const delivery = topology.deliveryTable;
  await createDeliveryTable(clients.dynamodb, delivery);

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
  const ingress = queues.get("ingress");
  if (!ingress) throw new Error("topology has no ingress queue");
  const ingressName = topology.queues.find((q) => q.key === "ingress")?.name ?? "";
  return {
    tableName: topology.table.name,
    deliveryTableName: delivery.name,
    queues,
    queueUrlPrefix: ingress.url.slice(0, ingress.url.length - ingressName.length),
  };
}
