import { describe, expect, it } from "vitest";
import {
  denialMessage,
  firstDenied,
  isAllowed,
  type LocalPolicy,
  localArn,
  localPolicyFor,
  permissionsFor,
} from "../../../local/iam-policy.js";
import { buildTopology } from "../../../shared/topology/topology.js";

const config = {
  sources: [{ id: "stripe", provider: "stripe" as const, secrets: ["whsec_x"] }],
  subscriptions: [
    {
      id: "billing",
      target: {
        type: "http" as const,
        url: "https://example.com/hook",
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      },
    },
    { id: "audit", target: { type: "queue" as const } },
  ],
};
const topology = buildTopology(config, { prefix: "t" });
const spec = (key: string) => {
  const found = topology.functions.find((f) => f.key === key);
  if (!found) throw new Error(key);
  return found;
};
const queueUrl = (name: string) => `http://127.0.0.1:4566/000000000000/${name}`;

describe("permissionsFor (what IAM checks for one SDK call)", () => {
  it("names the table, or the index of a query", () => {
    expect(permissionsFor("DynamoDB", "PutItem", { TableName: "t-dedupe" })).toEqual([
      { action: "dynamodb:PutItem", resource: localArn.table("t-dedupe") },
    ]);
    expect(
      permissionsFor("DynamoDB", "Query", { TableName: "t-delivery", IndexName: "bySubscription" }),
    ).toEqual([
      { action: "dynamodb:Query", resource: `${localArn.table("t-delivery")}/index/bySubscription` },
    ]);
  });

  it("checks BatchWriteItem on every table it writes, and transactions per item action", () => {
    expect(permissionsFor("DynamoDB", "BatchWriteItem", { RequestItems: { a: [], b: [] } })).toEqual([
      { action: "dynamodb:BatchWriteItem", resource: localArn.table("a") },
      { action: "dynamodb:BatchWriteItem", resource: localArn.table("b") },
    ]);
    expect(
      permissionsFor("DynamoDB", "TransactWriteItems", {
        TransactItems: [{ Put: { TableName: "a" } }, { ConditionCheck: { TableName: "b" } }],
      }),
    ).toEqual([
      { action: "dynamodb:PutItem", resource: localArn.table("a") },
      { action: "dynamodb:ConditionCheckItem", resource: localArn.table("b") },
    ]);
  });

  it("authorizes SQS batch calls as their single-message action, on the queue the URL names", () => {
    expect(permissionsFor("SQS", "SendMessageBatch", { QueueUrl: queueUrl("t-sub-billing") })).toEqual([
      { action: "sqs:SendMessage", resource: localArn.queue("t-sub-billing") },
    ]);
    expect(permissionsFor("SQS", "DeleteMessageBatch", { QueueUrl: queueUrl("q") })[0]?.action).toBe(
      "sqs:DeleteMessage",
    );
  });

  it("names secrets and S3 objects by ARN, and unknown services by '*'", () => {
    const arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:x-AbCdEf";
    expect(permissionsFor("Secrets Manager", "GetSecretValue", { SecretId: arn })).toEqual([
      { action: "secretsmanager:GetSecretValue", resource: arn },
    ]);
    expect(permissionsFor("S3", "HeadObject", { Bucket: "b", Key: "k/1" })).toEqual([
      { action: "s3:GetObject", resource: "arn:aws:s3:::b/k/1" },
    ]);
    expect(permissionsFor("Kinesis", "PutRecord", {})).toEqual([
      { action: "kinesis:PutRecord", resource: "*" },
    ]);
  });
});

