import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import type * as z from "zod";
import { InvalidRequestError, NotFoundError } from "../../../shared/domain/errors.js";
import { createOpsApi, createOpsJobs, type OpsLog } from "../../../shared/http/ops-api.js";
import { operatorRulesOf } from "../../../shared/http/ops-auth.js";
import { OPS_ROUTES, type OpsRouteKey } from "../../../shared/http/ops-routes.js";
import {
  breakerViewSchema,
  discardReportSchema,
  erasedSchema,
  errorSchema,
  eventDetailSchema,
  eventPageSchema,
  redriveReportSchema,
  replayEstimateSchema,
  replayStartedSchema,
  replayStatusSchema,
  resendResultSchema,
  streamFailureListSchema,
  subscriptionHealthSchema,
  subscriptionListSchema,
} from "../../../shared/http/ops-schemas.js";
import { FAKE_EVENT_ID, FAKE_REPLAY_ID, FakeOpsUseCases } from "../../support/fake-ops-use-cases.js";

/**
 * The ops API's HTTP edge on API Gateway v2 events, in front of an in-memory `FakeOpsUseCases` (the real
 * use cases are another branch's): every route's answer and its shape, 400s that name the bad
 * parameter, 401/403 from the authorizer's claims, 404/405, the log line of every mutating call, and
 * the ops jobs queue's consumer.
 */

interface Entry {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly fields: Record<string, unknown>;
}
const entries: Entry[] = [];
const log: OpsLog = {
  info: (message, fields) => entries.push({ level: "info", message, fields }),
  warn: (message, fields) => entries.push({ level: "warn", message, fields }),
  error: (message, fields) => entries.push({ level: "error", message, fields }),
};

const WRITER = { sub: "alice", email: "alice@example.com", scope: "openid ops:read ops:write" };
const READER = { sub: "bob", scope: "ops:read" };
/** A valid token from the issuer, for the audience, without any ops scope or group. */
const NOBODY = { sub: "eve", scope: "openid" };

interface Request {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string;
  /** JWT claims the authorizer hands over; `null` for no authorizer context at all. */
  readonly claims?: Record<string, string> | null;
  readonly iam?: { userArn: string };
  /** The route key API Gateway matched (default: the route itself). */
  readonly routeKey?: string;
}

