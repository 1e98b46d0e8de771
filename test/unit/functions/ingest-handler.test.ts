import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../../shared/config/env.js";
import { type LocalJwksServer, publicJwk, signJws, startJwksServer } from "../../support/jws.js";

const fixture = JSON.parse(
  readFileSync("test/fixtures/events/api-gateway-v2/post-webhook-github.json", "utf8"),
) as APIGatewayProxyEventV2;
const context = {
  functionName: "ingest",
  awsRequestId: "req-1",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;
type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
let handler: Handler;
const jwtKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
let jwks: LocalJwksServer;

beforeAll(async () => {
  // A key set on loopback, as a jwksUrl pointing at the function's own machine would be.
  jwks = await startJwksServer([publicJwk(jwtKey, "k1", "RS256")]);
  const dir = mkdtempSync(join(tmpdir(), "ingest-handler-"));
  const configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      sources: [
        { id: "gh", provider: "github", secrets: ["another secret"] },
        { id: "jwt", provider: "jwt", options: { algorithms: ["RS256"], jwksUrl: jwks.url } },
      ],
      subscriptions: [],
    }),
  );
  // These requests are refused before any AWS call, so the endpoints are never contacted. The
  // environment is a deployed function's: neither destination switch is set.
  delete process.env[ENV.allowPrivateDestinations];
  delete process.env[ENV.localAllowLoopback];
  Object.assign(process.env, {
    [ENV.config]: configPath,
    [ENV.eventTable]: "unused",
    [ENV.payloadBucket]: "unused",
    AWS_REGION: "us-east-1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  handler = (await import("../../../functions/ingest/handler.js")).handler as unknown as Handler;
});

afterAll(async () => {
  await jwks.close();
});

describe("ingest handler, fed a recorded API Gateway v2 event", () => {
  it("answers 401 { code, detail } when the signature was made with another secret", async () => {
    const response = await handler(fixture, context);
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(String(response.body))).toEqual({
      code: "invalid_signature",
      detail: "The webhook signature could not be verified.",
    });
  });

  it("answers 404 for a source that is not configured", async () => {
    const response = await handler(
      { ...fixture, pathParameters: { sourceId: "stripe" }, rawPath: "/webhooks/stripe" },
      context,
    );
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(String(response.body)).code).toBe("unknown_source");
  });

  it("fetches a jwksUrl through the SSRF guard: a loopback key set is never contacted and the answer is 503", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signJws({ alg: "RS256", kid: "k1" }, { exp: now + 300, jti: "evt-1" }, jwtKey);
    const response = await handler(
      {
        ...fixture,
        pathParameters: { sourceId: "jwt" },
        rawPath: "/webhooks/jwt",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ type: "order.created" }),
        isBase64Encoded: false,
      },
      context,
    );
    expect(jwks.requests).toBe(0);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(String(response.body)).code).toBe("verification_unavailable");
  });

  /** The same request as API Gateway's `$default` route hands it over when no other route matched. */
  const unmatched = (method: string, path: string): APIGatewayProxyEventV2 => {
    const { pathParameters: _none, ...rest } = fixture;
    return {
      ...rest,
      routeKey: "$default",
      rawPath: path,
      requestContext: {
        ...fixture.requestContext,
        routeKey: "$default",
        http: { ...fixture.requestContext.http, method, path },
      },
    };
  };

  it("answers 405 method_not_allowed with allow: POST for another method on /webhooks/{sourceId}", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const response = await handler(unmatched(method, "/webhooks/gh"), context);
      expect(response.statusCode).toBe(405);
      expect(response.headers?.allow).toBe("POST");
      expect(JSON.parse(String(response.body))).toEqual({
        code: "method_not_allowed",
        detail: `/webhooks/gh does not answer ${method}; send webhooks with POST.`,
      });
    }
  });

  it("answers 404 route_not_found naming the method, the path and where webhooks go", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["POST", "/webhooks"],
      ["POST", "/webhooks/gh/extra"],
      ["POST", "/hooks/gh"],
    ] as const) {
      const response = await handler(unmatched(method, path), context);
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(String(response.body))).toEqual({
        code: "route_not_found",
        detail: `No route for ${method} ${path}; webhooks go to POST /webhooks/{sourceId}.`,
      });
    }
  });
});