describe("CloudWatch (the ops function reads delivery metrics)", () => {
  it("authorizes GetMetricData on '*', as IAM does for an action without resource-level permission", () => {
    expect(permissionsFor("CloudWatch", "GetMetricData", { MetricDataQueries: [] })).toEqual([
      { action: "cloudwatch:GetMetricData", resource: "*" },
    ]);
  });

  it("lets the local ops function read metrics and nothing else of CloudWatch; refuses every other function", () => {
    const local = buildTopology(config, { prefix: "t", runtime: "local" });
    const ops = local.functions.find((f) => f.key === "ops");
    if (!ops) throw new Error("the local topology has an ops function");
    const policy = localPolicyFor(local, ops);
    expect(firstDenied(policy, "CloudWatch", "GetMetricData", {})).toBeUndefined();
    expect(firstDenied(policy, "CloudWatch", "PutMetricData", {})).toEqual({
      action: "cloudwatch:PutMetricData",
      resource: "*",
    });
    for (const key of ["ingest", "router", "deliver"]) {
      expect(
        firstDenied(localPolicyFor(local, spec(key)), "CloudWatch", "GetMetricData", {}),
        key,
      ).toBeDefined();
    }
  });

  it("lets the ops function drain a subscription's DLQ, erase payload objects and redrive stream failures, not write events", () => {
    const local = buildTopology(config, { prefix: "t", runtime: "local" });
    const ops = local.functions.find((f) => f.key === "ops");
    if (!ops) throw new Error("the local topology has an ops function");
    const policy = localPolicyFor(local, ops);
    expect(
      firstDenied(policy, "SQS", "ReceiveMessage", { QueueUrl: queueUrl("t-sub-billing-dlq") }),
    ).toBeUndefined();
    expect(firstDenied(policy, "SQS", "SendMessage", { QueueUrl: queueUrl("t-ops-jobs") })).toBeUndefined();
    expect(
      firstDenied(policy, "S3", "DeleteObject", { Bucket: "t-payloads", Key: "events/s/evt_1" }),
    ).toBeUndefined();
    expect(firstDenied(policy, "DynamoDB", "PutItem", { TableName: "t-events" })).toBeDefined();
    // A redrive scans the event table and deletes the batches it covered; it never sets records aside.
    expect(firstDenied(policy, "DynamoDB", "Scan", { TableName: "t-events" })).toBeUndefined();
    expect(
      firstDenied(policy, "SQS", "DeleteMessage", { QueueUrl: queueUrl("t-stream-failures") }),
    ).toBeUndefined();
    expect(
      firstDenied(policy, "SQS", "SendMessage", { QueueUrl: queueUrl("t-stream-failures") }),
    ).toBeDefined();
  });
});

describe("the policy of each function, from its topology grants", () => {
  it("lets deliver write its success record with BatchWriteItem, on the delivery table only", () => {
    const policy = localPolicyFor(topology, spec("deliver"));
    const batch = { RequestItems: { [topology.tables.delivery.name]: [] } };
    expect(firstDenied(policy, "DynamoDB", "BatchWriteItem", batch)).toBeUndefined();
    expect(
      firstDenied(policy, "DynamoDB", "BatchWriteItem", {
        RequestItems: { [topology.tables.events.name]: [] },
      }),
    ).toEqual({ action: "dynamodb:BatchWriteItem", resource: localArn.table(topology.tables.events.name) });
  });

  it("lets deliver send to its queue and that queue's DLQ, and nowhere else", () => {
    const policy = localPolicyFor(topology, spec("deliver"));
    const send = (name: string) => firstDenied(policy, "SQS", "SendMessage", { QueueUrl: queueUrl(name) });
    expect(send("t-sub-billing")).toBeUndefined();
    expect(send("t-sub-billing-dlq")).toBeUndefined();
    expect(send("t-sub-audit")).toEqual({
      action: "sqs:SendMessage",
      resource: localArn.queue("t-sub-audit"),
    });
    expect(send("t-ingress")).toBeDefined();
  });

  it("refuses ingest anything on the delivery table, and the dedupe table's Scan", () => {
    const policy = localPolicyFor(topology, spec("ingest"));
    expect(
      firstDenied(policy, "DynamoDB", "PutItem", { TableName: topology.tables.events.name }),
    ).toBeUndefined();
    expect(firstDenied(policy, "DynamoDB", "Scan", { TableName: topology.tables.events.name })).toBeDefined();
    expect(
      firstDenied(policy, "DynamoDB", "GetItem", { TableName: topology.tables.delivery.name }),
    ).toBeDefined();
  });

  it("matches actions case-insensitively and resources exactly, with IAM wildcards", () => {
    const policy: LocalPolicy = {
      principal: "p",
      statements: [{ actions: ["sqs:send*"], resources: ["arn:aws:sqs:us-east-1:000000000000:t-sub-?"] }],
    };
    expect(isAllowed(policy, { action: "SQS:SendMessage", resource: localArn.queue("t-sub-a") })).toBe(true);
    expect(isAllowed(policy, { action: "sqs:SendMessage", resource: localArn.queue("t-sub-ab") })).toBe(
      false,
    );
    expect(isAllowed(policy, { action: "sqs:ReceiveMessage", resource: localArn.queue("t-sub-a") })).toBe(
      false,
    );
  });

  it("words a denial as AWS does, naming the caller, the action and the resource", () => {
    const policy = localPolicyFor(topology, spec("router"));
    expect(denialMessage(policy, { action: "dynamodb:PutItem", resource: "arn:x" })).toBe(
      "User: arn:aws:sts::000000000000:assumed-role/t-router-role/t-router is not authorized to perform: " +
        "dynamodb:PutItem on resource: arn:x because no identity-based policy allows the dynamodb:PutItem action",
    );
  });
});
