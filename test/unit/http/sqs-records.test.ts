import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { queueNameOf, queueRecordOf, sqsPartialBatchResponse } from "../../../shared/http/sqs-records.js";

const sqsRecord = (overrides: Partial<SQSRecord> = {}): SQSRecord => ({
  messageId: "m1",
  receiptHandle: "r1",
  body: '{"id":"evt_1"}',
  attributes: {
    ApproximateReceiveCount: "1",
    SentTimestamp: "0",
    SenderId: "x",
    ApproximateFirstReceiveTimestamp: "0",
  },
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:webhooks-prod-sub-billing",
  awsRegion: "eu-west-1",
  ...overrides,
});

describe("SQS records", () => {
  it("names the queue a record came from by the last part of its ARN", () => {
    expect(queueNameOf("arn:aws:sqs:eu-west-1:123456789012:webhooks-prod-sub-billing")).toBe(
      "webhooks-prod-sub-billing",
    );
  });

  it("keeps the id, the body and the string message attributes", () => {
    const record = sqsRecord({
      messageAttributes: {
        "webhooks.attempt": { dataType: "String", stringValue: "2" },
        blob: { dataType: "Binary", binaryValue: "AAE=" },
      },
    });
    expect(queueRecordOf(record)).toEqual({
      messageId: "m1",
      body: '{"id":"evt_1"}',
      queueName: "webhooks-prod-sub-billing",
      attributes: { "webhooks.attempt": "2", blob: undefined },
    });
  });

  it("turns the handler's report into a partial batch response naming the failed records", async () => {
    const middleware = sqsPartialBatchResponse((report: { failed: string[] }) => report.failed);
    const request = {
      event: { Records: [] } as SQSEvent,
      context: {} as never,
      response: { failed: ["m2", "m5"] } as { failed: string[] } | SQSBatchResponse,
      error: undefined,
      internal: {},
    };
    await middleware.after?.(request);
    expect(request.response).toEqual({
      batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m5" }],
    });
  });
});
