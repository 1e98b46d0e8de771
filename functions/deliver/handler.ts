import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
  createDynamoDbClient,
  createPayloadStore,
  createSqsClient,
} from "../../shared/adapters/aws-clients.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { fileClock } from "../../shared/adapters/file-clock.js";
import { NodeHttpSender } from "../../shared/adapters/node-http-sender.js";
import { deliveryMessageOf, SqsDeliveryQueue } from "../../shared/adapters/sqs-delivery-queue.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { ENV, optionalEnv, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import { publishMetricsIfAny } from "../../shared/http/publish-metrics.js";
import { queueRecordOf, sqsPartialBatchResponse } from "../../shared/http/sqs-records.js";
import { systemClock } from "../../shared/ports/clock.js";
import { ATTEMPT_LOG_TTL_SECONDS, DELIVERY_STATS_TTL_SECONDS } from "../../shared/topology/durations.js";
import { queueNames, subscriptionIdFromQueueName } from "../../shared/topology/names.js";
import { createDeliverEvents } from "../../shared/use-cases/deliver/deliver-batch.js";
import {
  DEFAULT_PAUSED_RECHECK_SECONDS,
  type HttpSubscription,
  statePortsOf,
} from "../../shared/use-cases/deliver/deps.js";
import type { DeliveryResult } from "../../shared/use-cases/deliver/results.js";
import { reportDeliveryResults } from "./report.js";

const logger = new Logger();
const metrics = new Metrics();
const prefix = requireEnv(ENV.resourcePrefix);
const queueUrlPrefix = requireEnv(ENV.queueUrlPrefix);
const httpSubscriptions = new Map(
  loadConfigFile(requireEnv(ENV.config))
    .subscriptions.filter((s): s is HttpSubscription => s.target.type === "http")
    .map((s) => [s.id, s]),
);

// A driven clock exists only in local tests (see shared/adapters/file-clock.ts); in AWS it is unset.
const clockFile = optionalEnv(ENV.clockFile);
const clock = clockFile ? fileClock(clockFile) : systemClock;
const table = new DynamoDbDeliveryStore(createDynamoDbClient(), requireEnv(ENV.deliveryTable));

const deliver = createDeliverEvents(
  {
    subscriptionFor: (queueName) => {
      const id = subscriptionIdFromQueueName(prefix, queueName);
      return id === undefined ? undefined : httpSubscriptions.get(id);
    },
    http: new NodeHttpSender(clock),
    queue: new SqsDeliveryQueue({
      queue: new SqsMessageQueue(createSqsClient()),
      queueUrlFor: (queueName) => `${queueUrlPrefix}${queueName}`,
      dlqNameFor: queueNames.dlq,
      clock,
      // On a driven clock (local tests) messages come back at once and their due time decides.
      ...(clockFile ? { maxHopSeconds: 0 } : {}),
    }),
    ...statePortsOf(table),
    secrets: new CachingSecretResolver(),
    payloads: createPayloadStore(),
    clock,
    random: Math.random,
  },
  {
    userAgent: "webhooks-platform/0.1",
    attemptLogTtlSeconds: ATTEMPT_LOG_TTL_SECONDS,
    statsTtlSeconds: DELIVERY_STATS_TTL_SECONDS,
    pausedRecheckSeconds: Number(optionalEnv(ENV.pausedRecheckSeconds) ?? DEFAULT_PAUSED_RECHECK_SECONDS),
  },
  (error, eventIds) =>
    logger.error("could not record the batch's successes; the messages are acknowledged anyway", {
      error,
      eventIds,
    }),
);

/** Subscription queue → one signed POST per record; retries and dead letters are new messages. */
const deliverHandler = (event: SQSEvent): Promise<readonly DeliveryResult[]> =>
  deliver(event.Records.map((record) => deliveryMessageOf(queueRecordOf(record))));

// The handler returns the results; `after` hooks run last-used first: the results are logged and
// counted, then become the partial batch response, then metrics are flushed and the logger's keys reset.
export const handler = middy<SQSEvent, readonly DeliveryResult[] | SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetricsIfAny(metrics))
  .use(
    sqsPartialBatchResponse((results: readonly DeliveryResult[]) =>
      results.filter((r) => r.result === "failed").map((r) => r.messageId),
    ),
  )
  .use(reportDeliveryResults(logger, metrics))
  .handler(deliverHandler);
