import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createDynamoDbClient, createSqsClient } from "../../shared/adapters/aws-clients.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbDedupeStore } from "../../shared/adapters/dynamodb-dedupe-store.js";
import { createGuardedGet } from "../../shared/adapters/guarded-get.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { ENV, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import {
  SignatureVerificationError,
  VerificationUnavailableError,
  WebhookError,
} from "../../shared/domain/errors.js";
import { headersOf, pathParameter, publicUrlOf, rawBodyOf } from "../../shared/http/api-gateway.js";
import { errorResponse, json } from "../../shared/http/responses.js";
import { DEFAULT_ROUTE_KEY, unmatchedRouteError } from "../../shared/http/routes.js";
import { systemClock } from "../../shared/ports/clock.js";
import { DEDUPE_LEASE_SECONDS } from "../../shared/topology/durations.js";
import { INGEST_ROUTE_KEYS } from "../../shared/topology/topology.js";
import { createIngestWebhook } from "../../shared/use-cases/ingest-webhook.js";
import { createVerifierFor } from "../../shared/verify/registry.js";
import { createJwksKeys } from "../../shared/verify/schemes/jwks.js";

const logger = new Logger();
const metrics = new Metrics();

const ingest = createIngestWebhook({
  config: loadConfigFile(requireEnv(ENV.config)),
  // Remote key sets are fetched through the same SSRF guard as deliveries (policy from the environment).
  verifierFor: createVerifierFor({ jwks: createJwksKeys({ fetch: createGuardedGet() }) }),
  secrets: new CachingSecretResolver(),
  dedupe: new DynamoDbDedupeStore(createDynamoDbClient(), requireEnv(ENV.dedupeTable)),
  queue: new SqsMessageQueue(createSqsClient()),
  ingressQueueUrl: requireEnv(ENV.ingressQueueUrl),
  clock: systemClock,
  leaseSeconds: DEDUPE_LEASE_SECONDS,
  onWarning: (message, error) => logger.warn(message, { error }),
});

/**
 * POST /webhooks/{sourceId}: verify, dedupe, enqueue, answer 202 `{ id }`. Requests no other route
 * matched arrive through `$default` and get 405 or 404 as `{ code, detail }`.
 */
const ingestHandler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  if (event.routeKey === DEFAULT_ROUTE_KEY) {
    const method = event.requestContext.http.method;
    const error = unmatchedRouteError(INGEST_ROUTE_KEYS, method, event.rawPath);
    logger.info("no route matched", { code: error.code, method, path: event.rawPath });
    metrics.addMetric("RouteNotMatched", MetricUnit.Count, 1);
    return errorResponse(error);
  }
  try {
    const result = await ingest({
      sourceId: pathParameter(event, "sourceId"),
      headers: headersOf(event),
      rawBody: rawBodyOf(event),
      url: publicUrlOf(event),
      method: event.requestContext.http.method,
    });
    if (result.reply) {
      logger.info("verification handshake answered", {
        sourceId: result.sourceId,
        provider: result.provider,
      });
      return {
        statusCode: result.reply.statusCode,
        headers: { "content-type": result.reply.contentType },
        body: result.reply.body,
      };
    }
    logger.appendKeys({ eventId: result.id, sourceId: result.sourceId });
    logger.info(result.duplicate ? "duplicate webhook acknowledged" : "webhook accepted", {
      provider: result.provider,
      deliveryId: result.deliveryId,
      eventType: result.eventType,
      secretIndex: result.secretIndex,
    });
    metrics.addDimension("source", result.sourceId);
    metrics.addMetric(result.duplicate ? "WebhookDuplicate" : "WebhookAccepted", MetricUnit.Count, 1);
    metrics.addMetric(`SecretMatched${result.secretIndex}`, MetricUnit.Count, 1);
    return json(202, { id: result.id, ...(result.duplicate ? { duplicate: true } : {}) });
  } catch (error) {
    if (error instanceof VerificationUnavailableError) {
      logger.error("verification keys unavailable", { detail: error.logDetail, error: error.cause });
    } else if (error instanceof SignatureVerificationError) {
      logger.warn("signature rejected", {
        reason: error.reason,
        detail: error.logDetail,
        path: event.rawPath,
      });
    } else if (error instanceof WebhookError) {
      logger.warn("webhook rejected", { code: error.code, detail: error.detail, path: event.rawPath });
    } else {
      logger.error("ingest failed", { error });
    }
    metrics.addMetric("WebhookRejected", MetricUnit.Count, 1);
    return errorResponse(error);
  }
};

export const handler = middy(ingestHandler)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
