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

const tableArn = (): string => {
  const [tableId] = resourcesOfType(synth.template, "AWS::DynamoDB::Table")[0] ?? ["?"];
  return render(getAttArn(tableId));
};

const arnsOf = (refs: readonly SecretRef[]): string[] =>
  refs.flatMap((secret) => (typeof secret === "string" ? [] : [secret.secretArn]));

const subscriptionQueues = () => synth.topology.queues.filter((q) => q.role !== "ingress");
const ingress = () => synth.topology.queues.filter((q) => q.role === "ingress");

describe("ingest IAM role", () => {
  it("can send only to the ingress queue", () => {
    const sends = statementsAllowing(statementsOf("ingest"), "sqs:SendMessage");
    expect(resourcesOf(sends)).toEqual(ingress().map((q) => queueArn(q.name)));
  });

  it("has no permission at all on subscription queues or DLQs", () => {
    const touched = resourcesOf(statementsOf("ingest"));
    for (const spec of subscriptionQueues()) {
      expect(touched).not.toContain(queueArn(spec.name));
      expect(touched).not.toContain(queueArn(spec.dlq.name));
    }
    for (const spec of ingress()) expect(touched).not.toContain(queueArn(spec.dlq.name));
  });

  it("may put, update and delete items of the dedupe table and nothing else on it", () => {
    const onTable = statementsOf("ingest").filter((s) =>
      asArray(s.Resource).map(render).includes(tableArn()),
    );
    expect(onTable.flatMap((s) => asArray(s.Action)).sort()).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]);
  });

  it("may read exactly the Secrets Manager secrets of the sources", () => {
    const reads = statementsAllowing(statementsOf("ingest"), "secretsmanager:GetSecretValue");
    const expected = arnsOf(synth.config.sources.flatMap((s) => s.secrets ?? []));
    expect(expected.length).toBeGreaterThan(0);
    expect(resourcesOf(reads).sort()).toEqual([...expected].sort());
  });
});

describe("router IAM role", () => {
  it("cannot touch the dedupe table", () => {
    const statements = statementsOf("router");
    expect(resourcesOf(statements)).not.toContain(tableArn());
    expect(statements.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith("dynamodb:"))).toEqual([]);
  });

  it("can send to every subscription queue and to nothing else", () => {
    const sends = statementsAllowing(statementsOf("router"), "sqs:SendMessage");
    expect(resourcesOf(sends).sort()).toEqual(
      subscriptionQueues()
        .map((q) => queueArn(q.name))
        .sort(),
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

  it("cannot touch the dedupe table", () => {
    expect(resourcesOf(statementsOf("deliver"))).not.toContain(tableArn());
  });

  it("may write success records and attempt logs in one BatchWriteItem on the delivery table", () => {
    const [deliveryId] = resourceWith(
      synth.template,
      "AWS::DynamoDB::Table",
      "TableName",
      synth.topology.deliveryTable.name,
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

  it("grant no wildcard actions or resources", () => {
    for (const key of synth.topology.functions.map((f) => f.key)) {
      for (const statement of statementsOf(key)) {
        expect(
          asArray(statement.Action).filter((a) => a.includes("*")),
          key,
        ).toEqual([]);
        expect(asArray(statement.Resource).map(render), key).not.toContain("*");
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
