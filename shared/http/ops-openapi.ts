import * as z from "zod";
import { WEBHOOK_ROUTE_KEY } from "../topology/topology.js";
import { OPS_ROUTES, type OpsRouteKey } from "./ops-routes.js";
import {
  breakerViewSchema,
  closeBreakerBodySchema,
  discardBodySchema,
  discardReportSchema,
  erasedSchema,
  errorSchema,
  eventDetailSchema,
  eventIdSchema,
  eventPageSchema,
  gatewayErrorSchema,
  ingestAcceptedSchema,
  listEventsQuerySchema,
  listStreamFailuresQuerySchema,
  opsComponents,
  redriveBodySchema,
  redriveReportSchema,
  replayBodySchema,
  replayEstimateSchema,
  replayIdSchema,
  replayStartedSchema,
  replayStatusSchema,
  resendBodySchema,
  resendResultSchema,
  streamFailureListSchema,
  subscriptionHealthSchema,
  subscriptionIdSchema,
  subscriptionListSchema,
} from "./ops-schemas.js";

/**
 * The OpenAPI 3.1 document of the ops API and the ingest endpoint, generated from the zod schemas the
 * handler validates requests with (`ops-schemas.ts`) and from the route list the topology deploys
 * (`ops-routes.ts`): `operations` is typed over every ops route key, so a route cannot go undocumented.
 */

type JsonSchema = Record<string, unknown>;
type Json = Record<string, unknown>;

interface OperationDoc {
  readonly operationId: string;
  readonly tag: "events" | "replays" | "subscriptions" | "breakers" | "stream-failures" | "meta";
  readonly summary: string;
  readonly description?: string;
  /** The `{id}` path parameter's schema, when the path has one. */
  readonly id?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly required: boolean };
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  /** Error statuses besides 400 (any input), 401, 403 and 500, which every operation can answer. */
  readonly errors?: readonly number[];
}