/** `"POST /ops/api/events/{id}/resend"` with `{ id }` → the event API Gateway would hand over. */
function apiEvent(
  routeKey: string,
  params: Record<string, string>,
  request: Request = {},
): APIGatewayProxyEventV2 {
  const [method, template] = routeKey.split(" ") as [string, string];
  const rawPath = template.replace(/\{(\w+)(\+?)\}/g, (_m, name: string, greedy: string) =>
    greedy ? encodeURI(params[name] ?? "") : encodeURIComponent(params[name] ?? ""),
  );
  const body = request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  const claims = request.claims === undefined ? WRITER : request.claims;
  const authorizer = request.iam
    ? { iam: request.iam }
    : claims === null
      ? undefined
      : { jwt: { claims, scopes: null } };
  return {
    version: "2.0",
    routeKey: request.routeKey ?? routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers: { host: "ops.example.com", "x-forwarded-proto": "https" },
    ...(request.query ? { queryStringParameters: request.query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    requestContext: {
      accountId: "111122223333",
      apiId: "api",
      domainName: "ops.example.com",
      domainPrefix: "ops",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
      requestId: "req-42",
      routeKey: request.routeKey ?? routeKey,
      stage: "$default",
      time: "31/Jan/2025:12:00:00 +0000",
      timeEpoch: 0,
      ...(authorizer ? { authorizer } : {}),
    } as APIGatewayProxyEventV2["requestContext"],
    ...(body === undefined ? {} : { body: Buffer.from(body).toString("base64"), isBase64Encoded: true }),
    isBase64Encoded: body !== undefined,
  };
}

let useCases: FakeOpsUseCases;
let call: (routeKey: string, params?: Record<string, string>, request?: Request) => Promise<Answer>;
interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, unknown>;
}
const answerOf = (result: APIGatewayProxyStructuredResultV2): Answer => ({
  status: result.statusCode ?? 0,
  body: JSON.parse(result.body ?? "null") as Record<string, unknown>,
  headers: { ...result.headers },
});

function setUp(auth?: Parameters<typeof operatorRulesOf>[0]) {
  useCases = new FakeOpsUseCases();
  entries.length = 0;
  const api = createOpsApi({ useCases, rules: operatorRulesOf(auth), authKind: "bearer", log });
  call = async (routeKey, params = {}, request = {}) =>
    answerOf(await api(apiEvent(routeKey, params, request)));
}

beforeEach(() => setUp());

/** A successful call of each route: what to send, the status and the shape of the answer. */
const SUCCESS: Readonly<
  Record<
    OpsRouteKey,
    {
      params?: Record<string, string>;
      request?: Request;
      status: number;
      schema?: z.ZodType;
      useCase?: string;
    }
  >
> = {
  "GET /ops/api/events": {
    request: { query: { source: "stripe", status: "delivered", limit: "10", since: "2025-01-01T00:00:00Z" } },
    status: 200,
    schema: eventPageSchema,
    useCase: "listEvents",
  },
  "GET /ops/api/events/{id}": { params: { id: FAKE_EVENT_ID }, status: 200, schema: eventDetailSchema },
  "POST /ops/api/events/{id}/resend": {
    params: { id: FAKE_EVENT_ID },
    request: { body: { subscriptions: ["billing"] } },
    status: 202,
    schema: resendResultSchema,
  },
  "DELETE /ops/api/events/{id}/payload": { params: { id: FAKE_EVENT_ID }, status: 200, schema: erasedSchema },
  "POST /ops/api/replays": {
    request: { body: { filter: { deadLettered: true, reason: "retries_exhausted" } } },
    status: 202,
    schema: replayStartedSchema,
    useCase: "startReplay",
  },
  "GET /ops/api/replays/{id}": { params: { id: FAKE_REPLAY_ID }, status: 200, schema: replayStatusSchema },
  "GET /ops/api/subscriptions": { status: 200, schema: subscriptionListSchema },
  "POST /ops/api/subscriptions/{id}/pause": {
    params: { id: "billing" },
    status: 200,
    schema: subscriptionHealthSchema,
  },
  "POST /ops/api/subscriptions/{id}/resume": {
    params: { id: "billing" },
    status: 200,
    schema: subscriptionHealthSchema,
  },
  "POST /ops/api/breakers/close": {
    request: { body: { url: "https://billing.example.com/hooks" } },
    status: 200,
    schema: breakerViewSchema,
  },
  "GET /ops/api/stream-failures": {
    request: { query: { limit: "50" } },
    status: 200,
    schema: streamFailureListSchema,
    useCase: "listStreamFailures",
  },
  "POST /ops/api/stream-failures/redrive": {
    request: { body: {} },
    status: 200,
    schema: redriveReportSchema,
    useCase: "redriveStreamFailures",
  },
  "POST /ops/api/stream-failures/discard": {
    request: { body: { eventIds: [FAKE_EVENT_ID] } },
    status: 200,
    schema: discardReportSchema,
    useCase: "discardSetAside",
  },
  "GET /ops/api/openapi.json": { status: 200 },
};
const ROUTES = Object.entries(SUCCESS) as [OpsRouteKey, (typeof SUCCESS)[OpsRouteKey]][];
const MUTATING = ROUTES.filter(([key]) => OPS_ROUTES[key] === "write");

describe("every ops route, in front of the fake use cases", () => {
  it.each(ROUTES)("%s answers its status with the documented shape, uncached", async (key, spec) => {
    const answer = await call(key, spec.params, spec.request);
    expect(answer.status, JSON.stringify(answer.body)).toBe(spec.status);
    if (spec.schema) expect(spec.schema.safeParse(answer.body).error).toBeUndefined();
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["cache-control"]).toBe("no-store");
  });

  it("hands the use cases the validated input: filters, page, ids, the operator", async () => {
    await call("GET /ops/api/events", {}, { query: { type: "invoice.paid", limit: "25", cursor: "c1" } });
    expect(useCases.calls.at(-1)).toEqual({
      method: "listEvents",
      args: [{ type: "invoice.paid" }, { limit: 25, cursor: "c1" }],
    });
    await call("POST /ops/api/events/{id}/resend", { id: FAKE_EVENT_ID });
    expect(useCases.calls.at(-1)).toEqual({
      method: "resendEvent",
      args: [FAKE_EVENT_ID, undefined, { id: "alice@example.com", canWrite: true, canRead: true }],
    });
    await call("POST /ops/api/breakers/close", {}, { body: { url: "https://x.example.com/a?b" } });
    expect(useCases.calls.at(-1)?.args[0]).toBe("https://x.example.com/a?b");
  });

  it("estimates a replay with dryRun (200) and starts one without it (202)", async () => {
    const estimate = await call(
      "POST /ops/api/replays",
      {},
      { body: { filter: { source: "stripe" }, dryRun: true } },
    );
    expect(estimate.status).toBe(200);
    expect(replayEstimateSchema.safeParse(estimate.body).success).toBe(true);
    expect(useCases.calls.map((c) => c.method)).toEqual(["estimateReplay"]);
  });

  it("serves the OpenAPI document with this API's own origin as its server", async () => {
    const answer = await call("GET /ops/api/openapi.json");
    expect(answer.body).toMatchObject({ openapi: "3.1.0", servers: [{ url: "https://ops.example.com" }] });
  });
});

