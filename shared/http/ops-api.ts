import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod";
import { ERROR_CODES, InvalidRequestError, WebhookError } from "../domain/errors.js";
import type { OpsUseCases } from "../use-cases/ops/ops-use-cases.js";
import { rawBodyOf } from "./api-gateway.js";
import { type AuthorizedOperator, type OperatorRules, operatorOf, requireAccess } from "./ops-auth.js";
import { opsOpenApiDocument } from "./ops-openapi.js";
import {
  OPS_DRY_RUN_ROUTE_KEYS,
  OPS_ROUTE_KEYS,
  OPS_ROUTES,
  type OpsAccess,
  type OpsRouteKey,
} from "./ops-routes.js";
import {
  closeBreakerBodySchema,
  discardBodySchema,
  eventIdSchema,
  listEventsQuerySchema,
  listStreamFailuresQuerySchema,
  opsJobSchema,
  redriveBodySchema,
  replayBodySchema,
  replayIdSchema,
  resendBodySchema,
  subscriptionIdSchema,
} from "./ops-schemas.js";
import { errorResponse, json } from "./responses.js";
import { routeTable } from "./routes.js";
import type { QueueRecord } from "./sqs-records.js";

/**
 * The ops API's edge: API Gateway v2 events → the operator (from the authorizer), the route, validated
 * input (zod; a 400 names the parameter or field) → one `OpsUseCases` call → JSON. Errors are
 * `{ code, detail }`. Every mutating call is logged with who made it. Also the ops jobs queue's
 * consumer: `{ "replayId" }` messages run the next slice of a replay.
 */

/** Where the edge logs; Powertools' Logger fits. */
export interface OpsLog {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface OpsApiDeps {
  readonly useCases: OpsUseCases;
  readonly rules: OperatorRules;
  /** How callers authenticate, for the OpenAPI document (the config's `ops.auth.type`). */
  readonly authKind: "bearer" | "iam";
  readonly log: OpsLog;
}

type Result = APIGatewayProxyStructuredResultV2;

/** What a route handler gets: the operator, the decoded `{id}` and the request. */
interface RouteInput {
  readonly operator: AuthorizedOperator;
  readonly id: string;
  readonly event: APIGatewayProxyEventV2;
  /** Stops with 403 unless the operator has `access` (the route's own access is checked before). */
  readonly require: (access: OpsAccess) => void;
}
/** A mutating route says what it did, for the log line naming who did it. */
type Outcome = { readonly status: number; readonly body: unknown; readonly audit?: Record<string, unknown> };
type RouteHandler = (input: RouteInput) => Promise<Outcome>;

const NO_STORE = { "cache-control": "no-store" } as const;

/** The first problem of a failed parse, as one line naming where it is: `query parameter 'limit': …`. */
function describeIssue(
  where: "query parameter" | "body field" | "path parameter",
  error: z.ZodError,
): string {
  const issue = error.issues[0];
  if (!issue) return `Invalid ${where}.`;
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const inside = path ? ` in ${where} '${path}'` : "";
    const noun = where === "query parameter" ? "query parameter" : "field";
    return `Unknown ${noun}${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}${inside}; remove ${issue.keys.length > 1 ? "them" : "it"} (the accepted ones are in GET /ops/api/openapi.json).`;
  }
  if (path === "") return `The ${where === "body field" ? "body" : where}: ${issue.message}.`;
  return `${where[0]?.toUpperCase()}${where.slice(1)} '${path}': ${issue.message}.`;
}

/** The `{id}` of a path, checked as a parameter named `id`. */
function pathId(schema: z.ZodType<string>, id: string): string {
  return parseWith(z.object({ id: schema }), { id }, "path parameter").id;
}

function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "query parameter" | "body field" | "path parameter",
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidRequestError(describeIssue(where, parsed.error));
  return parsed.data;
}

