import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import { describe, expect, it } from "vitest";
import { WebhooksStateful } from "../../cdk/lib/stateful.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { resourcesOfType } from "./template-helpers.js";

const topology = buildTopology(loadConfigFile("config/webhooks.sample.json"), { prefix: "webhooks-test" });

describe("WebhooksStateful", () => {
  it("notifies the alarm topic when a DLQ alarm fires and when it recovers", () => {
    const stack = new Stack(new App(), "Test");
    const topic = new sns.Topic(stack, "Alarms");
    new WebhooksStateful(stack, "Stateful", { topology, alarmTopic: topic });
    const template = Template.fromStack(stack);
    const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm");
    // One per DLQ, and one on the stream failures queue.
    expect(alarms.length).toBe(topology.queues.length + 1);
    for (const [id, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, id).toEqual([
        { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) },
      ]);
      expect(alarm.Properties.OKActions, id).toEqual(alarm.Properties.AlarmActions);
    }
  });

  it("creates alarms without actions when no topic is given", () => {
    const stack = new Stack(new App(), "Test");
    new WebhooksStateful(stack, "Stateful", { topology });
    for (const [id, alarm] of resourcesOfType(Template.fromStack(stack), "AWS::CloudWatch::Alarm")) {
      expect(alarm.Properties.AlarmActions, id).toBeUndefined();
    }
  });

  it("encrypts the table with the customer-managed key when one is given", () => {
    const stack = new Stack(new App(), "Test");
    const key = new kms.Key(stack, "TableKey");
    new WebhooksStateful(stack, "Stateful", { topology, tableEncryptionKey: key });
    Template.fromStack(stack).hasResourceProperties("AWS::DynamoDB::Table", {
      SSESpecification: {
        SSEEnabled: true,
        SSEType: "KMS",
        KMSMasterKeyId: { "Fn::GetAtt": [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), "Arn"] },
      },
    });
  });

  it("refuses to look up a queue the topology does not have", () => {
    const stack = new Stack(new App(), "Test");
    const stateful = new WebhooksStateful(stack, "Stateful", { topology });
    expect(() => stateful.queue("sub-nope")).toThrow(/no queue 'sub-nope'/);
  });
});
