import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { DeadLetterMark, ReplayStore, VersionedReplay } from "../ports/replay-store.js";
import { batchGetAll, batchWriteAll } from "./dynamodb-batch.js";

const MARKS: ReadonlySet<string> = new Set<DeadLetterMark>(["moved", "copy", "skipped"]);

/**
 * Replays in the delivery-state table: `replay#<id>` / `replay` holds the record as JSON (`r`) with its
 * version (compare-and-set on every save); `replay#<id>` / `dlq#<message id>` marks what the replay did
 * with one dead letter. Everything expires with the replay (TTL `expiresAt`).
 */
export class DynamoDbReplayStore<R> implements ReplayStore<R> {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private item(
    id: string,
    record: R,
    version: number,
    expiresAtSeconds: number,
  ): Record<string, AttributeValue> {
    return {
      pk: { S: `replay#${id}` },
      sk: { S: "replay" },
      r: { S: JSON.stringify(record) },
      version: { N: String(version) },
      expiresAt: { N: String(expiresAtSeconds) },
    };
  }

  async create(id: string, record: R, expiresAtSeconds: number): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: this.item(id, record, 1, expiresAtSeconds),
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
  }

  async get(id: string): Promise<VersionedReplay<R> | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `replay#${id}` }, sk: { S: "replay" } },
        ConsistentRead: true,
      }),
    );
    if (!out.Item?.r?.S) return undefined;
    return { record: JSON.parse(out.Item.r.S) as R, version: Number(out.Item.version?.N ?? 1) };
  }

  async save(id: string, record: R, expectedVersion: number, expiresAtSeconds: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.item(id, record, expectedVersion + 1, expiresAtSeconds),
          ConditionExpression: "version = :v",
          ExpressionAttributeValues: { ":v": { N: String(expectedVersion) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recall(
    replayId: string,
    messageIds: readonly string[],
  ): Promise<ReadonlyMap<string, DeadLetterMark>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      [...new Set(messageIds)].map((messageId) => ({
        pk: { S: `replay#${replayId}` },
        sk: { S: `dlq#${messageId}` },
      })),
      { ConsistentRead: true, ProjectionExpression: "sk, m" },
      "replay marks",
    );
    const found = new Map<string, DeadLetterMark>();
    for (const item of items) {
      const mark = item.m?.S;
      if (mark !== undefined && MARKS.has(mark))
        found.set((item.sk?.S ?? "").slice("dlq#".length), mark as DeadLetterMark);
    }
    return found;
  }

  async remember(
    replayId: string,
    marks: readonly { readonly messageId: string; readonly mark: DeadLetterMark }[],
    expiresAtSeconds: number,
  ): Promise<void> {
    await batchWriteAll(
      this.client,
      this.tableName,
      marks.map(({ messageId, mark }) => ({
        PutRequest: {
          Item: {
            pk: { S: `replay#${replayId}` },
            sk: { S: `dlq#${messageId}` },
            m: { S: mark },
            expiresAt: { N: String(expiresAtSeconds) },
          },
        },
      })),
      "replay marks",
    );
  }
}