/** The JSON body; absent or empty is `{}`. */
function bodyOf(event: APIGatewayProxyEventV2): unknown {
  const text = rawBodyOf(event).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(
      "The body is not valid JSON; send a JSON object (Content-Type: application/json).",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidRequestError("The body must be a JSON object.");
  }
  return value;
}

function serverUrlOf(event: APIGatewayProxyEventV2): string | undefined {
  const host = event.headers?.host ?? event.requestContext?.domainName;
  if (!host) return undefined;
  return `${event.headers?.["x-forwarded-proto"] ?? "https"}://${host}`;
}

function handlersFor(deps: OpsApiDeps): Readonly<Record<OpsRouteKey, RouteHandler>> {
  const { useCases } = deps;
  const eventId = (id: string) => pathId(eventIdSchema, id);
  const subscriptionId = (id: string) => pathId(subscriptionIdSchema, id);
  return {
    "GET /ops/api/events": async ({ event }) => {
      const { limit, cursor, ...filter } = parseWith(
        listEventsQuerySchema,
        event.queryStringParameters ?? {},
        "query parameter",
      );
      return { status: 200, body: await useCases.listEvents(filter, { limit, cursor }) };
    },
    "GET /ops/api/events/{id}": async ({ id }) => ({
      status: 200,
      body: await useCases.getEvent(eventId(id)),
    }),
    "POST /ops/api/events/{id}/resend": async ({ id, event, operator }) => {
      const valid = eventId(id);
      const { subscriptions } = parseWith(resendBodySchema, bodyOf(event), "body field");
      const result = await useCases.resendEvent(valid, subscriptions, operator);
      return {
        status: 202,
        body: result,
        audit: { eventId: valid, resendId: result.resendId, subscriptions: result.subscriptions },
      };
    },
    "DELETE /ops/api/events/{id}/payload": async ({ id, operator }) => {
      const valid = eventId(id);
      const result = await useCases.erasePayload(valid, operator);
      return { status: 200, body: result, audit: { eventId: valid, erasedAt: result.erasedAt } };
    },
    "POST /ops/api/replays": async ({ event, operator, require }) => {
      const { filter, dryRun } = parseWith(replayBodySchema, bodyOf(event), "body field");
      if (dryRun === true) return { status: 200, body: await useCases.estimateReplay(filter) };
      require("write");
      const started = await useCases.startReplay(filter, operator);
      return { status: 202, body: started, audit: { replayId: started.id, filter } };
    },
    "GET /ops/api/replays/{id}": async ({ id }) => ({
      status: 200,
      body: await useCases.getReplay(pathId(replayIdSchema, id)),
    }),
    "GET /ops/api/subscriptions": async () => ({
      status: 200,
      body: { subscriptions: await useCases.listSubscriptions() },
    }),
    "POST /ops/api/subscriptions/{id}/pause": async ({ id, operator }) => {
      const valid = subscriptionId(id);
      const result = await useCases.pauseSubscription(valid, operator);
      return { status: 200, body: result, audit: { subscription: valid, state: result.state } };
    },
    "POST /ops/api/subscriptions/{id}/resume": async ({ id, operator }) => {
      const valid = subscriptionId(id);
      const result = await useCases.resumeSubscription(valid, operator);
      return { status: 200, body: result, audit: { subscription: valid, state: result.state } };
    },
    "POST /ops/api/breakers/close": async ({ event, operator }) => {
      const { url } = parseWith(closeBreakerBodySchema, bodyOf(event), "body field");
      const result = await useCases.closeBreaker(url, operator);
      return { status: 200, body: result, audit: { destination: result.destination } };
    },
    "GET /ops/api/stream-failures": async ({ event }) => {
      const { limit } = parseWith(
        listStreamFailuresQuerySchema,
        event.queryStringParameters ?? {},
        "query parameter",
      );
      return { status: 200, body: await useCases.listStreamFailures(limit === undefined ? {} : { limit }) };
    },
    "POST /ops/api/stream-failures/redrive": async ({ event, operator, require }) => {
      const { dryRun, since, until, cursor } = parseWith(redriveBodySchema, bodyOf(event), "body field");
      const request = {
        ...(dryRun === undefined ? {} : { dryRun }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(cursor === undefined ? {} : { cursor }),
      };
      if (dryRun === true)
        return { status: 200, body: await useCases.redriveStreamFailures(request, operator) };
      require("write");
      const report = await useCases.redriveStreamFailures(request, operator);
      return {
        status: 200,
        body: report,
        audit: {
          windowsFrom: report.windowsFrom,
          windows: report.windows,
          routed: report.routed,
          failures: report.failures.length,
          unroutable: report.unroutableCount,
          done: report.done,
          deletedMessages: report.messages.deleted,
        },
      };
    },
    "POST /ops/api/stream-failures/discard": async ({ event, operator, require }) => {
      const { dryRun, eventIds } = parseWith(discardBodySchema, bodyOf(event), "body field");
      const request = {
        ...(dryRun === undefined ? {} : { dryRun }),
        ...(eventIds === undefined ? {} : { eventIds }),
      };
      if (dryRun === true) return { status: 200, body: await useCases.discardSetAside(request, operator) };
      require("write");
      const report = await useCases.discardSetAside(request, operator);
      return {
        status: 200,
        body: report,
        // The log keeps what was discarded: the event ids and why the router set each aside (the first
        // 100 records: a log line stays well under CloudWatch's 256 KB).
        audit: {
          ...(eventIds === undefined ? {} : { eventIds }),
          discarded: report.discarded.length,
          records: report.discarded.slice(0, 100).map((r) => ({
            ...(r.eventId === undefined ? {} : { eventId: r.eventId }),
            sequenceNumber: r.sequenceNumber,
            reason: r.reason,
          })),
          notDeleted: report.notDeleted,
          leftBatches: report.left.batches,
          leftSetAside: report.left.setAside,
        },
      };
    },
    "GET /ops/api/openapi.json": async ({ event }) => {
      const serverUrl = serverUrlOf(event);
      return {
        status: 200,
        body: opsOpenApiDocument({ auth: deps.authKind, ...(serverUrl ? { serverUrl } : {}) }),
      };
    },
  };
}

const isOpsRouteKey = (key: string): key is OpsRouteKey => Object.hasOwn(OPS_ROUTES, key);

/** The API Gateway side of the ops function. */
export function createOpsApi(deps: OpsApiDeps): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const handlers = handlersFor(deps);
  const table = routeTable(OPS_ROUTE_KEYS);
  const { log, rules } = deps;

  /** The route API Gateway matched, or the one our table matches (the `/ops/api/{proxy+}` fallback). */
  const resolve = (event: APIGatewayProxyEventV2): { key: OpsRouteKey; id: string } | Result => {
    const method = event.requestContext.http.method;
    if (isOpsRouteKey(event.routeKey)) {
      return { key: event.routeKey, id: event.pathParameters?.id ?? "" };
    }
    const match = table.match(method, event.rawPath);
    if (match && isOpsRouteKey(match.routeKey)) {
      let id = "";
      try {
        id = decodeURIComponent(match.rawPathParameters.id ?? "");
      } catch {
        return errorResponse(
          new InvalidRequestError(`The path ${event.rawPath} has a malformed percent-escape.`),
        );
      }
      return { key: match.routeKey, id };
    }
    const allow = table.allowedMethods(event.rawPath);
    if (allow.length > 0) {
      return json(
        405,
        {
          code: ERROR_CODES.methodNotAllowed,
          detail: `${event.rawPath} does not answer ${method}; use ${allow.join(" or ")}.`,
        },
        { allow: allow.join(", "), ...NO_STORE },
      );
    }
    return json(
      404,
      {
        code: ERROR_CODES.routeNotFound,
        detail: `No ops route for ${method} ${event.rawPath.slice(0, 200)}; the routes are listed by GET /ops/api/openapi.json.`,
      },
      NO_STORE,
    );
  };

  return async (event) => {
    const operator = operatorOf(event, rules);
    if (operator instanceof WebhookError) {
      log.warn("ops request without an operator identity", { path: event.rawPath });
      return withNoStore(errorResponse(operator));
    }
    const route = resolve(event);
    if (!("key" in route)) {
      const refusal = requireAccess(operator, "read", "the ops API", rules);
      return refusal ? withNoStore(errorResponse(refusal)) : route;
    }
    const access = OPS_ROUTES[route.key];
    const require = (needed: OpsAccess) => {
      const refusal = requireAccess(operator, needed, route.key, rules);
      if (refusal) throw refusal;
    };
    // POST replays, the redrive and the discard decide after reading the body (a dry run only reads).
    const upfront: OpsAccess = OPS_DRY_RUN_ROUTE_KEYS.includes(route.key) ? "read" : access;
    try {
      require(upfront);
      const outcome = await handlers[route.key]({ operator, id: route.id, event, require });
      if (outcome.audit) {
        log.info("ops action", { action: route.key, by: operator.id, outcome: "done", ...outcome.audit });
      }
      return json(outcome.status, outcome.body, NO_STORE);
    } catch (error) {
      const mutating = access === "write";
      if (error instanceof WebhookError) {
        if (mutating) {
          log.info("ops action", {
            action: route.key,
            by: operator.id,
            outcome: error.code,
            detail: error.detail,
          });
        }
        return withNoStore(errorResponse(error));
      }
      log.error("ops request failed", { action: route.key, by: operator.id, error });
      return json(
        500,
        {
          code: ERROR_CODES.internal,
          detail: `The ops API failed on this request (request id ${event.requestContext.requestId}); the ops function's log has the cause. Check the current state before repeating a change.`,
        },
        NO_STORE,
      );
    }
  };
}

