import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createDynamoDbClient, createSqsClient } from "../../shared/adapters/aws-clients.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { FetchHttpSender } from "../../shared/adapters/fetch-http-sender.js";
import { fileClock } from "../../shared/adapters/file-clock.js";
import { CachingSecretResolver } from "../../shared/adapters/secret-resolver.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { SqsRedelivery } from "../../shared/adapters/sqs-redelivery.js";
import { ENV, optionalEnv, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import type { HttpTarget, SubscriptionConfig } from "../../shared/config/schema.js";
import { systemClock } from "../../shared/ports/clock.js";
import {
  ATTEMPT_LOG_TTL_SECONDS,
  DELIVERED_TTL_SECONDS,
  DELIVERY_LEASE_SECONDS,
} from "../../shared/topology/durations.js";
import { queueNames, subscriptionIdFromQueueName } from "../../shared/topology/names.js";
import {
  createDeliverEvents,
  DEFAULT_PAUSED_RECHECK_SECONDS,
} from "../../shared/use-cases/deliver-events.js";

const logger = new Logger();
const metrics = new Metrics();
const prefix = requireEnv(ENV.resourcePrefix);
const queueUrlPrefix = requireEnv(ENV.queueUrlPrefix);
const httpSubscriptions = new Map(
  loadConfigFile(requireEnv(ENV.config))
    .subscriptions.filter((s): s is SubscriptionConfig & { target: HttpTarget } => s.target.type === "http")
    .map((s) => [s.id, s]),
);

// A driven clock exists only in local tests (see shared/adapters/file-clock.ts); in AWS it is unset.
const clockFile = optionalEnv(ENV.clockFile);
const clock = clockFile ? fileClock(clockFile) : systemClock;
const sqsQueue = new SqsMessageQueue(createSqsClient());
const queueUrlFor = (queueName: string) => `${queueUrlPrefix}${queueName}`;

const deliver = createDeliverEvents({
  subscriptionFor: (queueName) => {
    const id = subscriptionIdFromQueueName(prefix, queueName);
    return id === undefined ? undefined : httpSubscriptions.get(id);
  },
  queueUrlFor,
  dlqNameFor: queueNames.dlq,
  http: new FetchHttpSender(clock),
  queue: sqsQueue,
  // On a driven clock (local tests) messages come back at once and their due time decides.
  redelivery: new SqsRedelivery(sqsQueue, queueUrlFor, clock, clockFile ? 0 : undefined),
  store: new DynamoDbDeliveryStore(createDynamoDbClient(), requireEnv(ENV.deliveryTable)),
  secrets: new CachingSecretResolver(),
  clock,
  random: Math.random,
  userAgent: "webhooks-platform/0.1",
  leaseSeconds: DELIVERY_LEASE_SECONDS,
  deliveredTtlSeconds: DELIVERED_TTL_SECONDS,
  attemptLogTtlSeconds: ATTEMPT_LOG_TTL_SECONDS,
  pausedRecheckSeconds: Number(optionalEnv(ENV.pausedRecheckSeconds) ?? DEFAULT_PAUSED_RECHECK_SECONDS),
});

/** `arn:aws:sqs:region:account:name` → `name`. */
const queueNameOf = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);

/** Subscription queue → one signed POST per record; retries and dead letters are new messages. */
const deliverHandler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const results = await deliver(
    event.Records.map((r) => ({
      messageId: r.messageId,
      body: r.body,
      queueName: queueNameOf(r.eventSourceARN),
      attributes: Object.fromEntries(
        Object.entries(r.messageAttributes ?? {}).map(([k, v]) => [k, v.stringValue]),
      ),
    })),
  );
  metrics.addMetric("DeliveryRecords", MetricUnit.Count, results.length);
  const failures: { itemIdentifier: string }[] = [];
  for (const r of results) {
    const keys = { eventId: r.eventId, messageId: r.messageId };
    switch (r.result) {
      case "delivered":
        logger.info("delivered", { ...keys, attempt: r.attempt, outcome: r.outcome });
        metrics.addMetric("Delivered", MetricUnit.Count, 1);
        break;
      case "retry-scheduled":
        logger.warn("attempt failed; retry scheduled", {
          ...keys,
          attempt: r.attempt,
          delaySeconds: r.delaySeconds,
          outcome: r.outcome,
        });
        metrics.addMetric("DeliveryRetried", MetricUnit.Count, 1);
        break;
      case "dead-lettered":
        logger.error("dead-lettered", { ...keys, attempt: r.attempt, reason: r.reason, detail: r.detail });
        metrics.addMetric("DeliveryDeadLettered", MetricUnit.Count, 1);
        break;
      case "parked":
        logger.info("parked", { ...keys, attempt: r.attempt, why: r.why });
        break;
      case "already-delivered":
        logger.info("already delivered; redelivered copy acknowledged without a POST", keys);
        metrics.addMetric("DeliverySkippedDuplicate", MetricUnit.Count, 1);
        break;
      case "failed":
        logger.error("delivery step failed; record returns to the queue", { ...keys, error: r.error });
        failures.push({ itemIdentifier: r.messageId });
        break;
    }
  }
  return { batchItemFailures: failures };
};

export const handler = middy(deliverHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
