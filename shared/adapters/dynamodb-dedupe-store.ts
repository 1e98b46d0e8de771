import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { ClaimInput, ClaimResult, DedupeStore } from "../ports/dedupe-store.js";

const PENDING = "pending";
const ENQUEUED = "enqueued";

/**
 * Dedupe claims in one DynamoDB table (`pk`, TTL on `expiresAt`). Each operation is one conditional
 * write; a failed claim returns the existing item in the same call (`ReturnValuesOnConditionCheckFailure`).
 * TTL deletion lags, so every condition treats `expiresAt < now` as absent.
 */
export class DynamoDbDedupeStore implements DedupeStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(input: ClaimInput): Promise<ClaimResult> {
    const token = randomUUID();
    const now = String(input.nowSeconds);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: input.key },
            eventId: { S: input.eventId },
            status: { S: PENDING },
            token: { S: token },
            leaseUntil: { N: String(input.nowSeconds + input.leaseSeconds) },
            expiresAt: { N: String(input.nowSeconds + input.ttlSeconds) },
            claimedAt: { N: now },
          },
          ConditionExpression:
            "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :pending AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":now": { N: now }, ":pending": { S: PENDING } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { status: "claimed", token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item;
      if (item?.status?.S === ENQUEUED) {
        return { status: "duplicate", eventId: item.eventId?.S ?? input.eventId };
      }
      const leaseUntil = Number(item?.leaseUntil?.N ?? input.nowSeconds + input.leaseSeconds);
      return { status: "in-flight", retryAfterSeconds: Math.max(1, leaseUntil - input.nowSeconds) };
    }
  }

  async complete(input: { key: string; token: string }): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: input.key } },
          UpdateExpression: "SET #status = :enqueued REMOVE leaseUntil",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#status": "status", "#token": "token" },
          ExpressionAttributeValues: { ":enqueued": { S: ENQUEUED }, ":token": { S: input.token } },
        }),
      );
    } catch (error) {
      // Our lease ran out and a retry took the claim over: that request owns the item now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(input: { key: string; token: string }): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: input.key } },
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: { "#token": "token" },
          ExpressionAttributeValues: { ":token": { S: input.token } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
