import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { batchGetAll, batchWriteAll } from "../../../shared/adapters/dynamodb-batch.js";

/**
 * A stand-in for the SDK client, named as such: DynamoDB leaves keys or writes unprocessed only when it
 * throttles, which no emulator does. It answers each call with its `answer` and records the input.
 */
function sdkStubLeavingWorkUnprocessed(answer: (input: Record<string, unknown>, call: number) => unknown) {
  const inputs: Record<string, unknown>[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      inputs.push(command.input);
      return answer(command.input, inputs.length);
    },
  } as unknown as DynamoDBClient;
  return { client, inputs };
}

const key = (n: number) => ({ pk: { S: `k${n}` } });

describe("batchGetAll and batchWriteAll (SDK stub: unprocessed work no emulator produces)", () => {
  it("reads 100 keys a call and asks again for the keys DynamoDB left unprocessed", async () => {
    const keys = Array.from({ length: 150 }, (_, i) => key(i));
    const { client, inputs } = sdkStubLeavingWorkUnprocessed((input, call) => {
      const asked = (input.RequestItems as Record<string, { Keys: unknown[] }>).t?.Keys ?? [];
      // The first call leaves its last key unprocessed.
      return call === 1
        ? { Responses: { t: asked.slice(0, -1) }, UnprocessedKeys: { t: { Keys: asked.slice(-1) } } }
        : { Responses: { t: asked } };
    });
    const items = await batchGetAll(client, "t", keys, { ConsistentRead: true }, "things");
    expect(items).toHaveLength(150);
    expect(inputs.map((i) => (i.RequestItems as Record<string, { Keys: unknown[] }>).t?.Keys.length)).toEqual(
      [100, 1, 50],
    );
    const first = inputs[0]?.RequestItems as Record<string, { ConsistentRead: boolean }> | undefined;
    expect(first?.t?.ConsistentRead).toBe(true);
  });

  it("gives up after five rounds, naming what stayed unread", async () => {
    const { client, inputs } = sdkStubLeavingWorkUnprocessed((input) => ({
      Responses: { t: [] },
      UnprocessedKeys: input.RequestItems,
    }));
    await expect(batchGetAll(client, "t", [key(1)], {}, "things")).rejects.toThrow(
      "DynamoDB left things unread after 5 rounds",
    );
    expect(inputs).toHaveLength(5);
  });

  it("writes 25 requests a call and sends again what DynamoDB left unprocessed", async () => {
    const requests = Array.from({ length: 30 }, (_, i) => ({ PutRequest: { Item: key(i) } }));
    const { client, inputs } = sdkStubLeavingWorkUnprocessed((input, call) => {
      const sent = (input.RequestItems as Record<string, unknown[]>).t ?? [];
      return call === 1 ? { UnprocessedItems: { t: sent.slice(0, 2) } } : {};
    });
    await batchWriteAll(client, "t", requests, "things");
    expect(inputs.map((i) => (i.RequestItems as Record<string, unknown[]>).t?.length)).toEqual([25, 2, 5]);
  });
});
