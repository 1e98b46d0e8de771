import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { usageOf } from "../../../local/sandbox-meter.js";

const NOTHING = { writeUnits: 0, readUnits: 0, sqsRequests: 0, s3Puts: 0, s3Gets: 0 };
const KB = 1024;

describe("usageOf: what one AWS call costs", () => {
  describe("DynamoDB", () => {
    it("takes a write's units from the capacity DynamoDB reports", () => {
      expect(
        usageOf(
          "DynamoDB",
          "PutItem",
          {},
          { ConsumedCapacity: { TableName: "t", CapacityUnits: 2 } },
          undefined,
        ),
      ).toEqual({ ...NOTHING, service: "DynamoDB", operation: "PutItem", writeUnits: 2 });
    });

    it("adds up the per-table capacities of a batch write", () => {
      const output = {
        ConsumedCapacity: [
          { TableName: "a", CapacityUnits: 10 },
          { TableName: "b", CapacityUnits: 1 },
        ],
      };
      expect(usageOf("DynamoDB", "BatchWriteItem", {}, output, undefined).writeUnits).toBe(11);
    });

    it("counts reads (GetItem, BatchGetItem, Query) as read units, half units included", () => {
      expect(
        usageOf("DynamoDB", "GetItem", {}, { ConsumedCapacity: { CapacityUnits: 0.5 } }, undefined),
      ).toEqual({ ...NOTHING, service: "DynamoDB", operation: "GetItem", readUnits: 0.5 });
      const batch = { ConsumedCapacity: [{ CapacityUnits: 1.5 }, { CapacityUnits: 0.5 }] };
      expect(usageOf("DynamoDB", "BatchGetItem", {}, batch, undefined).readUnits).toBe(2);
      expect(
        usageOf("DynamoDB", "Query", {}, { ConsumedCapacity: { CapacityUnits: 3 } }, undefined),
      ).toMatchObject({
        readUnits: 3,
        writeUnits: 0,
      });
    });

    it("charges a refused conditional write by the size of its item (DynamoDB Local reports nothing then)", () => {
      const refused = new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: {},
      });
      const small = { pk: { S: "evt_1" }, b: { B: new Uint8Array(500) } };
      const large = { pk: { S: "evt_2" }, b: { B: new Uint8Array(2 * KB + 1) } };
      expect(usageOf("DynamoDB", "PutItem", { Item: small }, undefined, refused)).toEqual({
        ...NOTHING,
        service: "DynamoDB",
        operation: "PutItem",
        writeUnits: 1,
      });
      expect(usageOf("DynamoDB", "PutItem", { Item: large }, undefined, refused).writeUnits).toBe(3);
      // An update names no item: the least a refused write costs.
      expect(
        usageOf("DynamoDB", "UpdateItem", { Key: { pk: { S: "x" } } }, undefined, refused).writeUnits,
      ).toBe(1);
    });

    it("charges nothing for a call that failed otherwise (throttled, unreachable)", () => {
      const error = Object.assign(new Error("connect ECONNREFUSED"), { name: "NetworkingError" });
      expect(usageOf("DynamoDB", "PutItem", { Item: { pk: { S: "x" } } }, undefined, error)).toMatchObject(
        NOTHING,
      );
    });
  });

  describe("SQS", () => {
    it("bills a send per 64 KB of body and message attributes", () => {
      expect(usageOf("SQS", "SendMessage", { MessageBody: "x".repeat(64 * KB) }, {}, undefined)).toEqual({
        ...NOTHING,
        service: "SQS",
        operation: "SendMessage",
        sqsRequests: 1,
      });
      const withAttribute = {
        MessageBody: "x".repeat(64 * KB - 10),
        MessageAttributes: { "webhooks.attempt": { DataType: "Number", StringValue: "2" } },
      };
      expect(usageOf("SQS", "SendMessage", withAttribute, {}, undefined).sqsRequests).toBe(2);
    });

    it("bills a batch send by the payload of all its entries together", () => {
      const entries = (n: number, bytes: number) =>
        Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: "x".repeat(bytes) }));
      expect(
        usageOf("SQS", "SendMessageBatch", { Entries: entries(10, 1500) }, {}, undefined).sqsRequests,
      ).toBe(1);
      expect(
        usageOf("SQS", "SendMessageBatch", { Entries: entries(10, 20 * KB) }, {}, undefined).sqsRequests,
      ).toBe(4);
    });

    it("bills a receive per 64 KB of the messages it returned", () => {
      const received = {
        Messages: [
          { MessageId: "1", Body: "x".repeat(100 * KB) },
          { MessageId: "2", Body: "y".repeat(1 * KB) },
        ],
      };
      expect(usageOf("SQS", "ReceiveMessage", { QueueUrl: "q" }, received, undefined)).toEqual({
        ...NOTHING,
        service: "SQS",
        operation: "ReceiveMessage",
        sqsRequests: 2,
      });
      expect(
        usageOf("SQS", "ReceiveMessage", { QueueUrl: "q" }, { Messages: [] }, undefined).sqsRequests,
      ).toBe(1);
    });

    it("bills any other call as one request", () => {
      expect(
        usageOf("SQS", "DeleteMessageBatch", { Entries: [{ Id: "0" }] }, {}, undefined).sqsRequests,
      ).toBe(1);
      expect(usageOf("SQS", "GetQueueAttributes", {}, {}, undefined).sqsRequests).toBe(1);
    });
  });

  describe("S3", () => {
    it("counts a PUT for PutObject and a GET for GetObject and HeadObject", () => {
      expect(usageOf("S3", "PutObject", { Bucket: "b", Key: "k" }, {}, undefined)).toEqual({
        ...NOTHING,
        service: "S3",
        operation: "PutObject",
        s3Puts: 1,
      });
      expect(usageOf("S3", "GetObject", {}, {}, undefined)).toMatchObject({ s3Gets: 1, s3Puts: 0 });
      expect(usageOf("S3", "HeadObject", {}, {}, undefined)).toMatchObject({ s3Gets: 1, s3Puts: 0 });
      expect(usageOf("S3", "DeleteObject", {}, {}, undefined)).toMatchObject(NOTHING);
    });
  });

  it("charges nothing it has no price for (Secrets Manager, …)", () => {
    expect(usageOf("Secrets Manager", "GetSecretValue", {}, {}, undefined)).toEqual({
      ...NOTHING,
      service: "Secrets Manager",
      operation: "GetSecretValue",
    });
  });
});