const operations: Readonly<Record<OpsRouteKey, OperationDoc>> = {
  "GET /ops/api/events": {
    operationId: "listEvents",
    tag: "events",
    summary: "List events, newest first",
    description: "Filters combine (all must match). Page with `limit` and the previous page's `nextCursor`.",
    query: listEventsQuerySchema,
    responses: { 200: { description: "A page of events.", schema: eventPageSchema } },
  },
  "GET /ops/api/events/{id}": {
    operationId: "getEvent",
    tag: "events",
    summary: "One event: payload, kept headers, metadata and every attempt per subscription",
    id: eventIdSchema,
    responses: { 200: { description: "The event.", schema: eventDetailSchema } },
    errors: [404],
  },
  "POST /ops/api/events/{id}/resend": {
    operationId: "resendEvent",
    tag: "events",
    summary: "Deliver the event again (same event id and webhook-id), to all or some subscriptions",
    id: eventIdSchema,
    body: { schema: resendBodySchema, required: false },
    responses: { 202: { description: "The deliveries are queued.", schema: resendResultSchema } },
    errors: [404, 409],
  },
  "DELETE /ops/api/events/{id}/payload": {
    operationId: "erasePayload",
    tag: "events",
    summary: "Erase the stored payload, keep a tombstone",
    id: eventIdSchema,
    responses: { 200: { description: "The payload is erased.", schema: erasedSchema } },
    errors: [404],
  },
  "POST /ops/api/replays": {
    operationId: "replay",
    tag: "replays",
    summary: "Estimate (dryRun) or start a replay of the events a filter matches",
    description:
      "With `dryRun: true`: how many events per subscription would be sent, and the first ids (a read-only " +
      "operator may do this). Without it the replay starts in the background (dead letters are taken out " +
      "of their DLQs; nothing is sent twice); follow it with GET replays/{id}.",
    body: { schema: replayBodySchema, required: true },
    responses: {
      200: { description: "The estimate (dryRun).", schema: replayEstimateSchema },
      202: { description: "The replay started.", schema: replayStartedSchema },
    },
    errors: [409],
  },
  "GET /ops/api/replays/{id}": {
    operationId: "getReplay",
    tag: "replays",
    summary: "A replay's progress and failures",
    id: replayIdSchema,
    responses: { 200: { description: "The replay.", schema: replayStatusSchema } },
    errors: [404],
  },
  "GET /ops/api/subscriptions": {
    operationId: "listSubscriptions",
    tag: "subscriptions",
    summary: "Every subscription's state, backlog, DLQ depth, last hour's deliveries and breaker",
    responses: { 200: { description: "The subscriptions.", schema: subscriptionListSchema } },
  },
  "POST /ops/api/subscriptions/{id}/pause": {
    operationId: "pauseSubscription",
    tag: "subscriptions",
    summary: "Hold deliveries (messages wait in the queue; nothing is dropped)",
    id: subscriptionIdSchema,
    responses: { 200: { description: "The subscription, paused.", schema: subscriptionHealthSchema } },
    errors: [404, 409],
  },
  "POST /ops/api/subscriptions/{id}/resume": {
    operationId: "resumeSubscription",
    tag: "subscriptions",
    summary: "Deliver again (also re-enables a subscription its receiver disabled)",
    id: subscriptionIdSchema,
    responses: { 200: { description: "The subscription, active.", schema: subscriptionHealthSchema } },
    errors: [404, 409],
  },
  "POST /ops/api/breakers/close": {
    operationId: "closeBreaker",
    tag: "breakers",
    summary: "Close a destination's circuit breaker now (the receiver is back)",
    body: { schema: closeBreakerBodySchema, required: true },
    responses: { 200: { description: "The breaker, closed.", schema: breakerViewSchema } },
  },
  "GET /ops/api/stream-failures": {
    operationId: "listStreamFailures",
    tag: "stream-failures",
    summary: "The stream failures queue, decoded (what the router never fanned out, and why)",
    description:
      "Batches the router's stream mapping gave up on (shard, sequence range, arrival times, and the window " +
      "a redrive scans for their events) and records the router set aside (event id and why). Listing " +
      "takes nothing away.",
    query: listStreamFailuresQuerySchema,
    responses: { 200: { description: "The messages.", schema: streamFailureListSchema } },
  },
  "POST /ops/api/stream-failures/redrive": {
    operationId: "redriveStreamFailures",
    tag: "stream-failures",
    summary: "Route again the stored events of the failures' windows that the event index does not list",
    description:
      "Scans the event table for the events received in the windows of the queue's batches (or in " +
      "`since`/`until`), leaves alone those the event index lists, and routes the others as the router " +
      "does (index item, a copy per subscription). With `dryRun: true` only counts (a read-only operator " +
      "may do this). Each call is bounded: until `done`, post again with the answer's `cursor`. When a real " +
      "run is done, the batch messages it covered are deleted; set-aside records stay.",
    body: { schema: redriveBodySchema, required: false },
    responses: {
      200: {
        description: "What was routed (or would be), and the cursor to continue.",
        schema: redriveReportSchema,
      },
    },
  },
  "POST /ops/api/stream-failures/discard": {
    operationId: "discardSetAside",
    tag: "stream-failures",
    summary: "Delete the records the router set aside, never a batch message",
    description:
      "Deletes from the stream failures queue the records the router set aside (their items can never be " +
      "routed), every one or those naming `eventIds`; batch messages (their events still need a redrive) " +
      "and messages of neither kind stay. Read them first (`GET stream-failures`); the answer lists each " +
      "record deleted with its event id and why, and the ops log keeps them. With `dryRun: true` only " +
      "lists what would be deleted (a read-only operator may do this).",
    body: { schema: discardBodySchema, required: false },
    responses: {
      200: {
        description: "The set-aside records deleted (or that would be), and what the queue keeps.",
        schema: discardReportSchema,
      },
    },
  },
  "GET /ops/api/openapi.json": {
    operationId: "openApi",
    tag: "meta",
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1." } },
  },
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Invalid request: `detail` names the bad parameter or field and how to fix it.",
  403: "The operator may not do this (a read-only operator on a mutating route).",
  404: "No such thing (`not_found`), or no such route (`route_not_found`).",
  405: "The path exists under other methods (`Allow` lists them).",
  409: "It contradicts the current state (`conflict`).",
  413: "The body is over the source's maxBodyBytes (API Gateway's own 413 over 10 MB is {message}).",
  415: "A content type this provider never sends.",
  500: "Something of ours failed; `detail` names the request id to look up in the log.",
  503: "Signature keys are temporarily unavailable (a JWKS endpoint is down): retry.",
};