function withNoStore(result: Result): Result {
  return { ...result, headers: { ...result.headers, ...NO_STORE } };
}

export interface OpsJobsReport {
  /** Message ids to hand back to the queue (retried, then its DLQ). */
  readonly failedMessageIds: readonly string[];
}

/**
 * The ops jobs queue: each message `{ "replayId" }` runs the next slice of that replay. A typed refusal
 * (an unknown replay, a malformed message) is logged and dropped, as retrying cannot change it; any other
 * failure goes back to the queue (and after `maxReceiveCount` receives to its DLQ, which is alarmed).
 */
export function createOpsJobs(deps: Pick<OpsApiDeps, "useCases" | "log">) {
  return async (records: readonly QueueRecord[]): Promise<OpsJobsReport> => {
    const failedMessageIds: string[] = [];
    for (const record of records) {
      let replayId: string;
      try {
        replayId = parseOpsJob(record.body);
      } catch (error) {
        deps.log.error("ops job dropped: not a job message", {
          messageId: record.messageId,
          detail: (error as Error).message,
          body: record.body.slice(0, 500),
        });
        continue;
      }
      try {
        const status = await deps.useCases.continueReplay(replayId);
        if (status.state !== "running") {
          deps.log.info("replay finished", {
            replayId,
            state: status.state,
            sent: status.sent,
            total: status.total,
            failures: status.failures.length,
            by: status.by,
          });
        }
      } catch (error) {
        if (error instanceof WebhookError) {
          deps.log.error("ops job dropped: the replay cannot continue", {
            messageId: record.messageId,
            replayId,
            code: error.code,
            detail: error.detail,
          });
          continue;
        }
        deps.log.error("ops job failed; the queue hands it over again", {
          messageId: record.messageId,
          replayId,
          error,
        });
        failedMessageIds.push(record.messageId);
      }
    }
    return { failedMessageIds };
  };
}

/** The replay an ops jobs message names (`{ "replayId": "…" }`); anything else is `invalid_request`. */
export function parseOpsJob(body: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('The message body is not JSON; an ops job is { "replayId": "…" }.');
  }
  return parseWith(opsJobSchema, value, "body field").replayId;
}
