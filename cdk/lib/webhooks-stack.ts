import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import type { Topology } from "../../shared/topology/topology.js";
import { warnBlockedDestinations } from "./destination-checks.js";
import { pascalCase } from "./names.js";
import { WebhooksStateful } from "./stateful.js";
import { WebhooksStateless } from "./stateless.js";

export interface WebhooksStackProps extends StackProps {
  /** The wiring to deploy, from `buildTopology`. */
  readonly topology: Topology;
  /** The validated config the topology was built from. */
  readonly config: WebhooksConfig;
  /** Absolute path of that config file; it is bundled next to every function. */
  readonly configFilePath: string;
  /**
   * ARN of an existing SNS topic notified when a DLQ alarm changes state.
   *
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string;
  /**
   * Customer-managed key for the dedupe table.
   *
   * @default - the AWS-managed DynamoDB key
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * Active X-Ray tracing on the functions.
   *
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Retention of function and API access logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The whole platform in one stack: stateful and stateless resources are separate constructs, kept in
 * one stack so that adding or removing a subscription never meets a cross-stack export in use.
 */
export class WebhooksStack extends Stack {
  readonly stateful: WebhooksStateful;
  readonly stateless: WebhooksStateless;

  constructor(scope: Construct, id: string, props: WebhooksStackProps) {
    super(scope, id, props);
    const { topology } = props;
    warnBlockedDestinations(this, props.config);

    this.stateful = new WebhooksStateful(this, "Stateful", {
      topology,
      alarmTopic:
        props.alarmTopicArn === undefined
          ? undefined
          : sns.Topic.fromTopicArn(this, "AlarmTopic", props.alarmTopicArn),
      tableEncryptionKey: props.tableEncryptionKey,
    });
    this.stateless = new WebhooksStateless(this, "Stateless", {
      topology,
      configFilePath: props.configFilePath,
      table: this.stateful.table,
      deliveryTable: this.stateful.deliveryTable,
      queues: this.stateful.queues,
      tracing: props.tracing,
      logRetention: props.logRetention,
    });

    new CfnOutput(this, "IngestUrl", {
      value: this.stateless.ingestUrl,
      description: "Webhook senders post to <IngestUrl><sourceId>.",
    });
    for (const { spec, queue, dlq } of this.stateful.queues.values()) {
      const name = pascalCase(spec.key);
      new CfnOutput(this, `${name}QueueUrl`, { value: queue.queueUrl, description: `URL of ${spec.name}` });
      new CfnOutput(this, `${name}DlqUrl`, { value: dlq.queueUrl, description: `URL of ${spec.dlq.name}` });
    }
  }
}