/** A JSON Schema for OpenAPI: zod's draft 2020-12 output without the `$schema` and `$id` keywords. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  return strip(out as JsonSchema);
}
function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

const ref = (schema: z.ZodType): JsonSchema => {
  const id = opsComponents.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : jsonSchema(schema);
};
const jsonContent = (schema: z.ZodType | JsonSchema) => ({
  "application/json": { schema: schema instanceof z.ZodType ? ref(schema) : schema },
});
const errorResponse = (status: number) => ({
  description: STATUS_TEXT[status] ?? "Error.",
  content: jsonContent(errorSchema),
});

function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(opsComponents, {
    target: "draft-2020-12",
    io: "input",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, strip(schema)]));
}

function operationObject(key: OpsRouteKey, doc: OperationDoc): Json {
  const parameters: Json[] = [];
  if (doc.id) parameters.push({ name: "id", in: "path", required: true, schema: jsonSchema(doc.id) });
  for (const [name, field] of Object.entries(doc.query?.shape ?? {})) {
    const schema = jsonSchema(field as z.ZodType);
    const { description, ...rest } = schema;
    parameters.push({
      name,
      in: "query",
      required: false,
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    });
  }
  const hasInput = parameters.length > 0 || doc.body !== undefined;
  const responses: Json = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = response.schema
      ? { description: response.description, content: jsonContent(response.schema) }
      : {
          description: response.description,
          content: { "application/json": { schema: { type: "object" } } },
        };
  }
  for (const status of [...(hasInput ? [400] : []), 403, ...(doc.errors ?? []), 500].sort()) {
    responses[String(status)] = errorResponse(status);
  }
  responses["401"] = {
    description:
      'No or bad credentials. The authorizer answers before the function with API Gateway\'s own 401 {"message":"Unauthorized"} (its `www-authenticate` header says why); a request that reached the function without an identity gets {code: "unauthorized"}.',
    content: {
      "application/json": { schema: { oneOf: [ref(gatewayErrorSchema), ref(errorSchema)] } },
    },
  };
  return {
    operationId: doc.operationId,
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(OPS_ROUTES[key] === "write" ? { "x-ops-access": "write" } : { "x-ops-access": "read" }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body
      ? { requestBody: { required: doc.body.required, content: jsonContent(jsonSchema(doc.body.schema)) } }
      : {}),
    responses,
  };
}

function ingestOperation(): Json {
  return {
    operationId: "ingestWebhook",
    tags: ["ingest"],
    summary: "Receive a webhook from a configured source",
    description:
      "Verifies the provider's signature on the exact raw bytes, then accepts the event once (duplicates get " +
      "the same id). Authentication is the provider's own signature (per source, see the README's providers " +
      "table), not the ops authorizer. Handshakes (Slack url_verification, Zoom CRC, Twitch challenge) are " +
      "answered 200 as the provider expects.",
    security: [],
    parameters: [
      {
        name: "sourceId",
        in: "path",
        required: true,
        description: "A source id from the config.",
        schema: jsonSchema(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/)),
      },
    ],
    requestBody: {
      required: true,
      description: "The provider's body, byte for byte (JSON, form or any other type the provider sends).",
      content: { "*/*": { schema: {} } },
    },
    responses: {
      "200": { description: "A verification handshake, answered as the provider expects." },
      "202": { description: "Accepted (or a duplicate).", content: jsonContent(ingestAcceptedSchema) },
      "400": errorResponse(400),
      "401": {
        description: "`invalid_signature`: always the same body, whatever failed (the log says what).",
        content: jsonContent(errorSchema),
      },
      "404": { description: "`unknown_source`.", content: jsonContent(errorSchema) },
      "413": errorResponse(413),
      "415": errorResponse(415),
      "500": errorResponse(500),
      "503": errorResponse(503),
    },
  };
}

export interface OpenApiOptions {
  /** The API's origin (`https://abc.execute-api…`, `http://127.0.0.1:3000`); default a relative `/`. */
  readonly serverUrl?: string;
  /** How callers authenticate: a bearer token (JWT, or the local token) or AWS IAM (SigV4). */
  readonly auth: "bearer" | "iam";
}

/** The document served at `GET /ops/api/openapi.json`. */
export function opsOpenApiDocument(options: OpenApiOptions): Json {
  const paths: Record<string, Json> = {};
  for (const key of Object.keys(operations) as OpsRouteKey[]) {
    const [method, path] = key.split(" ") as [string, string];
    paths[path] = { ...paths[path], [method.toLowerCase()]: operationObject(key, operations[key]) };
  }
  const [, webhookPath] = WEBHOOK_ROUTE_KEY.split(" ") as [string, string];
  paths[webhookPath] = { post: ingestOperation() };
  return {
    openapi: "3.1.0",
    info: {
      title: "Webhooks platform: ops API and ingest",
      version: "1",
      description:
        "Find, inspect, resend and replay events; watch and steer subscriptions. Errors are `{ code, detail }` " +
        "(except API Gateway's own answers, documented where they occur).",
    },
    servers: [{ url: options.serverUrl ?? "/" }],
    tags: [
      { name: "events" },
      { name: "replays" },
      { name: "subscriptions" },
      { name: "breakers" },
      { name: "stream-failures" },
      { name: "meta" },
      { name: "ingest" },
    ],
    security: [{ ops: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        ops:
          options.auth === "iam"
            ? {
                type: "apiKey",
                in: "header",
                name: "Authorization",
                description: "AWS Signature Version 4 (IAM): callers need execute-api:Invoke on the routes.",
              }
            : {
                type: "http",
                scheme: "bearer",
                description:
                  "A JWT from the operators' OIDC issuer (config ops.auth), or locally the opsToken npm start prints.",
              },
      },
    },
  };
}