describe("bad input: 400 invalid_request naming the parameter or field and how to fix it", () => {
  const cases: ReadonlyArray<[string, string, Record<string, string>, Request, RegExp]> = [
    [
      "limit 0",
      "GET /ops/api/events",
      {},
      { query: { limit: "0" } },
      /^Query parameter 'limit': must be a whole number from 1 to 200\.$/,
    ],
    [
      "limit not a number",
      "GET /ops/api/events",
      {},
      { query: { limit: "ten" } },
      /'limit': must be a whole number/,
    ],
    [
      "an unknown status",
      "GET /ops/api/events",
      {},
      { query: { status: "lost" } },
      /'status': must be one of delivered, retrying, dead-lettered, pending, enqueued/,
    ],
    [
      "a time without zone",
      "GET /ops/api/events",
      {},
      { query: { since: "2025-01-01" } },
      /'since': must be an ISO 8601 time with a zone/,
    ],
    [
      "until before since",
      "GET /ops/api/events",
      {},
      { query: { since: "2025-02-01T00:00:00Z", until: "2025-01-01T00:00:00Z" } },
      /'until': must be later than 'since'/,
    ],
    [
      "an unknown query parameter",
      "GET /ops/api/events",
      {},
      { query: { sorce: "stripe" } },
      /Unknown query parameter 'sorce'; remove it/,
    ],
    [
      "a source id with capitals",
      "GET /ops/api/events",
      {},
      { query: { source: "Stripe" } },
      /'source': must be a source id/,
    ],
    [
      "a malformed event id",
      "GET /ops/api/events/{id}",
      { id: "nope" },
      {},
      /^Path parameter 'id': must be an event id: 'evt_' followed by 22/,
    ],
    [
      "resend to an empty list",
      "POST /ops/api/events/{id}/resend",
      { id: FAKE_EVENT_ID },
      { body: { subscriptions: [] } },
      /Body field 'subscriptions': must name at least one subscription; omit it to resend to all/,
    ],
    [
      "resend with an unknown field",
      "POST /ops/api/events/{id}/resend",
      { id: FAKE_EVENT_ID },
      { body: { subs: ["billing"] } },
      /Unknown field 'subs'/,
    ],
    [
      "a body that is not JSON",
      "POST /ops/api/events/{id}/resend",
      { id: FAKE_EVENT_ID },
      { rawBody: "{subscriptions" },
      /body is not valid JSON; send a JSON object/,
    ],
    [
      "a body that is a list",
      "POST /ops/api/breakers/close",
      {},
      { body: ["https://x"] },
      /body must be a JSON object/,
    ],
    [
      "erase with a bad id",
      "DELETE /ops/api/events/{id}/payload",
      { id: "evt_short" },
      {},
      /Path parameter 'id': must be an event id/,
    ],
    [
      "a replay without filter",
      "POST /ops/api/replays",
      {},
      { body: { dryRun: true } },
      /Body field 'filter': /,
    ],
    [
      "a reason without deadLettered",
      "POST /ops/api/replays",
      {},
      { body: { filter: { reason: "retries_exhausted" } } },
      /Body field 'filter.reason': filters dead letters: set deadLettered to true with it/,
    ],
    [
      "dryRun as a string",
      "POST /ops/api/replays",
      {},
      { body: { filter: {}, dryRun: "yes" } },
      /Body field 'dryRun': must be true or false/,
    ],
    [
      "an unknown filter field",
      "POST /ops/api/replays",
      {},
      { body: { filter: { sources: "x" } } },
      /Unknown field 'sources' in body field 'filter'/,
    ],
    [
      "a replay id with a slash",
      "GET /ops/api/replays/{id}",
      { id: "a/b" },
      {},
      /Path parameter 'id': must be a replay id/,
    ],
    [
      "pause a bad subscription id",
      "POST /ops/api/subscriptions/{id}/pause",
      { id: "Billing!" },
      {},
      /Path parameter 'id': must be a subscription id/,
    ],
    [
      "resume a bad subscription id",
      "POST /ops/api/subscriptions/{id}/resume",
      { id: "-x" },
      {},
      /Path parameter 'id': must be a subscription id/,
    ],
    [
      "close a breaker without url",
      "POST /ops/api/breakers/close",
      {},
      { body: {} },
      /Body field 'url': must be the http\(s\) URL of a destination/,
    ],
    [
      "close a breaker of a ftp url",
      "POST /ops/api/breakers/close",
      {},
      { body: { url: "ftp://x" } },
      /'url': must be the http\(s\) URL/,
    ],
    [
      "a stream-failures limit over 1000",
      "GET /ops/api/stream-failures",
      {},
      { query: { limit: "1001" } },
      /^Query parameter 'limit': must be a whole number from 1 to 1000\.$/,
    ],
    [
      "a redrive's dryRun as a string",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { dryRun: "true" } },
      /^Body field 'dryRun': must be true or false\.$/,
    ],
    [
      "a redrive's since without a zone",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { since: "2025-01-31 12:00" } },
      /^Body field 'since': must be an ISO 8601 time with a zone/,
    ],
    [
      "a redrive's until without since",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { until: "2025-01-31T12:00:00Z" } },
      /^Body field 'until': needs 'since' too/,
    ],
    [
      "a redrive's until before since",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { since: "2025-02-01T00:00:00Z", until: "2025-01-01T00:00:00Z" } },
      /^Body field 'until': must be later than 'since'/,
    ],
    [
      "a redrive with a cursor and a window",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { cursor: "abc", since: "2025-01-01T00:00:00Z" } },
      /^Body field 'cursor': carries the redrive's windows: give either a cursor or since\/until, not both\.$/,
    ],
    [
      "a redrive with an unknown field",
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { dry: true } },
      /^Unknown field 'dry'; remove it/,
    ],
    [
      "a discard's eventIds as a string, not a list",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { eventIds: FAKE_EVENT_ID } },
      /^Body field 'eventIds': must be a list of event ids \(strings 'evt_…'\)\.$/,
    ],
    [
      "a discard's eventIds holding a number",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { eventIds: [FAKE_EVENT_ID, 7] } },
      /^Body field 'eventIds\.1': must be an event id \(a string 'evt_…'\)\.$/,
    ],
    [
      "a discard's eventIds holding something else than an event id",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { eventIds: ["evt_1"] } },
      /^Body field 'eventIds\.0': must be an event id: 'evt_' followed by 22 letters/,
    ],
    [
      "a discard's empty eventIds",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { eventIds: [] } },
      /^Body field 'eventIds': must name at least one event id; omit it to discard every set-aside record\.$/,
    ],
    [
      "a discard's dryRun as a string",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { dryRun: "yes" } },
      /^Body field 'dryRun': must be true or false\.$/,
    ],
    [
      "a discard with an unknown field",
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { ids: [FAKE_EVENT_ID] } },
      /^Unknown field 'ids'; remove it/,
    ],
  ];

  it.each(cases)("%s", async (_name, key, params, request, detail) => {
    const answer = await call(key, params, request);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("invalid_request");
    expect(String(answer.body.detail)).toMatch(detail);
    expect(errorSchema.strict().safeParse(answer.body).success).toBe(true);
    expect(useCases.calls).toEqual([]);
  });
});

