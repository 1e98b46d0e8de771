import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cloudwatchActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Grant, ResourceRef, TableKey } from "../../shared/topology/grants.js";
import { dlqAlarmName } from "../../shared/topology/names.js";
import type { PayloadBucketSpec, QueueSpec, TableSpec, Topology } from "../../shared/topology/topology.js";
import { pascalCase } from "./names.js";

/** One queue of the topology with its dead-letter queue and the alarm watching that DLQ. */
export interface WebhookQueue {
  readonly spec: QueueSpec;
  readonly queue: sqs.IQueue;
  readonly dlq: sqs.IQueue;
  /** Fires when the DLQ holds at least one message. */
  readonly dlqAlarm: cloudwatch.IAlarm;
}

/** The platform's tables by key: `events` (the event store) and `delivery` (delivery state). */
export type WebhookTables = Readonly<Record<TableKey, dynamodb.ITable>>;

export interface WebhooksStatefulProps {
  /** The wiring to deploy: the tables and every queue (with its DLQ) come from here, names included. */
  readonly topology: Topology;
  /**
   * Customer-managed KMS key for both tables (events and delivery state) and the payload bucket.
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
 * The stateful half of the platform: the tables, the payload bucket and the queues. Nothing here runs
 * code; it owns the resources, so it grants access to them (`grant`), and the stateless half
 * (`WebhooksStateless`) receives them as `ITable`/`IBucket`/`IQueue` objects.
 */
export class WebhooksStateful extends Construct {
  /** Both tables by key; retained when the stack is deleted. */
  readonly tables: WebhookTables;
  /** Bodies too large for their event item; objects expire with their events. Retained on delete. */
  readonly payloadBucket: s3.IBucket;
  /** Every subscription queue of the topology, by its topology key (`sub-billing`, ...). */
  readonly queues: ReadonlyMap<string, WebhookQueue>;
  /** Where the router's stream mapping sends batches it gave up on (their shard and sequence range). */
  readonly streamFailures: sqs.IQueue;
  /** Fires when the stream failures queue holds a message. */
  readonly streamFailuresAlarm: cloudwatch.IAlarm;

  private readonly alarmTopic: sns.ITopic | undefined;

  constructor(scope: Construct, id: string, props: WebhooksStatefulProps) {
    super(scope, id);
    this.alarmTopic = props.alarmTopic;
    const { tables } = props.topology;
    this.tables = {
      events: this.createTable("events", tables.events, props.tableEncryptionKey),
      delivery: this.createTable("delivery", tables.delivery, props.tableEncryptionKey),
    };
    this.payloadBucket = this.createBucket(props.topology.payloadBucket, props.tableEncryptionKey);

    const queues = new Map<string, WebhookQueue>();
    for (const spec of props.topology.queues) {
      queues.set(spec.key, this.createQueue(spec));
    }
    this.queues = queues;

    const failures = props.topology.streamFailures;
    this.streamFailures = new sqs.Queue(this, "StreamFailures", {
      queueName: failures.name,
      retentionPeriod: Duration.seconds(failures.retentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.streamFailures.node.defaultChild ?? this.streamFailures).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is the on-failure destination of the router's stream mapping (a dead-letter store " +
        "itself), alarmed when it holds anything; a DLQ of its own would have nothing to catch.",
    });
    this.streamFailuresAlarm = this.alarm(
      "StreamFailuresNotEmpty",
      `${failures.name}-not-empty`,
      `The router gave up on stream records (listed in ${failures.name} with their shard and sequence ` +
        "range, or set aside as unroutable). Those events are stored but not fanned out: fix the router, " +
        "then npm run ops -- stream-failures redrive --dry-run, and without --dry-run (or POST " +
        "/ops/api/stream-failures/redrive). Set-aside records: read them, then npm run ops -- stream-failures " +
        "discard (it deletes only those, never a batch; README: Stream failures).",
      this.streamFailures.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      1,
    );
  }

  /** An alarm on `metric` ≥ `threshold`, notifying the alarm topic (when given) of ALARM and OK. */
  alarm(
    id: string,
    name: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: name,
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
    return alarm;
  }

  /** Sends the alarm's ALARM and OK transitions to the alarm topic, when there is one. */
  notify(alarm: cloudwatch.Alarm): void {
    if (this.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(this.alarmTopic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
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
      case "bucket-objects":
        return this.payloadBucket.arnForObjects(`${resource.prefix}*`);
      case "stream-failures":
        return this.streamFailures.queueArn;
      case "any-resource":
        return "*";
    }
  }

  /** Private, encrypted, TLS only, versioning off (objects are written once); expiry per source. */
  private createBucket(spec: PayloadBucketSpec, encryptionKey: kms.IKey | undefined): s3.Bucket {
    const bucket = new s3.Bucket(this, "PayloadBucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      ...(encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: spec.expiry.map((rule) => ({
        prefix: rule.prefix,
        expiration: Duration.days(rule.days),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket.node.defaultChild ?? bucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Objects are written by the ingest function alone and read by deliver; every access is already " +
        "in CloudTrail data events if the account enables them. Server access logs would need a second bucket per stack.",
    });
    return bucket;
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
      ...(spec.stream === undefined ? {} : { stream: dynamodb.StreamViewType.NEW_IMAGE }),
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

  private createQueue(spec: QueueSpec): WebhookQueue {
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

    const dlqAlarm = this.alarm(
      `Queue-${spec.key}-DlqNotEmpty`,
      dlqAlarmName(spec.dlq.name),
      `Messages are waiting in ${spec.dlq.name}. Inspect them, fix the cause, then use ` +
        `"Start DLQ redrive" to move them back to ${spec.name}.`,
      dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      1,
    );

    return { spec, queue, dlq, dlqAlarm };
  }
}
