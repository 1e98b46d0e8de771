import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as logs from "aws-cdk-lib/aws-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The construct as another team imports it: through the package's name and its `exports`.
import { type WebhooksConfig, WebhooksPlatform, WebhooksPlatformError } from "webhooks-platform";
import { BUNDLING } from "../../shared/topology/bundling.js";
import { runScript } from "../support/cli.js";
import { CONSUMER_CONFIG, CONSUMER_PREFIX, ConsumerStack } from "./fixtures/consumer-app/consumer-stack.js";
import {
  getAttArn,
  render,
  resourcesOf,
  resourcesOfType,
  resourceWith,
  statementsAllowing,
  statementsOfRole,
} from "./template-helpers.js";

const CONSUMER_APP = "test/cdk/fixtures/consumer-app/app.ts";

interface ConsumerSynth {
  readonly outdir: string;
  readonly json: Record<string, unknown>;
  readonly template: Template;
}

/** Runs the consumer's app as its own process (tsx, like `cdk synth` would), bundling included. */
async function synthConsumerApp(): Promise<ConsumerSynth> {
  const outdir = mkdtempSync(join(tmpdir(), "webhooks-consumer-app-"));
  const run = await runScript(CONSUMER_APP, [], { CDK_OUTDIR: outdir });
  if (run.code !== 0) throw new Error(`consumer app failed (${run.code}):\n${run.stderr}`);
  const json = JSON.parse(readFileSync(join(outdir, "Consumer.template.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return { outdir, json, template: Template.fromJSON(json) };
}

let first: ConsumerSynth;
let second: ConsumerSynth;

beforeAll(async () => {
  [first, second] = await Promise.all([synthConsumerApp(), synthConsumerApp()]);
}, 180_000);

afterAll(() => {
  for (const run of [first, second]) if (run) rmSync(run.outdir, { recursive: true, force: true });
});

const names = (type: string, property: string): unknown[] =>
  resourcesOfType(first.template, type).map(([, r]) => r.Properties[property]);

describe("another team's CDK app with a WebhooksPlatform in its own stack", () => {
  it("puts the team's own queue and the platform's functions, tables and queues in one template", () => {
    const ownQueues = resourcesOfType(first.template, "AWS::SQS::Queue").filter(([id]) =>
      id.startsWith("Orders"),
    );
    expect(ownQueues).toHaveLength(1);
    expect(names("AWS::Lambda::Function", "FunctionName").sort()).toEqual(
      ["deliver", "ingest", "router"].map((key) => `${CONSUMER_PREFIX}-${key}`),
    );
    expect(names("AWS::DynamoDB::Table", "TableName").sort()).toEqual([
      `${CONSUMER_PREFIX}-delivery`,
      `${CONSUMER_PREFIX}-events`,
    ]);
    expect(names("AWS::SQS::Queue", "QueueName").filter((n) => n !== undefined)).toEqual(
      expect.arrayContaining([
        ...["sub-billing", "sub-audit"].flatMap((q) => [
          `${CONSUMER_PREFIX}-${q}`,
          `${CONSUMER_PREFIX}-${q}-dlq`,
        ]),
        `${CONSUMER_PREFIX}-stream-failures`,
      ]),
    );
    first.template.resourceCountIs("AWS::ApiGatewayV2::Api", 1);
  });

  it("outputs the ingest URL", () => {
    const outputs = Object.entries(first.json.Outputs as Record<string, { Value: unknown }>);
    const ingest = outputs.filter(([id]) => id.startsWith("WebhooksIngestUrl"));
    expect(ingest).toHaveLength(1);
    expect(render(ingest[0]?.[1].Value)).toMatch(/\/webhooks\/$/);
  });

  it("lets the team's own role consume its queue subscription (and read claim-checked payloads), nothing else", () => {
    const [roleId] = resourcesOfType(first.template, "AWS::IAM::Role").find(([id]) =>
      id.startsWith("AuditReader"),
    ) ?? ["?"];
    const [auditId] = resourceWith(
      first.template,
      "AWS::SQS::Queue",
      "QueueName",
      `${CONSUMER_PREFIX}-sub-audit`,
    );
    const statements = statementsOfRole(first.template, roleId);
    expect(resourcesOf(statementsAllowing(statements, "sqs:ReceiveMessage"))).toEqual([
      render(getAttArn(auditId)),
    ]);
    const [bucketId] = resourcesOfType(first.template, "AWS::S3::Bucket")[0] ?? ["?"];
    expect(resourcesOf(statementsAllowing(statements, "s3:GetObject"))).toEqual([
      `${render(getAttArn(bucketId))}/events/*`,
    ]);
    expect(resourcesOf(statements).sort()).toEqual(
      [render(getAttArn(auditId)), `${render(getAttArn(bucketId))}/events/*`].sort(),
    );
  });

  it("bundles every function with the config object written next to it as JSON", () => {
    for (const [id, fn] of resourcesOfType(first.template, "AWS::Lambda::Function")) {
      const key = render((fn.Properties.Code as { S3Key: unknown }).S3Key);
      const assetDir = join(first.outdir, `asset.${key.replace(/\.zip$/, "")}`);
      expect(readFileSync(join(assetDir, "index.mjs"), "utf8").startsWith(BUNDLING.banner), id).toBe(true);
      const bundled: unknown = JSON.parse(readFileSync(join(assetDir, BUNDLING.configFileName), "utf8"));
      expect(bundled, id).toEqual(CONSUMER_CONFIG);
    }
  });

  it("synthesizes the same template twice, asset hashes included", () => {
    expect(second.outdir).not.toBe(first.outdir);
    expect(second.json).toEqual(first.json);
  });
});

/** An app that skips bundling: props are checked before anything is bundled. */
const newApp = (): App => new App({ context: { "aws:cdk:bundling-stacks": [] } });
const newStack = (id = "Team"): Stack => new Stack(newApp(), id);

const withSubscription = (target: WebhooksConfig["subscriptions"][number]["target"]): WebhooksConfig => ({
  ...CONSUMER_CONFIG,
  subscriptions: [{ id: "billing", target }],
});

/** The message of what `build` throws, which must be a WebhooksPlatformError. */
function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhooksPlatformError);
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("WebhooksPlatform props", () => {
  it("refuses a bad config object with one line naming props.config and the field", () => {
    const config = withSubscription({
      type: "http",
      url: "ftp://billing.acme.example/",
      secret: "whsec_AAAAAAAAAAAAAAAAAAAAAA==",
    });
    expect(errorOf(() => new WebhooksPlatform(newStack(), "Webhooks", { config }))).toBe(
      "WebhooksPlatform props.config: subscriptions[0].target.url: must be an http(s) URL",
    );
  });

  it("refuses a bad prop of the consumer's stack by name", () => {
    expect(
      errorOf(() => new ConsumerStack(newApp(), "Consumer", { webhooks: { prefix: "acme hooks" } })),
    ).toBe("WebhooksPlatform props.prefix: must be 1-30 letters, digits or '-'; got 'acme hooks'");
  });

  it("names every bad prop, one line each, including props it does not know", () => {
    const props = {
      config: CONSUMER_CONFIG,
      logRetention: 12 as logs.RetentionDays,
      tracing: "yes" as unknown as boolean,
      encryptionkey: "typo",
    };
    expect(errorOf(() => new WebhooksPlatform(newStack(), "Webhooks", props)).split("\n")).toEqual([
      "WebhooksPlatform props.encryptionkey: not a prop of WebhooksPlatform; its props are config, prefix, alarmTopic, encryptionKey, logRetention, tracing, throttle",
      "WebhooksPlatform props.logRetention: must be a logs.RetentionDays value, e.g. logs.RetentionDays.ONE_MONTH; got 12",
      "WebhooksPlatform props.tracing: must be true or false; got 'yes'",
    ]);
  });

  it("names the file of a config given as a path, and the field", () => {
    const path = join(mkdtempSync(join(tmpdir(), "webhooks-platform-props-")), "webhooks.json");
    writeFileSync(
      path,
      JSON.stringify({ sources: [{ id: "gh", provider: "gitlab", secrets: ["x"] }], subscriptions: [] }),
    );
    expect(errorOf(() => new WebhooksPlatform(newStack(), "Webhooks", { config: path }))).toMatch(
      new RegExp(
        `^WebhooksPlatform props\\.config: ${path.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: sources\\[0\\]\\.provider: [^\\n]+$`,
      ),
    );
    expect(
      errorOf(() => new WebhooksPlatform(newStack(), "Webhooks", { config: `${path}.missing` })),
    ).toMatch(/^WebhooksPlatform props\.config: Cannot read webhooks config at .+\.missing: [^\n]+$/);
  });

  it("takes the stack's name as the default prefix, and refuses a second platform with the same prefix", () => {
    const stack = newStack("acme-prod");
    const platform = new WebhooksPlatform(stack, "Webhooks", { config: CONSUMER_CONFIG });
    expect(platform.prefix).toBe("acme-prod");
    expect(platform.functions.get("ingest")).toBeDefined();
    expect(errorOf(() => new WebhooksPlatform(stack, "Again", { config: CONSUMER_CONFIG }))).toBe(
      "WebhooksPlatform props.prefix: 'acme-prod' is already the prefix of the WebhooksPlatform at acme-prod/Webhooks; their resource names would collide: give each platform its own prefix",
    );
  });

  it("refuses a stack name that cannot be the default prefix, naming props.prefix", () => {
    expect(
      errorOf(() => new WebhooksPlatform(newStack("a".repeat(31)), "Webhooks", { config: CONSUMER_CONFIG })),
    ).toMatch(
      /^WebhooksPlatform props\.prefix: not given, and the default, the stack's name 'a{31}', is not 1-30 letters, digits or '-'; set prefix$/,
    );
  });

  it("encrypts both tables with the given key", () => {
    const stack = newStack();
    const key = new kms.Key(stack, "TableKey");
    new WebhooksPlatform(stack, "Webhooks", { config: CONSUMER_CONFIG, encryptionKey: key });
    const tables = resourcesOfType(Template.fromStack(stack), "AWS::DynamoDB::Table");
    expect(tables).toHaveLength(2);
    for (const [id, table] of tables) {
      expect(table.Properties.SSESpecification, id).toEqual({
        SSEEnabled: true,
        SSEType: "KMS",
        KMSMasterKeyId: { "Fn::GetAtt": [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), "Arn"] },
      });
    }
  });

  it("lets only a queue subscription be consumed by the team's own code", () => {
    const stack = newStack();
    const platform = new WebhooksPlatform(stack, "Webhooks", { config: CONSUMER_CONFIG });
    const reader = new iam.Role(stack, "Reader", { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => platform.grantConsumeMessages("billing", reader)).toThrow(
      "WebhooksPlatform subscription 'billing' delivers over HTTP; only a queue subscription can be consumed by your own code.",
    );
    expect(() => platform.subscriptionQueue("nope")).toThrow(
      "WebhooksPlatform has no subscription 'nope'; known: billing, audit.",
    );
  });
});
