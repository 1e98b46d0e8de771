import {
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Topology } from "../shared/topology/topology.js";

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface Provisioned {
  readonly tableName: string;
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
export async function provision(
  topology: Topology,
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient },
): Promise<Provisioned> {
  try {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: topology.table.name,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: topology.table.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: topology.table.partitionKey, KeyType: "HASH" }],
      }),
    );
    await clients.dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: topology.table.name,
        TimeToLiveSpecification: { AttributeName: topology.table.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }

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
    queues,
    queueUrlPrefix: ingress.url.slice(0, ingress.url.length - ingressName.length),
  };
}
