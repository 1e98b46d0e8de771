import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../cdk/lib/stateless.js";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { DEFAULT_CONFIG_PATH } from "../../cdk/lib/webhooks-app.js";
import { BUNDLING } from "../../shared/topology/bundling.js";
import {
  type CfnResource,
  functionNameOf,
  getAttArn,
  ref,
  render,
  resourcesOfType,
  resourceWith,
} from "./template-helpers.js";

let synth: SynthResult;

beforeAll(() => {
  synth = synthTemplate();
}, 120_000);

/** Logical ids of the queues some other queue dead-letters into. */
function dlqIds(): Set<string> {
  return new Set(
    resourcesOfType(synth.template, "AWS::SQS::Queue").flatMap(([, q]) => {
      const redrive = q.Properties.RedrivePolicy as
        | { deadLetterTargetArn: { "Fn::GetAtt": [string] } }
        | undefined;
      return redrive ? [redrive.deadLetterTargetArn["Fn::GetAtt"][0]] : [];
    }),
  );
}

/** Queues that feed a consumer: every queue but the DLQs and the stream failures queue (a terminal store). */
const sourceQueues = () =>
  resourcesOfType(synth.template, "AWS::SQS::Queue").filter(
    ([id, q]) => !dlqIds().has(id) && q.Properties.QueueName !== synth.topology.streamFailures.name,
  );
const deadLetterQueues = () =>
  resourcesOfType(synth.template, "AWS::SQS::Queue").filter(([id]) => dlqIds().has(id));

