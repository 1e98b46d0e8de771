import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPlatform, type LocalState, startLocalPlatform } from "../../local/runtime.js";
import { emulatorEndpoints, uniqueName } from "../support/aws.js";

/**
 * The ops API on the local platform as `npm start` runs it: the ops function's production bundle in its
 * sandbox, behind the local API server's token check, on the same front door as ingest.
 *
 * These tests cover the door itself: the state file, 401 without or with a bad token, routing (404/405),
 * bad input (400 naming the parameter, checked before any use case runs), the console's files and the
 * OpenAPI document. The API on real events is `ops-api-data.test.ts`.
 */
const dir = mkdtempSync(join(tmpdir(), "webhooks-ops-api-"));
const statePath = join(dir, "stack.json");
let platform: LocalPlatform;
let state: LocalState;

beforeAll(async () => {
  const configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_e2e_ops"] }],
      subscriptions: [{ id: "audit", target: { type: "queue" } }],
      batching: { routerWindowSeconds: 0, deliveryWindowSeconds: 0 },
    }),
  );
  const endpoints = emulatorEndpoints();
  platform = await startLocalPlatform({
    configPath,
    port: 0,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    prefix: uniqueName("opsapi"),
    logLevel: process.env.TEST_FUNCTION_LOG_LEVEL ?? "SILENT",
    statePath,
  });
  state = JSON.parse(readFileSync(statePath, "utf8")) as LocalState;
});

afterAll(async () => {
  await platform?.stop();
});

const withToken = (token = state.opsToken) => ({ authorization: `Bearer ${token}` });
const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${state.opsUrl}${path}`, { headers });

describe("the local ops API", () => {
  it("is written to the state file: its base on the ingest front door, the console link, a random token", () => {
    expect(state.opsUrl).toBe(`${platform.baseUrl}/ops/api/`);
    expect(state.opsUrl.startsWith(state.ingestUrl.replace(/webhooks\/$/, ""))).toBe(true);
    expect(state.opsToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(state.consoleUrl).toBe(`${platform.baseUrl}/ops/#token=${state.opsToken}`);
    // The file holds the token: readable by its owner only.
    expect(statSync(statePath).mode & 0o077).toBe(0);
  });

  it("answers /ops/api/events without a token 401, as API Gateway's authorizer would", async () => {
    const response = await get("events");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: "Unauthorized" });
  });

  it("answers a bad token 401 with the reason in www-authenticate", async () => {
    const response = await get("events", withToken("not-the-token"));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("serves a valid OpenAPI 3.1 document with the token, naming this stack as its server", async () => {
    const response = await get("openapi.json", withToken());
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const doc = (await response.json()) as { servers: { url: string }[]; paths: Record<string, unknown> };
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(validator.version).toBe("3.1");
    expect(doc.servers).toEqual([{ url: platform.baseUrl }]);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/ops/api/events", "/webhooks/{sourceId}"]),
    );
  });

  it("answers bad input 400 naming the parameter, before any use case runs", async () => {
    const limit = await get("events?limit=0", withToken());
    expect(limit.status).toBe(400);
    expect(await limit.json()).toEqual({
      code: "invalid_request",
      detail: "Query parameter 'limit': must be a whole number from 1 to 200.",
    });
    const id = await get("events/not-an-id", withToken());
    expect(((await id.json()) as { detail: string }).detail).toMatch(
      /^Path parameter 'id': must be an event id/,
    );
    const body = await fetch(`${state.opsUrl}replays`, {
      method: "POST",
      headers: { ...withToken(), "content-type": "application/json" },
      body: JSON.stringify({ filter: { reason: "retries_exhausted" }, dryRun: true }),
    });
    expect(body.status).toBe(400);
    expect(((await body.json()) as { detail: string }).detail).toBe(
      "Body field 'filter.reason': filters dead letters: set deadLettered to true with it.",
    );
  });

  it("answers an unknown ops path 404 and a wrong method 405, as { code, detail }", async () => {
    const unknown = await get("nope", withToken());
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe("route_not_found");
    const wrongMethod = await fetch(`${state.opsUrl}subscriptions`, {
      method: "DELETE",
      headers: withToken(),
    });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    // Unknown paths are behind the token too.
    expect((await get("nope")).status).toBe(401);
  });

  it("serves the console's files without a token: /ops → /ops/, the page, its hashed script and styles", async () => {
    const redirect = await fetch(`${platform.baseUrl}/ops`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get("location") ?? "", `${platform.baseUrl}/ops`).pathname).toBe("/ops/");
    const page = await fetch(`${platform.baseUrl}/ops/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(app\.(?:js|css)\?v=[\w-]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const file = await fetch(`${platform.baseUrl}/ops/${asset}`, {
        headers: { "accept-encoding": "gzip" },
      });
      expect(file.status, asset).toBe(200);
      expect(file.headers.get("cache-control"), asset).toBe("public, max-age=31536000, immutable");
      expect(file.headers.get("content-encoding"), asset).toBe("gzip");
      // Static files only: no data, and never the token.
      expect(await file.text(), asset).not.toContain(state.opsToken);
    }
    const missing = await fetch(`${platform.baseUrl}/ops/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("not_found");
  });
});
