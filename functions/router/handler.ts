import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createSqsClient } from "../../shared/adapters/aws-clients.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { ENV, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import { sqsPartialBatchResponse } from "../../shared/http/sqs-records.js";
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
});

/** Ingress queue → one copy per matching subscription queue; failed records go back to SQS. */
const routerHandler = async (event: SQSEvent): Promise<RouteReport> => {
  const report = await route(event.Records.map((r) => ({ messageId: r.messageId, body: r.body })));
  for (const bad of report.invalid) logger.error("ingress message is not a webhook CloudEvent", bad);
  metrics.addMetric("EventsFannedOut", MetricUnit.Count, report.fannedOut);
  metrics.addMetric("EventsUnmatched", MetricUnit.Count, report.unmatched);
  if (report.failedMessageIds.length > 0) {
    logger.warn("some records could not be routed and return to the queue", {
      messageIds: report.failedMessageIds,
    });
  }
  return report;
};

export const handler = middy<SQSEvent, RouteReport | SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(sqsPartialBatchResponse((report: RouteReport) => report.failedMessageIds))
  .handler(routerHandler);
