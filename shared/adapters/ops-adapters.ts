import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Clock } from "../ports/clock.js";
import type { PayloadStore } from "../ports/event-store.js";
import { queueNames } from "../topology/names.js";
import { DynamoDbDeliveryRecords } from "./dynamodb-delivery-records.js";
import { DynamoDbDeliveryStore } from "./dynamodb-delivery-store.js";
import { DynamoDbEventIndex } from "./dynamodb-event-index.js";
import { DynamoDbEventIndexReader } from "./dynamodb-event-index-reader.js";
import { DynamoDbEventStore } from "./dynamodb-event-store.js";
import { DynamoDbReplayStore } from "./dynamodb-replay-store.js";
import { DynamoDbStoredEventScanner } from "./dynamodb-stored-event-scanner.js";
import { SqsMessageQueue } from "./sqs-message-queue.js";
import { SqsStreamFailureQueue } from "./sqs-stream-failure-queue.js";
import { type QueueLocator, SqsSubscriptionQueues } from "./sqs-subscription-queues.js";

export interface OpsAdapterOptions {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** The event table and the delivery-state table. */
  readonly tables: { readonly events: string; readonly delivery: string };
  /** The stack's resource prefix (queue names derive from it). */
  readonly prefix: string;
  /** How queue URLs are found: `queueUrlsByPrefix` in a function, `queueUrlsByLookup` from outside. */
  readonly locate: QueueLocator;
  /** The payload bucket (bodies too large for their event item). */
  readonly payloads: () => PayloadStore;
  readonly clock: Clock;
}

/**
 * Every adapter the ops use cases need, on the stack's tables and queues (the ops API's handler and the
 * CLI wire the same set; add the jobs queue and queue metrics where there are some). The replay store is
 * generic over the record the use cases keep.
 */
export function opsAdapters<R>(options: OpsAdapterOptions) {
  const { dynamodb, tables } = options;
  const delivery = new DynamoDbDeliveryStore(dynamodb, tables.delivery);
  const records = new DynamoDbDeliveryRecords(dynamodb, tables.delivery);
  const queues = new SqsSubscriptionQueues(options.sqs, options.prefix, options.locate);
  const payloads = {
    get: (ref: string) => options.payloads().get(ref),
  };
  const streamFailuresUrl = () => options.locate(queueNames.streamFailures(options.prefix));
  return {
    events: new DynamoDbEventStore(dynamodb, tables.events, options.payloads),
    payloads,
    index: new DynamoDbEventIndexReader(dynamodb, tables.delivery, options.clock),
    attempts: delivery,
    outcomes: records,
    stats: records,
    subscriptionStates: delivery,
    breakers: delivery,
    queues,
    deadLetters: queues,
    replays: new DynamoDbReplayStore<R>(dynamodb, tables.delivery),
    // A redrive of what the router never fanned out: the event table scanned, the failures queue read,
    // and the router's own ports (its index writer, its queue sender).
    storedEvents: new DynamoDbStoredEventScanner(dynamodb, tables.events),
    streamFailures: new SqsStreamFailureQueue(options.sqs, streamFailuresUrl),
    routing: {
      queue: new SqsMessageQueue(options.sqs),
      index: new DynamoDbEventIndex(dynamodb, tables.delivery),
      queueUrl: (subscriptionId: string) =>
        options.locate(queueNames.subscription(options.prefix, subscriptionId)),
      failuresQueueUrl: streamFailuresUrl,
    },
    clock: options.clock,
  };
}
