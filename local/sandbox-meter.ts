import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { writeUnits } from "../bench/item-size.js";

/**
 * What one AWS call costs, as the services bill it: DynamoDB read and write units (as DynamoDB Local
 * reports them; a refused conditional write, which it does not report, by the item's size), SQS
 * requests (one per 64 KB of the payload a send carries or a receive returns), S3 PUTs and GETs.
 */
export interface CallUsage {
  readonly service: string;
  readonly operation: string;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly sqsRequests: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
}

const SQS_CHUNK_BYTES = 64 * 1024;

type Input = Readonly<Record<string, unknown>>;
type Consumed = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

const WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"]);

function consumed(output: unknown): number {
  const raw = (output as { ConsumedCapacity?: Consumed | Consumed[] } | undefined)?.ConsumedCapacity;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.reduce((total, c) => total + (c.CapacityUnits ?? 0), 0);
}

function messageBytes(message: Input): number {
  const attributes = (message.MessageAttributes ?? {}) as Record<
    string,
    { StringValue?: string; DataType?: string }
  >;
  // A message sent (`MessageBody`) or received (`Body`).
  let bytes = Buffer.byteLength(String(message.MessageBody ?? message.Body ?? ""));
  for (const [name, value] of Object.entries(attributes)) {
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? "") +
      Buffer.byteLength(value.StringValue ?? "");
  }
  return bytes;
}

export function usageOf(
  service: string,
  operation: string,
  input: Input,
  output: unknown,
  error: unknown,
): CallUsage {
  const usage = { service, operation, writeUnits: 0, readUnits: 0, sqsRequests: 0, s3Puts: 0, s3Gets: 0 };
  switch (service) {
    case "DynamoDB": {
      let units = consumed(output);
      // A refused conditional write still costs the item's size (DynamoDB Local reports nothing then).
      if (error !== undefined && (error as Error).name === "ConditionalCheckFailedException") {
        const item = input.Item as Record<string, AttributeValue> | undefined;
        units = item ? writeUnits(item) : 1;
      }
      if (WRITES.has(operation)) usage.writeUnits = units;
      else usage.readUnits = units;
      return usage;
    }
    case "SQS": {
      const sum = (messages: unknown) =>
        ((messages ?? []) as Input[]).reduce((total, message) => total + messageBytes(message), 0);
      // SQS bills a request per 64 KB of payload, whichever way it travels.
      const bytes =
        operation === "SendMessage"
          ? messageBytes(input)
          : operation === "SendMessageBatch"
            ? sum(input.Entries)
            : operation === "ReceiveMessage"
              ? sum((output as { Messages?: unknown } | undefined)?.Messages)
              : 0;
      usage.sqsRequests = Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
      return usage;
    }
    case "S3":
      if (operation === "PutObject") usage.s3Puts = 1;
      else if (operation === "GetObject" || operation === "HeadObject") usage.s3Gets = 1;
      return usage;
    default:
      return usage;
  }
}
