import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Grant, ResourceRef, TableKey } from "../../shared/topology/grants.js";
import { dlqAlarmName } from "../../shared/topology/names.js";
import { type QueueSpec, type TableSpec, type Topology, tableSpecs } from "../../shared/topology/topology.js";
import { pascalCase } from "./names.js";

/** One queue of the topology with its dead-letter queue and the alarm watching that DLQ. */
export interface WebhookQueue {
  readonly spec: QueueSpec;
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  /** Fires when the DLQ holds at least one message. */
  readonly dlqAlarm: cloudwatch.IAlarm;
}

/** The platform's tables by key: `dedupe` (dedupe claims) and `delivery` (delivery state). */
export type WebhookTables = Readonly<Record<TableKey, dynamodb.ITable>>;

export interface WebhooksStatefulProps {
  /** The wiring to deploy: the tables and every queue (with its DLQ) come from here, names included. */
  readonly topology: Topology;
  /**
   * Customer-managed KMS key for both tables (dedupe and delivery state).
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
 * The stateful half of the platform: the tables and the queues. Nothing here runs code; it owns the
 * resources, so it grants access to them (`grant`), and the stateless half (`WebhooksStateless`) receives
 * them as `ITable`/`IQueue` objects.
 */
export class WebhooksStateful extends Construct {
  /** Both tables by key; retained when the stack is deleted. */
  readonly tables: WebhookTables;
  /** Every queue of the topology, by its topology key (`ingress`, `sub-billing`, ...). */
  readonly queues: ReadonlyMap<string, WebhookQueue>;

  constructor(scope: Construct, id: string, props: WebhooksStatefulProps) {
    super(scope, id);
    const specs = tableSpecs(props.topology);
    this.tables = {
      dedupe: this.createTable("dedupe", specs.dedupe, props.tableEncryptionKey),
      delivery: this.createTable("delivery", specs.delivery, props.tableEncryptionKey),
    };

    const queues = new Map<string, WebhookQueue>();
    for (const spec of props.topology.queues) {
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

  /**
   * Grants `grantee` exactly these topology grants (each becomes one policy statement on its principal),
   * plus use of a customer-managed key of every table they name.
   */
  grant(grantee: iam.IGrantable, grants: readonly Grant[]): void {
    for (const grant of grants) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: [...grant.actions],
        resourceArns: grant.resources.map((resource) => this.arnOf(resource)),
      });
    }
    const tables = new Set(
      grants.flatMap((g) => g.resources.flatMap((r) => (r.ref === "table" ? [r.table] : []))),
    );
    for (const key of tables) this.tables[key].encryptionKey?.grantEncryptDecrypt(grantee);
  }

  /** The deployed ARN of a resource a grant names. */
  private arnOf(resource: ResourceRef): string {
    switch (resource.ref) {
      case "table": {
        const arn = this.tables[resource.table].tableArn;
        return resource.index === undefined ? arn : `${arn}/index/${resource.index}`;
      }
      case "queue":
        return this.queue(resource.queue).queue.queueArn;
      case "dlq":
        return this.queue(resource.queue).dlq.queueArn;
      case "secret":
        return resource.arn;
    }
  }

  /** Every table alike: on demand, TTL, point-in-time recovery, encrypted, retained; string keys. */
  private createTable(key: TableKey, spec: TableSpec, encryptionKey: kms.IKey | undefined): dynamodb.Table {
    const table = new dynamodb.Table(this, `${pascalCase(key)}Table`, {
      tableName: spec.name,
      partitionKey: { name: spec.partitionKey, type: dynamodb.AttributeType.STRING },
      ...(spec.sortKey === undefined
        ? {}
        : { sortKey: { name: spec.sortKey, type: dynamodb.AttributeType.STRING } }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: spec.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (spec.index) {
      table.addGlobalSecondaryIndex({
        indexName: spec.index.name,
        partitionKey: { name: spec.index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: spec.index.sortKey, type: dynamodb.AttributeType.STRING },
      });
    }
    return table;
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
      alarmName: dlqAlarmName(spec.dlq.name),
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