describe("WebhooksStack queues", () => {
  it("gives every non-DLQ queue a redrive policy to a DLQ whose redrive-allow policy names it back", () => {
    const resources = synth.template.toJSON().Resources as Record<string, CfnResource>;
    expect(sourceQueues().length).toBeGreaterThan(0);
    for (const [id, queue] of sourceQueues()) {
      const redrive = queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown } | undefined;
      expect(redrive, `${id} has a RedrivePolicy`).toBeDefined();
      const dlqId = render(redrive?.deadLetterTargetArn).replace(/^\$\{(.+)\.Arn\}$/, "$1");
      const dlq = resources[dlqId];
      expect(dlq?.Type).toBe("AWS::SQS::Queue");
      const allow = dlq?.Properties.RedriveAllowPolicy as
        | { redrivePermission: string; sourceQueueArns: unknown[] }
        | undefined;
      expect(allow?.redrivePermission).toBe("byQueue");
      expect((allow?.sourceQueueArns ?? []).map(render)).toEqual([
        `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${String(queue.Properties.QueueName)}`,
      ]);
    }
  });

  it("does not give a DLQ a DLQ of its own", () => {
    for (const [, dlq] of deadLetterQueues()) {
      expect(dlq.Properties.RedrivePolicy).toBeUndefined();
    }
  });

  it("encrypts every queue with SQS-managed keys and denies requests without TLS", () => {
    for (const [id, queue] of resourcesOfType(synth.template, "AWS::SQS::Queue")) {
      expect(queue.Properties.SqsManagedSseEnabled, id).toBe(true);
      synth.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [ref(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });

  it("alarms when any DLQ holds at least one visible message", () => {
    const alarms = resourcesOfType(synth.template, "AWS::CloudWatch::Alarm");
    expect(deadLetterQueues().length).toBeGreaterThan(0);
    for (const [dlqId] of deadLetterQueues()) {
      const watching = alarms.filter(([, alarm]) =>
        (alarm.Properties.Dimensions as Array<{ Name: string; Value: unknown }> | undefined)?.some(
          (d) => d.Name === "QueueName" && render(d.Value) === `\${${dlqId}.QueueName}`,
        ),
      );
      expect(watching, `alarm on ${dlqId}`).toHaveLength(1);
      expect(watching[0]?.[1].Properties).toMatchObject({
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        Threshold: 1,
      });
    }
  });
});

describe("WebhooksStack event source mappings", () => {
  it("reports batch item failures on every mapping", () => {
    const mappings = resourcesOfType(synth.template, "AWS::Lambda::EventSourceMapping");
    expect(mappings.length).toBeGreaterThan(0);
    for (const [id, mapping] of mappings) {
      expect(mapping.Properties.FunctionResponseTypes, id).toEqual(["ReportBatchItemFailures"]);
    }
  });
});

describe("WebhooksStack event table", () => {
  it("is on-demand, keyed by pk, with PITR, TTL on exp, a stream of new images and server-side encryption", () => {
    synth.template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: `${synth.topology.prefix}-events`,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "exp", Enabled: true },
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it("is retained when the stack is deleted or the table replaced", () => {
    synth.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });
});

describe("WebhooksStack functions", () => {
  it("writes every function's logs to a log group with a retention period", () => {
    for (const [id, fn] of resourcesOfType(synth.template, "AWS::Lambda::Function")) {
      const logGroupId = render((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup).slice(2, -1);
      const logGroup = (synth.template.toJSON().Resources as Record<string, CfnResource>)[logGroupId];
      expect(logGroup?.Type, id).toBe("AWS::Logs::LogGroup");
      expect(logGroup?.Properties.RetentionInDays, id).toEqual(expect.any(Number));
    }
  });

  it("bundles every handler as an ESM file with the config copied next to it", () => {
    const assembly = synth.app.synth();
    const configText = readFileSync(join(PROJECT_ROOT, DEFAULT_CONFIG_PATH), "utf8");
    for (const [id, fn] of resourcesOfType(synth.template, "AWS::Lambda::Function")) {
      const key = render((fn.Properties.Code as { S3Key: unknown }).S3Key);
      const assetDir = join(assembly.directory, `asset.${key.replace(/\.zip$/, "")}`);
      expect(existsSync(join(assetDir, "index.mjs")), id).toBe(true);
      expect(readFileSync(join(assetDir, "index.mjs"), "utf8").startsWith(BUNDLING.banner), id).toBe(true);
      expect(readFileSync(join(assetDir, BUNDLING.configFileName), "utf8"), id).toBe(configText);
    }
  });
});

describe("WebhooksStack API", () => {
  it("logs every request of the $default stage as JSON including the request id", () => {
    const [, stage] = resourceWith(synth.template, "AWS::ApiGatewayV2::Stage", "StageName", "$default");
    const settings = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(render(settings.DestinationArn)).toMatch(/^\$\{.+\.Arn\}$/);
    expect(JSON.parse(settings.Format)).toMatchObject({ requestId: "$context.requestId" });
  });

  it("lets only this API invoke ingest: through the webhook route and $default (unmatched requests)", () => {
    const [ingestId] = resourceWith(
      synth.template,
      "AWS::Lambda::Function",
      "FunctionName",
      functionNameOf(synth.topology, "ingest"),
    );
    const [apiId] = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Api")[0] ?? [];
    const permissions = resourcesOfType(synth.template, "AWS::Lambda::Permission").filter(
      ([, p]) => render(p.Properties.FunctionName) === render(getAttArn(ingestId)),
    );
    for (const [, permission] of permissions) {
      expect(permission.Properties.Principal).toBe("apigateway.amazonaws.com");
    }
    const apiArn = `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${apiId}}`;
    expect(permissions.map(([, p]) => render(p.Properties.SourceArn)).sort()).toEqual(
      [`${apiArn}/*/*`, `${apiArn}/*/*/webhooks/{sourceId}`].sort(),
    );
  });
});

describe("WebhooksStack outputs", () => {
  it("exposes the ingest URL ending in /webhooks/", () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(render(outputs.IngestUrl?.Value)).toMatch(
      /^https:\/\/\$\{.+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/webhooks\/$/,
    );
  });

  it("exposes the URL of every subscription queue and of its DLQ", () => {
    const outputs = Object.values(synth.template.toJSON().Outputs as Record<string, { Value: unknown }>).map(
      (o) => render(o.Value),
    );
    for (const spec of synth.topology.queues) {
      const [queueId] = resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", spec.name);
      const [dlqId] = resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", spec.dlq.name);
      expect(outputs).toContain(render(ref(queueId)));
      expect(outputs).toContain(render(ref(dlqId)));
    }
  });
});

describe("WebhooksStack synthesis", () => {
  it("is environment-agnostic and needs no context lookups", () => {
    expect(synth.stack.account).toMatch(/^\$\{Token/);
    expect(synth.stack.region).toMatch(/^\$\{Token/);
    const assembly = synth.app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });
});
