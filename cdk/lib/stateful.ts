import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { QueueSpec, Topology } from "../../shared/topology/topology.js";

/** One queue of the topology with its dead-letter queue and the alarm watching that DLQ. */
export interface WebhookQueue {
  readonly spec: QueueSpec;
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  /** Fires when the DLQ holds at least one message. */
  readonly dlqAlarm: cloudwatch.IAlarm;
}

export interface WebhooksStatefulProps {
  /** The wiring to deploy: the table and every queue (with its DLQ) come from here, names included. */
  readonly topology: Topology;
  /**
   * Customer-managed KMS key for the dedupe table.
   *
   * @default - the AWS-managed key (`alias/aws/dynamodb`)
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * Topic notified when a DLQ alarm changes state (ALARM and OK).
   *
   * @default - the alarms have no actions; watch them in the CloudWatch console
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The stateful half of the platform: the dedupe table and the queues. Nothing here runs code; the
 * stateless half (`WebhooksStateless`) receives these resources as `ITable`/`IQueue` objects.
 */
export class WebhooksStateful extends Construct {
  /** Dedupe claims, keyed by `pk`, expired by TTL. Retained when the stack is deleted. */
  readonly table: dynamodb.ITable;
  /** Delivery records, attempt logs and subscription state (pk/sk, `bySubscription` index, TTL). */
  readonly deliveryTable: dynamodb.ITable;
  /** Every queue of the topology, by its topology key (`ingress`, `sub-billing`, ...). */
  readonly queues: ReadonlyMap<string, WebhookQueue>;

  constructor(scope: Construct, id: string, props: WebhooksStatefulProps) {
    super(scope, id);
    const { topology } = props;

    this.table = new dynamodb.Table(this, "DedupeTable", {
      tableName: topology.table.name,
      partitionKey: { name: topology.table.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: topology.table.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.tableEncryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.tableEncryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const delivery = topology.deliveryTable;
    const deliveryTable = new dynamodb.Table(this, "DeliveryTable", {
      tableName: delivery.name,
      partitionKey: { name: delivery.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: delivery.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: delivery.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.tableEncryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.tableEncryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    deliveryTable.addGlobalSecondaryIndex({
      indexName: delivery.index.name,
      partitionKey: { name: delivery.index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: delivery.index.sortKey, type: dynamodb.AttributeType.STRING },
    });
    this.deliveryTable = deliveryTable;

    const queues = new Map<string, WebhookQueue>();
    for (const spec of topology.queues) {
      queues.set(spec.key, this.createQueue(spec, props.alarmTopic));
    }
    this.queues = queues;
  }

  /** The queue with this topology key; throws if the topology has none. */
  queue(key: string): WebhookQueue {
    const found = this.queues.get(key);
    if (!found) throw new Error(`WebhooksStateful has no queue '${key}'.`);
    return found;
  }

  private createQueue(spec: QueueSpec, alarmTopic: sns.ITopic | undefined): WebhookQueue {
    const scope = new Construct(this, `Queue-${spec.key}`);

    // The source queue's ARN is built from its name rather than read from the resource: the source's
    // RedrivePolicy already references the DLQ, so a reference back would be a circular dependency.
    const sourceArn = Stack.of(this).formatArn({ service: "sqs", resource: spec.name });
    const source = sqs.Queue.fromQueueAttributes(scope, "SourceRef", {
      queueArn: sourceArn,
      queueName: spec.name,
    });

    const dlq = new sqs.Queue(scope, "Dlq", {
      queueName: spec.dlq.name,
      retentionPeriod: Duration.seconds(spec.dlq.retentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lets "Start DLQ redrive" (StartMessageMoveTask) move messages back to the source queue.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [source] },
    });

    const queue = new sqs.Queue(scope, "Queue", {
      queueName: spec.name,
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(spec.retentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: dlq, maxReceiveCount: spec.dlq.maxReceiveCount },
    });

    const dlqAlarm = new cloudwatch.Alarm(scope, "DlqNotEmpty", {
      alarmName: `${spec.dlq.name}-not-empty`,
      alarmDescription:
        `Messages are waiting in ${spec.dlq.name}. Inspect them, fix the cause, then use ` +
        `"Start DLQ redrive" to move them back to ${spec.name}.`,
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (alarmTopic) {
      const action = new cloudwatchActions.SnsAction(alarmTopic);
      dlqAlarm.addAlarmAction(action);
      dlqAlarm.addOkAction(action);
    }

    return { spec, queue, dlq, dlqAlarm };
  }
}
