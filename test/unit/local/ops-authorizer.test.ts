import type { Server } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ApiRoute, createApiServer, opsTokenProblem } from "../../../local/api-server.js";
import { createOpsApi } from "../../../shared/http/ops-api.js";
import { localOperatorClaims, operatorRulesOf } from "../../../shared/http/ops-auth.js";
import { OPS_FUNCTION_ROUTES } from "../../../shared/topology/topology.js";
import { FAKE_EVENT_ID, FakeOpsUseCases } from "../../support/fake-ops-use-cases.js";

/**
 * The local stand-in for the ops authorizer: the local API server checks the token `npm start` prints on
 * every route whose spec says `auth: "ops"`, answering a missing or bad one as API Gateway's authorizer
 * does (401, its own body, before any function runs), and hands the function the claims a JWT
 * authorizer would. Here it fronts the real ops API edge over the fake use cases.
 */
const TOKEN = "local-token-for-tests";
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
let server: Server;
let base: string;
const useCases = new FakeOpsUseCases();
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  const rules = operatorRulesOf(undefined);
  const api = createOpsApi({ useCases, rules, authKind: "bearer", log: silent });
  const routes: ApiRoute[] = [
    ...OPS_FUNCTION_ROUTES.map(
      (route): ApiRoute => ({
        routeKey: route.key,
        auth: route.auth,
        invoke: async (event) => {
          seen.push(event);
          // The console's files stand in as one plain page here (`ops-console.test.ts` covers them).
          return route.auth === "none" ? { statusCode: 200, body: "console" } : api(event);
        },
      }),
    ),
    { routeKey: "POST /webhooks/{sourceId}", invoke: async () => ({ statusCode: 202, body: "{}" }) },
  ];
  server = createApiServer({ routes, opsAuth: { token: TOKEN, claims: localOperatorClaims(rules) } });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

beforeEach(() => {
  useCases.calls.length = 0;
  seen.length = 0;
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });

describe("the local ops authorizer (the local API server's token check)", () => {
  it("answers a request without a token 401 as API Gateway's authorizer does, before the function runs", async () => {
    const response = await get("/ops/api/events");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: "Unauthorized" });
    expect(seen).toEqual([]);
    expect(useCases.calls).toEqual([]);
  });

  it("answers a bad token 401 with the reason in www-authenticate, as API Gateway does", async () => {
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      "Bearer ",
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN},Bearer ${TOKEN}`,
    ]) {
      const response = await get("/ops/api/subscriptions", { authorization });
      expect(response.status, authorization).toBe(401);
      expect(await response.json()).toEqual({ message: "Unauthorized" });
      expect(response.headers.get("www-authenticate") ?? "", authorization).toMatch(
        /^Bearer .*error="invalid_token"/,
      );
    }
    expect(seen).toEqual([]);
  });

  it("checks every ops route, the /ops/api/ fallback included", async () => {
    for (const path of [
      "/ops/api/openapi.json",
      `/ops/api/events/${FAKE_EVENT_ID}`,
      "/ops/api/anything/else",
    ]) {
      expect((await get(path)).status, path).toBe(401);
    }
    const posted = await fetch(`${base}/ops/api/breakers/close`, {
      method: "POST",
      body: '{"url":"https://x.example"}',
    });
    expect(posted.status).toBe(401);
    expect(useCases.calls).toEqual([]);
  });

  it("hands the function the local operator's claims once the token matches (Bearer in any case, or bare)", async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, TOKEN]) {
      const response = await get("/ops/api/subscriptions", { authorization });
      expect(response.status, authorization).toBe(200);
    }
    const context = seen[0]?.requestContext as unknown as { authorizer: { jwt: { claims: unknown } } };
    expect(context.authorizer.jwt.claims).toEqual({ sub: "local-operator", scope: "ops:read ops:write" });
    const resumed = await fetch(`${base}/ops/api/subscriptions/billing/resume`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(resumed.status).toBe(200);
    expect(useCases.calls.at(-1)?.args[1]).toEqual({ id: "local-operator", canWrite: true, canRead: true });
  });

  it("lets the function's own answers through: 400 naming the field, 404 route_not_found", async () => {
    const authorization = `Bearer ${TOKEN}`;
    const bad = await get("/ops/api/events?limit=500", { authorization });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: "invalid_request",
      detail: "Query parameter 'limit': must be a whole number from 1 to 200.",
    });
    const nope = await get("/ops/api/nope", { authorization });
    expect(nope.status).toBe(404);
    expect(((await nope.json()) as { code: string }).code).toBe("route_not_found");
  });

  it("leaves routes without ops auth alone: the console's files (/ops, /ops/, /ops/<file>) and ingest", async () => {
    for (const path of ["/ops", "/ops/", "/ops/index.html", "/ops/app.js"]) {
      const console = await get(path);
      expect(console.status, path).toBe(200);
      expect(await console.text(), path).toBe("console");
    }
    expect(seen.map((event) => [event.routeKey, event.pathParameters?.proxy])).toEqual([
      ["GET /ops", undefined],
      ["GET /ops/{proxy+}", ""],
      ["GET /ops/{proxy+}", "index.html"],
      ["GET /ops/{proxy+}", "app.js"],
    ]);
    expect((await fetch(`${base}/webhooks/sw`, { method: "POST", body: "{}" })).status).toBe(202);
  });

  it("refuses every ops request when the server was given no token at all (never open)", async () => {
    const bare = createApiServer({
      routes: [
        {
          routeKey: "GET /ops/api/events",
          auth: "ops",
          invoke: async () => ({ statusCode: 200, body: "{}" }),
        },
      ],
    });
    await new Promise<void>((ok) => bare.listen(0, "127.0.0.1", () => ok()));
    const address = bare.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const response = await fetch(`http://127.0.0.1:${port}/ops/api/events`, {
      headers: { authorization: "Bearer x" },
    });
    expect(response.status).toBe(401);
    await new Promise<void>((ok) => bare.close(() => ok()));
  });
});

describe("opsTokenProblem", () => {
  it("tells a missing header from a wrong token", () => {
    expect(opsTokenProblem(undefined, "t")).toBe("missing");
    expect(opsTokenProblem("  ", "t")).toBe("missing");
    expect(opsTokenProblem("Bearer t", "t")).toBeUndefined();
    expect(opsTokenProblem("Bearer tt", "t")).toBe("the token is not the local ops token");
  });
});
