import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;

/** DynamoDB's limits per call: 100 keys per BatchGetItem, 25 requests per BatchWriteItem. */
const GET_KEYS = 100;
const WRITE_REQUESTS = 25;
/** Calls for what DynamoDB left unprocessed (throttling), backing off 40, 80, 160, 320 ms. */
const ROUNDS = 5;

const backOff = (round: number) =>
  round > 0 ? new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round)) : Promise.resolve();

/**
 * Reads every key of one table with BatchGetItem (100 keys a call), asking again for the keys DynamoDB
 * left unprocessed; `what` names the items in the error thrown when some stay unread.
 */
export async function batchGetAll(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly Item[],
  request: Omit<KeysAndAttributes, "Keys">,
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  for (let start = 0; start < keys.length; start += GET_KEYS) {
    let pending = keys.slice(start, start + GET_KEYS) as Item[];
    for (let round = 0; pending.length > 0; round++) {
      if (round === ROUNDS) throw new Error(`DynamoDB left ${what} unread after ${ROUNDS} rounds`);
      await backOff(round);
      const out = await client.send(
        new BatchGetItemCommand({ RequestItems: { [tableName]: { ...request, Keys: pending } } }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Item[];
    }
  }
  return items;
}

/**
 * Writes every request to one table with BatchWriteItem (25 a call), sending again what DynamoDB left
 * unprocessed; `what` names the items in the error thrown when some stay unwritten.
 */
export async function batchWriteAll(
  client: DynamoDBClient,
  tableName: string,
  requests: readonly WriteRequest[],
  what: string,
): Promise<void> {
  for (let start = 0; start < requests.length; start += WRITE_REQUESTS) {
    let pending = requests.slice(start, start + WRITE_REQUESTS);
    for (let round = 0; pending.length > 0; round++) {
      if (round === ROUNDS) throw new Error(`DynamoDB left ${what} unwritten after ${ROUNDS} rounds`);
      await backOff(round);
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = out.UnprocessedItems?.[tableName] ?? [];
    }
  }
}
