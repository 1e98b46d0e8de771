import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { createDynamoDbClient, createSqsClient } from "../../shared/adapters/aws-clients.js";
import { DynamoDbEventIndex } from "../../shared/adapters/dynamodb-event-index.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { ENV, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import { publishMetricsIfAny } from "../../shared/http/publish-metrics.js";
import { partialBatchResponse } from "../../shared/http/sqs-records.js";
import { acceptedRecordsOf } from "../../shared/http/stream-records.js";
import { queueNames } from "../../shared/topology/names.js";
import { createRouteEvents, type RouteReport } from "../../shared/use-cases/route-events.js";

const logger = new Logger();
const metrics = new Metrics();
const prefix = requireEnv(ENV.resourcePrefix);
const queueUrlPrefix = requireEnv(ENV.queueUrlPrefix);

const route = createRouteEvents({
  subscriptions: loadConfigFile(requireEnv(ENV.config)).subscriptions,
  queue: new SqsMessageQueue(createSqsClient()),
  queueUrlFor: (subscriptionId) => `${queueUrlPrefix}${queueNames.subscription(prefix, subscriptionId)}`,
  index: new DynamoDbEventIndex(createDynamoDbClient(), requireEnv(ENV.deliveryTable)),
  failuresQueueUrl: `${queueUrlPrefix}${queueNames.streamFailures(prefix)}`,
});

/**
 * The event table's stream → one copy of each new event per matching subscription queue, and the batch
 * in the event index. One embedded-metric line per batch counts what happened; records whose copies
 * failed go back to the stream (partial batch response).
 */
const routerHandler = async (event: DynamoDBStreamEvent): Promise<RouteReport> => {
  const report = await route(acceptedRecordsOf(event));
  for (const bad of report.invalid) logger.error("stream record set aside: it cannot be routed", bad);
  for (const [source, count] of Object.entries(report.acceptedBySource)) {
    const single = metrics.singleMetric();
    single.addDimension("source", source);
    single.addMetric("WebhookAccepted", MetricUnit.Count, count);
  }
  metrics.addMetric("EventsFannedOut", MetricUnit.Count, report.fannedOut);
  if (report.unmatched > 0) metrics.addMetric("EventsUnmatched", MetricUnit.Count, report.unmatched);
  if (report.failedSequenceNumbers.length > 0) {
    logger.warn("some events could not be enqueued; the stream hands them over again", {
      sequenceNumbers: report.failedSequenceNumbers,
    });
  }
  return report;
};

export const handler = middy<DynamoDBStreamEvent, RouteReport | DynamoDBBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(publishMetricsIfAny(metrics))
  .use(partialBatchResponse((report: RouteReport) => report.failedSequenceNumbers))
  .handler(routerHandler);