describe("who may call: 401 without an identity, 403 for what the operator may not do", () => {
  it("answers 401 unauthorized, calling nothing, when no authorizer named an operator", async () => {
    for (const [key, spec] of ROUTES) {
      const answer = await call(key, spec.params, { ...spec.request, claims: null });
      expect(answer.status, key).toBe(401);
      expect(answer.body).toMatchObject({
        code: "unauthorized",
        detail: expect.stringContaining("ops.auth"),
      });
    }
    expect(useCases.calls).toEqual([]);
  });

  it("answers 401 for a token that names nobody (no email, sub, client_id or username)", async () => {
    const answer = await call("GET /ops/api/subscriptions", {}, { claims: { scope: "ops:read" } });
    expect(answer).toMatchObject({ status: 401, body: { code: "unauthorized" } });
  });

  it.each(MUTATING)(
    "refuses %s to a read-only operator with 403 forbidden, changing nothing",
    async (key, spec) => {
      const answer = await call(key, spec.params, { ...spec.request, claims: READER });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        code: "forbidden",
        detail: `Operator 'bob' may only read; ${key} changes something and needs scope 'ops:write'.`,
      });
      expect(useCases.calls).toEqual([]);
      expect(entries.filter((e) => e.level === "info")).toEqual([
        {
          level: "info",
          message: "ops action",
          fields: { action: key, by: "bob", outcome: "forbidden", detail: answer.body.detail },
        },
      ]);
    },
  );

  it("lets a read-only operator read every read route and estimate a replay (a dry run changes nothing)", async () => {
    for (const [key, spec] of ROUTES.filter(([k]) => OPS_ROUTES[k] === "read")) {
      expect((await call(key, spec.params, { ...spec.request, claims: READER })).status, key).toBe(
        spec.status,
      );
    }
    const dryRun = await call(
      "POST /ops/api/replays",
      {},
      { body: { filter: {}, dryRun: true }, claims: READER },
    );
    expect(dryRun.status).toBe(200);
  });

  it("lets a read-only operator dry-run a redrive of the stream failures, and refuses its real run 403", async () => {
    const dryRun = await call(
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { dryRun: true }, claims: READER },
    );
    expect(dryRun.status).toBe(200);
    expect(redriveReportSchema.safeParse(dryRun.body).error).toBeUndefined();
    expect(useCases.calls).toEqual([
      {
        method: "redriveStreamFailures",
        args: [{ dryRun: true }, { id: "bob", canWrite: false, canRead: true }],
      },
    ]);
    const real = await call("POST /ops/api/stream-failures/redrive", {}, { body: {}, claims: READER });
    expect(real).toMatchObject({
      status: 403,
      body: {
        code: "forbidden",
        detail:
          "Operator 'bob' may only read; POST /ops/api/stream-failures/redrive changes something and needs scope 'ops:write'.",
      },
    });
    expect(useCases.calls).toHaveLength(1);
  });

  it("lets a read-only operator dry-run a discard of the set-aside records, and refuses its real run 403", async () => {
    const dryRun = await call(
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { dryRun: true }, claims: READER },
    );
    expect(dryRun.status).toBe(200);
    expect(discardReportSchema.safeParse(dryRun.body).error).toBeUndefined();
    expect(dryRun.body).toMatchObject({ dryRun: true, discarded: [{ eventId: FAKE_EVENT_ID }] });
    expect(useCases.calls).toEqual([
      {
        method: "discardSetAside",
        args: [{ dryRun: true }, { id: "bob", canWrite: false, canRead: true }],
      },
    ]);
    // A dry run changes nothing: no action line.
    expect(entries).toEqual([]);
    for (const body of [{}, { dryRun: false }, { eventIds: [FAKE_EVENT_ID] }]) {
      const real = await call("POST /ops/api/stream-failures/discard", {}, { body, claims: READER });
      expect(real).toMatchObject({
        status: 403,
        body: {
          code: "forbidden",
          detail:
            "Operator 'bob' may only read; POST /ops/api/stream-failures/discard changes something and needs scope 'ops:write'.",
        },
      });
    }
    expect(useCases.calls).toHaveLength(1);
  });

  it("logs who discarded set-aside records, with each record's event id and why, and hands the use case the ids", async () => {
    const answer = await call(
      "POST /ops/api/stream-failures/discard",
      {},
      { body: { eventIds: [FAKE_EVENT_ID, "evt_BBBBBBBBBBBBBBBBBBBBBB"] } },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      dryRun: false,
      unmatched: ["evt_BBBBBBBBBBBBBBBBBBBBBB"],
      left: { batches: 1, setAside: 0 },
    });
    expect(useCases.calls.at(-1)).toEqual({
      method: "discardSetAside",
      args: [
        { eventIds: [FAKE_EVENT_ID, "evt_BBBBBBBBBBBBBBBBBBBBBB"] },
        { id: "alice@example.com", canWrite: true, canRead: true },
      ],
    });
    expect(entries.filter((e) => e.level === "info")).toEqual([
      {
        level: "info",
        message: "ops action",
        fields: {
          action: "POST /ops/api/stream-failures/discard",
          by: "alice@example.com",
          outcome: "done",
          eventIds: [FAKE_EVENT_ID, "evt_BBBBBBBBBBBBBBBBBBBBBB"],
          discarded: 1,
          records: [
            { eventId: FAKE_EVENT_ID, sequenceNumber: "103", reason: "the event item holds no payload" },
          ],
          notDeleted: 0,
          leftBatches: 1,
          leftSetAside: 0,
        },
      },
    ]);
  });

  it("logs who ran a real redrive and what it did, and hands the use case the window", async () => {
    const answer = await call(
      "POST /ops/api/stream-failures/redrive",
      {},
      { body: { since: "2025-01-31T11:00:00Z", until: "2025-01-31T13:00:00Z" } },
    );
    expect(answer.status).toBe(200);
    expect(useCases.calls.at(-1)).toEqual({
      method: "redriveStreamFailures",
      args: [
        { since: "2025-01-31T11:00:00Z", until: "2025-01-31T13:00:00Z" },
        { id: "alice@example.com", canWrite: true, canRead: true },
      ],
    });
    expect(entries.filter((e) => e.level === "info").at(-1)).toMatchObject({
      message: "ops action",
      fields: {
        action: "POST /ops/api/stream-failures/redrive",
        by: "alice@example.com",
        outcome: "done",
        windowsFrom: "operator",
        routed: 1,
        deletedMessages: 1,
      },
    });
  });

  it("refuses every route, reads included, to a token without an ops scope or group", async () => {
    const answer = await call("GET /ops/api/events", {}, { claims: NOBODY });
    expect(answer).toEqual({
      status: 403,
      body: {
        code: "forbidden",
        detail: "Operator 'eve' may not use the ops API: the token needs scope 'ops:read' or 'ops:write'.",
      },
      headers: expect.any(Object),
    });
    expect(
      (await call("GET /ops/api/nope", {}, { claims: NOBODY, routeKey: "ANY /ops/api/{proxy+}" })).status,
    ).toBe(403);
    expect(useCases.calls).toEqual([]);
  });

  it("grants by the config's scopes and groups: a write group acts, a read group reads", async () => {
    setUp({
      type: "jwt",
      issuer: "https://issuer.example.com",
      audience: ["ops"],
      readScope: "webhooks/read",
      writeScope: "webhooks/write",
      groupsClaim: "cognito:groups",
      readGroup: "ops-viewers",
      writeGroup: "ops-admins",
    });
    const admin = { sub: "carol", "cognito:groups": "[ops-admins staff]" };
    const viewer = { sub: "dave", "cognito:groups": "[ops-viewers]" };
    expect(
      (await call("POST /ops/api/subscriptions/{id}/pause", { id: "billing" }, { claims: admin })).status,
    ).toBe(200);
    expect((await call("GET /ops/api/subscriptions", {}, { claims: viewer })).status).toBe(200);
    const refused = await call(
      "POST /ops/api/subscriptions/{id}/resume",
      { id: "billing" },
      { claims: viewer },
    );
    expect(refused.body.detail).toBe(
      "Operator 'dave' may only read; POST /ops/api/subscriptions/{id}/resume changes something and needs " +
        "scope 'webhooks/write' or membership of group 'ops-admins' (claim 'cognito:groups').",
    );
    // The default scopes mean nothing once the config names its own.
    expect((await call("GET /ops/api/subscriptions", {}, { claims: WRITER })).status).toBe(403);
  });

  it("takes an IAM caller (its own policies chose the routes it may invoke) as an operator named by its ARN", async () => {
    const userArn = "arn:aws:sts::111122223333:assumed-role/ops-bot/session";
    const answer = await call(
      "POST /ops/api/subscriptions/{id}/resume",
      { id: "billing" },
      { iam: { userArn }, claims: null },
    );
    expect(answer.status).toBe(200);
    expect(useCases.calls[0]?.args[1]).toEqual({ id: userArn, canWrite: true, canRead: true });
  });
});

