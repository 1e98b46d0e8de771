import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import type { DeadLetterMark, ReplayStore, VersionedReplay } from "../ports/replay-store.js";

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
    const found = new Map<string, DeadLetterMark>();
    const unique = [...new Set(messageIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, AttributeValue>[] = unique
        .slice(i, i + 100)
        .map((messageId) => ({ pk: { S: `replay#${replayId}` }, sk: { S: `dlq#${messageId}` } }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === 5) throw new Error("DynamoDB left replay marks unread after 5 rounds");
        if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        const out = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: {
              [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: "sk, m" },
            },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const mark = item.m?.S;
          if (mark !== undefined && MARKS.has(mark))
            found.set((item.sk?.S ?? "").slice("dlq#".length), mark as DeadLetterMark);
        }
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
      }
    }
    return found;
  }

  async remember(
    replayId: string,
    marks: readonly { readonly messageId: string; readonly mark: DeadLetterMark }[],
    expiresAtSeconds: number,
  ): Promise<void> {
    for (let i = 0; i < marks.length; i += 25) {
      let items: WriteRequest[] = marks.slice(i, i + 25).map(({ messageId, mark }) => ({
        PutRequest: {
          Item: {
            pk: { S: `replay#${replayId}` },
            sk: { S: `dlq#${messageId}` },
            m: { S: mark },
            expiresAt: { N: String(expiresAtSeconds) },
          },
        },
      }));
      for (let round = 0; items.length > 0; round++) {
        if (round === 5) throw new Error("DynamoDB left replay marks unwritten after 5 rounds");
        if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        const out = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: items } }),
        );
        items = out.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }
}
