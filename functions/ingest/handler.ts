import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createDynamoDbClient, createPayloadStore } from "../../shared/adapters/aws-clients.js";
import { CachingSecretResolver } from "../../shared/adapters/caching-secret-resolver.js";
import { DynamoDbEventStore } from "../../shared/adapters/dynamodb-event-store.js";
import { createGuardedGet } from "../../shared/adapters/guarded-get.js";
import { ENV, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import {
  InvalidRequestError,
  SignatureVerificationError,
  VerificationUnavailableError,
  WebhookError,
} from "../../shared/domain/errors.js";
import { headersOf, pathParameter, publicUrlOf, rawBodyOf } from "../../shared/http/api-gateway.js";
import { publishMetricsIfAny } from "../../shared/http/publish-metrics.js";
import { errorResponse, json } from "../../shared/http/responses.js";
import { routeTable, unmatchedRouteError } from "../../shared/http/routes.js";
import { systemClock } from "../../shared/ports/clock.js";
import { INGEST_ROUTE_KEYS, WEBHOOK_ROUTE_KEY } from "../../shared/topology/topology.js";
import { createIngestWebhook } from "../../shared/use-cases/ingest-webhook.js";
import { createVerifierFor } from "../../shared/verify/registry.js";
import { createJwksKeys } from "../../shared/verify/schemes/jwks.js";

/** A value made on first use, then kept (for clients only some invocations need). */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

const logger = new Logger();
const metrics = new Metrics();
const routes = routeTable(INGEST_ROUTE_KEYS);

const ingest = createIngestWebhook({
  config: loadConfigFile(requireEnv(ENV.config)),
  // Remote key sets are fetched through the same SSRF guard as deliveries (policy from the environment).
  verifierFor: createVerifierFor({ jwks: createJwksKeys({ fetch: createGuardedGet() }) }),
  secrets: new CachingSecretResolver(),
  events: new DynamoDbEventStore(
    createDynamoDbClient(),
    requireEnv(ENV.eventTable),
    once(createPayloadStore),
  ),
  clock: systemClock,
});

/**
 * The source a request is posted to. API Gateway matched `POST /webhooks/{sourceId}` itself; a Function
 * URL (and API Gateway's `$default` route) hands over every request, so the same route table decides.
 */
function sourceIdOf(event: APIGatewayProxyEventV2): string | WebhookError {
  if (event.routeKey === WEBHOOK_ROUTE_KEY) return pathParameter(event, "sourceId");
  const method = event.requestContext.http.method;
  const match = routes.match(method, event.rawPath);
  if (match?.routeKey !== WEBHOOK_ROUTE_KEY)
    return unmatchedRouteError(INGEST_ROUTE_KEYS, method, event.rawPath);
  try {
    return decodeURIComponent(match.rawPathParameters.sourceId ?? "");
  } catch {
    return new InvalidRequestError(`The request path "${event.rawPath}" has a malformed percent-escape.`);
  }
}

/**
 * POST /webhooks/{sourceId}: verify, accept (one conditional write), answer 202 `{ id }`. Anything
 * else gets 405 or 404 as `{ code, detail }`. An accepted webhook writes no log line at INFO: the event
 * archive records it, and the router counts acceptances per batch. Duplicates, handshakes and
 * rejections write one line each.
 */
const ingestHandler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const sourceId = sourceIdOf(event);
  if (sourceId instanceof WebhookError) {
    const method = event.requestContext.http.method;
    logger.info("no route matched", { code: sourceId.code, method, path: event.rawPath });
    metrics.addMetric("RouteNotMatched", MetricUnit.Count, 1);
    return errorResponse(sourceId);
  }
  try {
    const result = await ingest({
      sourceId,
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
    const fields = {
      eventId: result.id,
      sourceId: result.sourceId,
      provider: result.provider,
      deliveryId: result.deliveryId,
      eventType: result.eventType,
      secretIndex: result.secretIndex,
    };
    if (result.duplicate) {
      logger.info("duplicate webhook acknowledged", fields);
      metrics.addDimension("source", result.sourceId);
      metrics.addMetric("WebhookDuplicate", MetricUnit.Count, 1);
    } else {
      logger.debug("webhook accepted", fields);
    }
    // Rotation telemetry: a match on any secret but the first (put the new one first, watch the old).
    if (result.secretIndex > 0) metrics.addMetric(`SecretMatched${result.secretIndex}`, MetricUnit.Count, 1);
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
  .use(publishMetricsIfAny(metrics));