describe("not found, wrong method, failures", () => {
  it("answers 404 not_found with the use case's detail for an unknown event, replay or subscription", async () => {
    const unknownEvent = await call("GET /ops/api/events/{id}", { id: "evt_BBBBBBBBBBBBBBBBBBBBBB" });
    expect(unknownEvent).toMatchObject({
      status: 404,
      body: { code: "not_found", detail: expect.stringContaining("evt_BBBB") },
    });
    expect((await call("GET /ops/api/replays/{id}", { id: "rpl_nope" })).status).toBe(404);
    expect((await call("POST /ops/api/subscriptions/{id}/pause", { id: "nope" })).body.code).toBe(
      "not_found",
    );
  });

  it("answers 409 conflict when the use case refuses for the current state", async () => {
    const answer = await call("POST /ops/api/subscriptions/{id}/pause", { id: "audit" });
    expect(answer).toMatchObject({ status: 409, body: { code: "conflict" } });
  });

  it("answers an unknown /ops/api/ path (the fallback route) 404 route_not_found pointing at the document", async () => {
    const answer = await call("GET /ops/api/{proxy+}", { proxy: "nope" });
    expect(answer).toMatchObject({
      status: 404,
      body: {
        code: "route_not_found",
        detail: "No ops route for GET /ops/api/nope; the routes are listed by GET /ops/api/openapi.json.",
      },
    });
  });

  it("answers a known path under another method 405 with Allow", async () => {
    const answer = await call("DELETE /ops/api/{proxy+}", { proxy: "subscriptions" });
    expect(answer).toMatchObject({
      status: 405,
      body: { code: "method_not_allowed" },
      headers: { allow: "GET" },
    });
  });

  it("routes by its own table when API Gateway handed over the fallback route (same answers)", async () => {
    const answer = await call("GET /ops/api/{proxy+}", { proxy: `events/${FAKE_EVENT_ID}` });
    expect(answer.status).toBe(200);
    expect(useCases.calls.at(-1)).toEqual({ method: "getEvent", args: [FAKE_EVENT_ID] });
  });

  it("answers a failure of ours 500 internal_error with the request id, never the error text", async () => {
    useCases.failWith("listSubscriptions", new Error("DynamoDB exploded at /secret/path"));
    const answer = await call("GET /ops/api/subscriptions");
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe("internal_error");
    expect(String(answer.body.detail)).toContain("req-42");
    expect(JSON.stringify(answer.body)).not.toContain("exploded");
  });
});

