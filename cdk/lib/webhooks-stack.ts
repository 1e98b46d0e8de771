import { Stack, type StackProps } from "aws-cdk-lib";
import * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import type { WebhooksPlatformProps } from "./platform-props.js";
import { WebhooksPlatform } from "./webhooks-platform.js";

/**
 * Construct id of the platform in this stack. CDK leaves a path component named `Default` out of
 * logical ids, so every resource keeps the logical id it had when this stack built the resources
 * itself: a named, retained table or queue under a new logical id would be replaced, and the deploy
 * would fail on the name. (Construct paths do gain the `Default/` step.)
 */
export const PLATFORM_ID = "Default";

export interface WebhooksStackProps extends StackProps, Omit<WebhooksPlatformProps, "alarmTopic"> {
  /**
   * ARN of an existing SNS topic notified when a DLQ alarm changes state.
   *
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string;
}

/**
 * This project's own stack: one `WebhooksPlatform` and nothing else, so that adding or removing a
 * subscription never meets a cross-stack export in use.
 */
export class WebhooksStack extends Stack {
  readonly platform: WebhooksPlatform;

  constructor(scope: Construct, id: string, props: WebhooksStackProps) {
    super(scope, id, props);
    const { alarmTopicArn, config, prefix, encryptionKey, logRetention, tracing, throttle } = props;
    this.platform = new WebhooksPlatform(this, PLATFORM_ID, {
      config,
      prefix,
      alarmTopic:
        alarmTopicArn === undefined ? undefined : sns.Topic.fromTopicArn(this, "AlarmTopic", alarmTopicArn),
      encryptionKey,
      logRetention,
      tracing,
      throttle,
    });
  }
}
