import type { MiddlewareObj } from "@middy/core";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/** An SQS record as the use cases read it: id, body, the queue it came from, its string attributes. */
export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  /** Name of the source queue (the last part of `eventSourceARN`). */
  readonly queueName: string;
  /** String message attributes (binary ones have no string value: undefined). */
  readonly attributes: Readonly<Record<string, string | undefined>>;
}

/** `arn:aws:sqs:region:account:name` → `name`. */
export const queueNameOf = (arn: string): string => arn.slice(arn.lastIndexOf(":") + 1);

export function queueRecordOf(record: SQSRecord): QueueRecord {
  return {
    messageId: record.messageId,
    body: record.body,
    queueName: queueNameOf(record.eventSourceARN),
    attributes: Object.fromEntries(
      Object.entries(record.messageAttributes ?? {}).map(([name, value]) => [name, value.stringValue]),
    ),
  };
}

/**
 * Turns what the handler returned into a partial batch response (SQS and DynamoDB stream mappings read
 * the same shape): the items `failedIds` names (message ids, or stream sequence numbers) go back, every
 * other one is done. The handler returns its use case's own report (`R`) and the middleware's `after`
 * replaces it with `{ batchItemFailures }`, so other middlewares used after this one still see the report.
 *
 * Not Powertools' batch utility: it runs a handler per record, and our use cases work on the whole batch
 * at once (one read of each subscription's state and each breaker per batch; the router sends one
 * SendMessageBatch per subscription queue and writes one index item per batch). Measured, it would also
 * add about 8.5 kB (8%) to the minified deliver bundle. Middy's `sqs-partial-batch-failure` is not
 * published for middy 7.
 */
export function partialBatchResponse<E, R>(
  failedIds: (report: R) => readonly string[],
): MiddlewareObj<E, R | SQSBatchResponse> {
  return {
    name: "partialBatchResponse",
    after: (request) => {
      const failed = failedIds(request.response as R);
      request.response = { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
    },
  };
}

export const sqsPartialBatchResponse = <R>(failedMessageIds: (report: R) => readonly string[]) =>
  partialBatchResponse<SQSEvent, R>(failedMessageIds);