describe("the log: every mutating call names who made it", () => {
  it.each(MUTATING)(
    "%s logs one INFO line with the action, the operator and what it did",
    async (key, spec) => {
      await call(key, spec.params, spec.request);
      const lines = entries.filter((e) => e.message === "ops action");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: "info",
        fields: { action: key, by: "alice@example.com", outcome: "done" },
      });
    },
  );

  it("logs a refused change too, with its code", async () => {
    await call("POST /ops/api/subscriptions/{id}/pause", { id: "audit" });
    expect(entries).toEqual([
      {
        level: "info",
        message: "ops action",
        fields: expect.objectContaining({ by: "alice@example.com", outcome: "conflict" }),
      },
    ]);
  });

  it("logs no action line for reads", async () => {
    for (const [key, spec] of ROUTES.filter(([k]) => OPS_ROUTES[k] === "read"))
      await call(key, spec.params, spec.request);
    await call("POST /ops/api/replays", {}, { body: { filter: {}, dryRun: true } });
    expect(entries).toEqual([]);
  });
});

describe("the ops jobs queue: { replayId } runs the next slice of a replay", () => {
  const record = (messageId: string, body: string) => ({
    messageId,
    body,
    queueName: "p-ops-jobs",
    attributes: {},
  });

  it("continues each replay named, logs a finished one with who started it, and reports no failure", async () => {
    const jobs = createOpsJobs({ useCases, log });
    const report = await jobs([record("m1", JSON.stringify({ replayId: FAKE_REPLAY_ID }))]);
    expect(report.failedMessageIds).toEqual([]);
    expect(useCases.calls).toEqual([{ method: "continueReplay", args: [FAKE_REPLAY_ID] }]);
    expect(entries[0]).toMatchObject({
      message: "replay finished",
      fields: { replayId: FAKE_REPLAY_ID, by: "alice@example.com" },
    });
  });

  it("hands a message back when the slice failed for a reason that may pass (partial batch response)", async () => {
    useCases.failWith("continueReplay", new Error("throttled"));
    const report = await createOpsJobs({ useCases, log })([
      record("m1", JSON.stringify({ replayId: FAKE_REPLAY_ID })),
      record("m2", JSON.stringify({ replayId: FAKE_REPLAY_ID })),
    ]);
    expect(report.failedMessageIds).toEqual(["m1", "m2"]);
  });

  it("drops, with an ERROR line, a message no retry can fix: not a job, or a replay the use case refuses", async () => {
    useCases.failWith("continueReplay", new NotFoundError("No replay 'gone'."));
    const report = await createOpsJobs({ useCases, log })([
      record("m1", "not json"),
      record("m2", JSON.stringify({ replay: "x" })),
      record("m3", JSON.stringify({ replayId: "gone" })),
    ]);
    expect(report.failedMessageIds).toEqual([]);
    expect(entries.map((e) => [e.level, e.message, e.fields.messageId])).toEqual([
      ["error", "ops job dropped: not a job message", "m1"],
      ["error", "ops job dropped: not a job message", "m2"],
      ["error", "ops job dropped: the replay cannot continue", "m3"],
    ]);
    expect(useCases.calls).toEqual([{ method: "continueReplay", args: ["gone"] }]);
  });

  it("treats an invalid request from the use case as final too", async () => {
    useCases.failWith("continueReplay", new InvalidRequestError("replay was cancelled"));
    const report = await createOpsJobs({ useCases, log })([record("m1", JSON.stringify({ replayId: "r" }))]);
    expect(report.failedMessageIds).toEqual([]);
  });
});
