import {
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { EventPattern } from "../../local/event-pattern.js";
import { type StreamFailureRecord, StreamPoller } from "../../local/stream-poller.js";
import { dynamoDbClient, emulatorEndpoints, uniqueName } from "../support/aws.js";
import { eventually } from "../support/http-sink.js";

const dynamodb = dynamoDbClient();
const streams = new DynamoDBStreamsClient({
  endpoint: emulatorEndpoints().dynamodb,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});

/** INSERTs, and MODIFYs that are not an erasure: the router's filter. */
const FILTERS: readonly EventPattern[] = [
  { eventName: ["INSERT"] },
  { eventName: ["MODIFY"], dynamodb: { NewImage: { er: { BOOL: [{ exists: false }] } } } },
];

async function streamTable(): Promise<{ name: string; streamArn: string }> {
  const name = uniqueName("stream");
  const out = await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
    }),
  );
  return { name, streamArn: out.TableDescription?.LatestStreamArn ?? "" };
}

const put = (table: string, pk: string, extra: Record<string, { S: string } | { B: Uint8Array }> = {}) =>
  dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, ...extra } }));

const pkOf = (r: DynamoDBRecord) => r.dynamodb?.Keys?.pk?.S ?? "?";

let poller: StreamPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

function startPoller(
  streamArn: string,
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>,
  overrides: Partial<ConstructorParameters<typeof StreamPoller>[0]> = {},
) {
  const failures: StreamFailureRecord[] = [];
  poller = new StreamPoller({
    streams,
    streamArn,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    filters: FILTERS,
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: 2,
    maximumRecordAgeSeconds: 86_400,
    idleMs: 20,
    invoke,
    onFailure: async (f) => {
      failures.push(f);
    },
    onError: () => undefined,
    ...overrides,
  });
  poller.start();
  return failures;
}

describe("the local DynamoDB stream event source mapping", () => {
  it("hands over inserts in order, as Lambda's event format (binary as base64), and filters the rest", async () => {
    const { name, streamArn } = await streamTable();
    const seen: DynamoDBRecord[] = [];
    startPoller(streamArn, async (event) => {
      seen.push(...event.Records);
      return { batchItemFailures: [] };
    });
    await put(name, "a", { b: { B: Buffer.from("hi") } });
    await put(name, "b");
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: "a" } },
        UpdateExpression: "SET er = :t",
        ExpressionAttributeValues: { ":t": { BOOL: true } },
      }),
    );
    await put(name, "b", { x: { S: "again" } });
    await dynamodb.send(new DeleteItemCommand({ TableName: name, Key: { pk: { S: "b" } } }));
    await put(name, "c");
    await eventually(() => (seen.some((r) => pkOf(r) === "c") ? true : undefined));
    expect(seen.map((r) => `${r.eventName} ${pkOf(r)}`)).toEqual([
      "INSERT a",
      "INSERT b",
      "MODIFY b",
      "INSERT c",
    ]);
    expect(seen[0]?.dynamodb?.NewImage?.b?.B).toBe(Buffer.from("hi").toString("base64"));
    expect(seen[0]?.eventSourceARN).toBe(streamArn);
  });

  it("retries from the lowest failed sequence number of a partial batch response", async () => {
    const { name, streamArn } = await streamTable();
    const batches: string[][] = [];
    let failOnce = true;
    startPoller(
      streamArn,
      async (event) => {
        batches.push(event.Records.map(pkOf));
        const b = event.Records.find((r) => pkOf(r) === "b");
        if (failOnce && b) {
          failOnce = false;
          return { batchItemFailures: [{ itemIdentifier: b.dynamodb?.SequenceNumber }] };
        }
        return { batchItemFailures: [] };
      },
      { maxBatchingWindowSeconds: 1 },
    );
    for (const pk of ["a", "b", "c"]) await put(name, pk);
    await eventually(() => (batches.length >= 2 ? true : undefined));
    expect(batches[0]).toEqual(["a", "b", "c"]);
    expect(batches[1]).toEqual(["b", "c"]);
  });

  it("splits a batch whose invocation throws, and sends what still fails to the on-failure destination", async () => {
    const { name, streamArn } = await streamTable();
    const invoked: string[][] = [];
    const failures = startPoller(
      streamArn,
      async (event) => {
        invoked.push(event.Records.map(pkOf));
        if (event.Records.some((r) => pkOf(r) === "poison")) throw new Error("boom");
        return { batchItemFailures: [] };
      },
      { maxBatchingWindowSeconds: 1 },
    );
    for (const pk of ["a", "poison", "c", "d"]) await put(name, pk);
    await eventually(() => (failures.length > 0 ? true : undefined));
    const delivered = invoked.filter((b) => !b.includes("poison")).flat();
    expect(delivered.sort()).toEqual(["a", "c", "d"]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted" },
      version: "1.0",
      DDBStreamBatchInfo: { batchSize: 1, streamArn },
    });
    const poisonAttempts = invoked.filter((b) => b.length === 1 && b[0] === "poison").length;
    expect(poisonAttempts).toBeGreaterThanOrEqual(1);
  });
});

describe("the local stream mapping against DynamoDB Local's stream quirks", () => {
  it("keeps reading streams of tables created at the same time (DynamoDB Local answers TrimmedDataAccessException)", async () => {
    // Several platforms starting at once create their tables together; DynamoDB Local then refuses the
    // first iterator of most of their shards with TrimmedDataAccessException, and a mapping that keeps
    // retrying the same iterator never hands a record over. Lambda's mapping resumes from its checkpoint.
    const tables = await Promise.all([1, 2, 3, 4].map(() => streamTable()));
    const seen = tables.map(() => [] as string[]);
    const pollers = tables.map(
      ({ streamArn }, i) =>
        new StreamPoller({
          streams,
          streamArn,
          batchSize: 10,
          maxBatchingWindowSeconds: 0,
          filters: FILTERS,
          bisectBatchOnFunctionError: true,
          maximumRetryAttempts: 2,
          maximumRecordAgeSeconds: 86_400,
          idleMs: 20,
          invoke: async (event) => {
            seen[i]?.push(...event.Records.map(pkOf));
            return { batchItemFailures: [] };
          },
          onFailure: async () => undefined,
          onError: () => undefined,
        }),
    );
    for (const p of pollers) p.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (const { name } of tables) for (const pk of ["a", "b", "c"]) await put(name, pk);
      await eventually(
        () => (seen.every((s) => s.length >= 3) ? true : undefined),
        10_000,
        () => JSON.stringify(seen),
      );
      expect(seen).toEqual(tables.map(() => ["a", "b", "c"]));
    } finally {
      await Promise.all(pollers.map((p) => p.stop()));
    }
  });
});
