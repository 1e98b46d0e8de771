import { Annotations, Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { PLATFORM_ID } from "../../cdk/lib/webhooks-stack.js";
import type { SecretRef } from "../../shared/config/schema.js";
import { targetSecretRefs } from "../../shared/config/schema.js";
import {
  asArray,
  functionNameOf,
  getAttArn,
  type PolicyStatement,
  render,
  resourcesOf,
  resourcesOfType,
  resourceWith,
  roleOfFunction,
  statementsAllowing,
  statementsOfRole,
} from "./template-helpers.js";

/** Sources with Secrets Manager and inline secrets, an http subscription with a Secrets Manager secret. */
const SECRET_ARNS_CONFIG = "test/cdk/fixtures/webhooks.secret-arns.json";

let synth: SynthResult;

beforeAll(() => {
  synth = synthTemplate({ configPath: SECRET_ARNS_CONFIG, stage: "iam" });
}, 120_000);

const statementsOf = (key: string): PolicyStatement[] => {
  const [, fn] = resourceWith(
    synth.template,
    "AWS::Lambda::Function",
    "FunctionName",
    functionNameOf(synth.topology, key),
  );
  return statementsOfRole(synth.template, roleOfFunction(fn));
};

const queueArn = (name: string): string =>
  render(getAttArn(resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", name)[0]));

const tableArnOf = (name: string): string =>
  render(getAttArn(resourceWith(synth.template, "AWS::DynamoDB::Table", "TableName", name)[0]));
/** The event table: the one ingest writes. */
const tableArn = (): string => tableArnOf(synth.topology.tables.events.name);
const deliveryTableArn = (): string => tableArnOf(synth.topology.tables.delivery.name);
const bucketObjectsArn = (): string =>
  `${render(getAttArn(resourcesOfType(synth.template, "AWS::S3::Bucket")[0]?.[0] ?? "?"))}/events/*`;

const arnsOf = (refs: readonly SecretRef[]): string[] =>
  refs.flatMap((secret) => (typeof secret === "string" ? [] : [secret.secretArn]));

const subscriptionQueues = () => synth.topology.queues.filter((q) => q.role !== "ops-jobs");

describe("ingest IAM role", () => {
  it("may send to no queue at all", () => {
    expect(statementsAllowing(statementsOf("ingest"), "sqs:SendMessage")).toEqual([]);
    const touched = resourcesOf(statementsOf("ingest"));
    for (const spec of subscriptionQueues()) {
      expect(touched).not.toContain(queueArn(spec.name));
      expect(touched).not.toContain(queueArn(spec.dlq.name));
    }
  });

  it("may only put items into the event table (the one write that accepts an event)", () => {
    const onTable = statementsOf("ingest").filter((s) =>
      asArray(s.Resource).map(render).includes(tableArn()),
    );
    expect(onTable.flatMap((s) => asArray(s.Action)).sort()).toEqual(["dynamodb:PutItem"]);
    expect(resourcesOf(statementsOf("ingest"))).not.toContain(deliveryTableArn());
  });

  it("may put payload objects (bodies too large for the item) and read none", () => {
    const puts = statementsAllowing(statementsOf("ingest"), "s3:PutObject");
    expect(resourcesOf(puts)).toEqual([bucketObjectsArn()]);
    expect(statementsAllowing(statementsOf("ingest"), "s3:GetObject")).toEqual([]);
  });

  it("may read exactly the Secrets Manager secrets of the sources", () => {
    const reads = statementsAllowing(statementsOf("ingest"), "secretsmanager:GetSecretValue");
    const expected = arnsOf(synth.config.sources.flatMap((s) => s.secrets ?? []));
    expect(expected.length).toBeGreaterThan(0);
    expect(resourcesOf(reads).sort()).toEqual([...expected].sort());
  });
});

describe("router IAM role", () => {
  it("reads the event table only through its stream, and writes only the event index", () => {
    const statements = statementsOf("router");
    const onEvents = statements.filter((s) => asArray(s.Resource).map(render).includes(tableArn()));
    expect(onEvents).toEqual([]);
    const puts = statementsAllowing(statements, "dynamodb:PutItem");
    expect(resourcesOf(puts)).toEqual([deliveryTableArn()]);
  });

  it("can send to every subscription queue and the stream failures queue, and to nothing else", () => {
    const sends = statementsAllowing(statementsOf("router"), "sqs:SendMessage");
    // The failures queue twice: the router's own grant, and the one the mapping's on-failure destination adds.
    expect([...new Set(resourcesOf(sends))].sort()).toEqual(
      [
        ...subscriptionQueues().map((q) => queueArn(q.name)),
        queueArn(synth.topology.streamFailures.name),
      ].sort(),
    );
  });

  it("can read no secrets", () => {
    expect(statementsAllowing(statementsOf("router"), "secretsmanager:GetSecretValue")).toEqual([]);
  });
});

describe("deliver IAM role", () => {
  const httpQueues = () => synth.topology.queues.filter((q) => q.role === "http-subscription");

  it("can send only to its http subscription queues and their DLQs", () => {
    const sends = statementsAllowing(statementsOf("deliver"), "sqs:SendMessage");
    const expected = httpQueues().flatMap((q) => [queueArn(q.name), queueArn(q.dlq.name)]);
    expect(resourcesOf(sends).sort()).toEqual(expected.sort());
  });

  it("consumes only its http subscription queues", () => {
    const receives = statementsAllowing(statementsOf("deliver"), "sqs:ReceiveMessage");
    expect(resourcesOf(receives).sort()).toEqual(
      httpQueues()
        .map((q) => queueArn(q.name))
        .sort(),
    );
  });

  it("cannot touch the event table", () => {
    expect(resourcesOf(statementsOf("deliver"))).not.toContain(tableArn());
  });

  it("may write success records and attempt logs in one BatchWriteItem on the delivery table", () => {
    const [deliveryId] = resourceWith(
      synth.template,
      "AWS::DynamoDB::Table",
      "TableName",
      synth.topology.tables.delivery.name,
    );
    const batch = statementsAllowing(statementsOf("deliver"), "dynamodb:BatchWriteItem");
    expect(resourcesOf(batch)).toEqual([render(getAttArn(deliveryId))]);
  });

  it("may read exactly the Secrets Manager secrets of the http targets", () => {
    const reads = statementsAllowing(statementsOf("deliver"), "secretsmanager:GetSecretValue");
    const expected = arnsOf(
      synth.config.subscriptions.flatMap((s) => (s.target.type === "http" ? targetSecretRefs(s.target) : [])),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(resourcesOf(reads).sort()).toEqual([...expected].sort());
  });
});

describe("function IAM roles", () => {
  it("use no AWS managed policies", () => {
    for (const [id, role] of resourcesOfType(synth.template, "AWS::IAM::Role")) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it("grant no wildcard actions, and wildcard resources only where AWS offers nothing narrower", () => {
    for (const key of synth.topology.functions.map((f) => f.key)) {
      for (const statement of statementsOf(key)) {
        expect(
          asArray(statement.Action).filter((a) => a.includes("*")),
          key,
        ).toEqual([]);
        const resources = asArray(statement.Resource).map(render);
        if (resources.includes("*")) {
          // dynamodb:ListStreams takes no resource: the stream mapping needs it on "*".
          expect(asArray(statement.Action), key).toEqual(["dynamodb:ListStreams"]);
        }
        for (const resource of resources.filter((r) => r !== "*" && r.includes("*"))) {
          // Payload objects are one per event: a key prefix is as narrow as it gets.
          expect(resource, key).toBe(bucketObjectsArn());
        }
      }
    }
  });
});

describe("inline secret warnings", () => {
  const inlineWarning = Match.stringLikeRegexp("inline secrets are for local development only");

  it("warns on ingest when a source has an inline secret", () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning("*", inlineWarning);
    expect(warnings.map((w) => w.id)).toEqual([
      `/${synth.stack.stackName}/${PLATFORM_ID}/Stateless/Ingest/Function`,
    ]);
  });

  it("does not warn on deliver when every target secret is in Secrets Manager", () => {
    Annotations.fromStack(synth.stack).hasNoWarning(
      `/${synth.stack.stackName}/${PLATFORM_ID}/Stateless/Deliver/Function`,
      inlineWarning,
    );
  });
});
