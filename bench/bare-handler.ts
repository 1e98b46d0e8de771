// The ingest benchmark's "null ingest": a minimal Lambda handler bundled and run in the local runtime
// in place of ingest (the benchmark swaps the ingest function's `entry`). It makes the bare server's one
// conditional PutItem — the same ready-made item, handed over in the environment, keyed by a fresh id
// (POST /webhooks/new) or one fixed id (POST /webhooks/duplicate, refused) — and answers 202 with the id.
// Nothing else: no verification, no parsing, no compression, no middy, no Powertools. Its distance from
// the bare server is what the local runtime's plumbing costs; ingest's distance from it is ingest's own.
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createDynamoDbClient } from "../shared/adapters/aws-clients.js";
import { ENV, requireEnv } from "../shared/config/env.js";
import { BENCH_ITEM_ENV, decodeBenchItem } from "./bench-item.js";

const client = createDynamoDbClient();
const tableName = requireEnv(ENV.eventTable);
const item = decodeBenchItem(process.env[BENCH_ITEM_ENV]);

const accepted = (body: Record<string, unknown>): APIGatewayProxyStructuredResultV2 => ({
  statusCode: 202,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const id =
    event.pathParameters?.sourceId === "duplicate"
      ? "evt_null_duplicate"
      : `evt_${randomBytes(16).toString("base64url")}`;
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...item, pk: { S: id } },
        ConditionExpression: "attribute_not_exists(pk) OR #exp < :now",
        ExpressionAttributeNames: { "#exp": "exp" },
        ExpressionAttributeValues: { ":now": { N: String(Math.floor(Date.now() / 1000)) } },
      }),
    );
    return accepted({ id });
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return accepted({ id, duplicate: true });
    throw error;
  }
};
