import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { signGithub } from "../../shared/verify/sign.js";
import { collectMessages, sqsClient } from "../support/aws.js";
import { signJws } from "../support/jws.js";
import { head, type RawResponse, rawRequest } from "../support/raw-http.js";
import { startTestPlatform } from "../support/test-platform.js";

/**
 * The catalogue of bad requests, sent through the local runtime (API server, ingest sandbox, emulators).
 * Every one gets its status and a JSON `{ code, detail }` body with no stack trace, and none of them
 * enqueues anything: the `audit` queue subscription sees every event that reaches the ingress queue,
 * and at the end it holds only the events of the requests that were meant to be accepted.
 */

const sqs = sqsClient();
let platform: LocalPlatform;
/** Event ids answered 202 on purpose (the first send of the replayed request). */
const accepted: string[] = [];

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = rsa.publicKey.export({ format: "pem", type: "spki" }).toString();
const ISSUER = "https://issuer.example.test";
const AUDIENCE = "webhooks-bad-requests";
const TOKEN = "tok_bad_requests_0123456789";

const sources = {
  stripe: { id: "stripe", provider: "stripe" as const, secrets: ["whsec_bad_requests_stripe"] },
  gh: { id: "gh", provider: "github" as const, secrets: ["bad-requests-github"] },
  small: { id: "small", provider: "github" as const, secrets: ["bad-requests-github"], maxBodyBytes: 1024 },
  sw: {
    id: "sw",
    provider: "standard-webhooks" as const,
    secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
  },
  swShort: {
    id: "sw-short",
    provider: "standard-webhooks" as const,
    secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
    toleranceSeconds: 2,
  },
  tok: { id: "tok", provider: "token" as const, secrets: [TOKEN] },
  jwt: {
    id: "jwt",
    provider: "jwt" as const,
    secrets: [publicPem],
    options: { algorithms: ["RS256", "HS256"], issuer: ISSUER, audience: AUDIENCE },
  },
  slack: { id: "slack", provider: "slack" as const, secrets: ["8f742231b10e8888abcd99yyyzzz85a5"] },
  twilio: { id: "twilio", provider: "twilio" as const, secrets: ["twilio-auth-token"] },
  mailgun: { id: "mailgun", provider: "mailgun" as const, secrets: ["mailgun-signing-key"] },
};

const nowSeconds = () => Math.floor(Date.now() / 1000);
const JWT_BODY = JSON.stringify({ type: "order.created", order: { id: 1 } });
const jwtClaims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  jti: `jti-${Math.random().toString(36).slice(2)}`,
  ...extra,
});
const validJwt = () => signJws({ alg: "RS256" }, jwtClaims(), rsa.privateKey);

async function post(
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
  method = "POST",
): Promise<RawResponse> {
  const response = await fetch(`${platform.baseUrl}${path}`, {
    method,
    headers,
    ...(method === "GET" || method === "HEAD" ? {} : { body }),
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

const send = (sourceId: string, request: { headers: Record<string, string>; body: string | Buffer }) =>
  post(`/webhooks/${sourceId}`, request.headers, request.body);

/** A request written byte for byte: `lines` are the request line and headers; the body follows. */
function raw(lines: readonly string[], body = ""): Promise<RawResponse> {
  const withLength = body.length > 0 ? [...lines, `Content-Length: ${Buffer.byteLength(body)}`] : lines;
  return rawRequest(platform.baseUrl, head(...withLength, "Host: 127.0.0.1", "Connection: close") + body);
}

/** The same signed request with each of `repeat` sent twice, as separate header lines. */
function withRepeatedHeaders(
  sourceId: string,
  request: { headers: Record<string, string>; body: string },
  repeat: Readonly<Record<string, string>>,
): Promise<RawResponse> {
  const lines = [`POST /webhooks/${sourceId} HTTP/1.1`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
  for (const [name, value] of Object.entries(repeat)) lines.push(`${name}: ${value}`);
  return raw(lines, request.body);
}

function githubRequest(body: Buffer | string, secret = "bad-requests-github") {
  return {
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": signGithub({ body, secret }),
    },
    body,
  };
}

interface Case {
  readonly name: string;
  readonly request: () => Promise<RawResponse>;
  readonly status: number;
  readonly code: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const STACK_TRACE = /\n\s+at |node:internal|\.[cm]?[jt]s:\d+|URIError|TypeError|Invalid URL/;

const cases: Case[] = [
  // The request target
  {
    name: "a target with a truncated UTF-8 percent-escape (/webhooks/%E0%A4%A)",
    request: () => raw(["POST /webhooks/%E0%A4%A HTTP/1.1", "Content-Type: application/json"], "{}"),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a target ending in a bare '%' (/webhooks/sw%)",
    request: () => raw(["POST /webhooks/sw% HTTP/1.1", "Content-Type: application/json"], "{}"),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a target that is no URL path (GET //[/x)",
    request: () => raw(["GET //[/x HTTP/1.1"]),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a target that is not a path (OPTIONS *)",
    request: () => raw(["OPTIONS * HTTP/1.1"]),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "bytes that are not HTTP",
    request: () => rawRequest(platform.baseUrl, "HELLO\r\n\r\n"),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a body shorter than its Content-Length (the sender stops)",
    request: () =>
      rawRequest(
        platform.baseUrl,
        `${head(
          "POST /webhooks/gh HTTP/1.1",
          "Host: 127.0.0.1",
          "Content-Type: application/json",
          "Content-Length: 100",
        )}{"action":"op`,
        { halfClose: true },
      ),
    status: 400,
    code: "invalid_request",
  },
  // Routes and methods
  {
    name: "an unknown route (GET /nope)",
    request: () => post("/nope", {}, "", "GET"),
    status: 404,
    code: "route_not_found",
  },
  {
    name: "an unknown route (POST /webhooks)",
    request: () => post("/webhooks", { "content-type": "application/json" }, "{}"),
    status: 404,
    code: "route_not_found",
  },
  {
    name: "a nested path under /webhooks (POST /webhooks/sw/extra)",
    request: () => post("/webhooks/sw/extra", { "content-type": "application/json" }, "{}"),
    status: 404,
    code: "route_not_found",
  },
  {
    name: "GET on /webhooks/{sourceId}",
    request: () => post("/webhooks/sw", {}, "", "GET"),
    status: 405,
    code: "method_not_allowed",
    headers: { allow: "POST" },
  },
  {
    name: "PUT on /webhooks/{sourceId}",
    request: () => post("/webhooks/sw", { "content-type": "application/json" }, "{}", "PUT"),
    status: 405,
    code: "method_not_allowed",
    headers: { allow: "POST" },
  },
  {
    name: "an unknown source",
    request: () => send("nope", signedTestWebhook(sources.gh)),
    status: 404,
    code: "unknown_source",
  },
  // Repeated headers (API Gateway joins them with ',')
  {
    name: "a valid bearer token followed by a second Authorization header (token)",
    request: () =>
      withRepeatedHeaders(
        "tok",
        {
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: '{"type":"a"}',
        },
        { authorization: "Bearer junk" },
      ),
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a valid JWT followed by a second Authorization header (jwt)",
    request: () =>
      withRepeatedHeaders(
        "jwt",
        {
          headers: { authorization: `Bearer ${validJwt()}`, "content-type": "application/json" },
          body: JWT_BODY,
        },
        { authorization: "junk" },
      ),
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "Stripe-Signature sent twice",
    request: () => {
      const request = signedTestWebhook(sources.stripe);
      return withRepeatedHeaders("stripe", request, {
        "stripe-signature": request.headers["stripe-signature"] ?? "",
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "X-Hub-Signature-256 sent twice",
    request: () => {
      const request = signedTestWebhook(sources.gh);
      return withRepeatedHeaders("gh", request, {
        "x-hub-signature-256": request.headers["x-hub-signature-256"] ?? "",
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "webhook-signature sent twice",
    request: () => {
      const request = signedTestWebhook(sources.sw);
      return withRepeatedHeaders("sw", request, {
        "webhook-signature": request.headers["webhook-signature"] ?? "",
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  // Signature headers
  {
    name: "a missing signature header",
    request: () => {
      const { "x-hub-signature-256": _gone, ...headers } = signedTestWebhook(sources.gh).headers;
      return send("gh", { headers, body: signedTestWebhook(sources.gh).body });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a malformed signature header",
    request: () => {
      const request = signedTestWebhook(sources.stripe);
      return send("stripe", { ...request, headers: { ...request.headers, "stripe-signature": "garbage" } });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a signed timestamp 10 minutes in the past",
    request: () => send("stripe", signedTestWebhook(sources.stripe, { nowSeconds: nowSeconds() - 600 })),
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a signed timestamp 10 minutes in the future",
    request: () => send("stripe", signedTestWebhook(sources.stripe, { nowSeconds: nowSeconds() + 600 })),
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a replay of a valid request after its window",
    request: async () => {
      const request = signedTestWebhook(sources.swShort);
      const first = await send("sw-short", request);
      expect(first.status).toBe(202);
      accepted.push((JSON.parse(first.body) as { id: string }).id);
      // The window is 2 s: wait until the signed timestamp is older than that.
      const signedAt = Number(request.headers["webhook-timestamp"]);
      while (nowSeconds() <= signedAt + 2) await new Promise((r) => setTimeout(r, 250));
      return send("sw-short", request);
    },
    status: 401,
    code: "invalid_signature",
  },
  // Bodies
  {
    name: "a body over the source's maxBodyBytes",
    request: () => send("small", githubRequest(JSON.stringify({ blob: "x".repeat(2048) }))),
    status: 413,
    code: "payload_too_large",
  },
  {
    name: "a truncated body",
    request: () => {
      const request = githubRequest(JSON.stringify({ action: "opened", issue: { number: 1 } }));
      return send("gh", { ...request, body: request.body.slice(0, 20) });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a body declared JSON that is not UTF-8",
    request: () => send("gh", githubRequest(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "a content type Slack never sends",
    request: () => send("slack", { headers: { "content-type": "text/plain" }, body: "hello" }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "a content type Twilio never sends",
    request: () => send("twilio", { headers: { "content-type": "text/xml" }, body: "<a/>" }),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "a content type Mailgun never sends",
    request: () => send("mailgun", { headers: { "content-type": "text/plain" }, body: "hello" }),
    status: 415,
    code: "unsupported_media_type",
  },
  // JWT
  {
    name: "a JWT with alg none",
    request: () => {
      const token = signJws({ alg: "none" }, jwtClaims(), undefined);
      return send("jwt", {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JWT_BODY,
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "an HS256 JWT keyed with the configured public key's text",
    request: () => {
      const token = signJws({ alg: "HS256" }, jwtClaims(), Buffer.from(publicPem));
      return send("jwt", {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JWT_BODY,
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "an expired JWT",
    request: () => {
      const token = signJws(
        { alg: "RS256" },
        jwtClaims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }),
        rsa.privateKey,
      );
      return send("jwt", {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JWT_BODY,
      });
    },
    status: 401,
    code: "invalid_signature",
  },
  {
    name: "a JWT for another audience",
    request: () => {
      const token = signJws({ alg: "RS256" }, jwtClaims({ aud: "someone-else" }), rsa.privateKey);
      return send("jwt", {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JWT_BODY,
      });
    },
    status: 401,
    code: "invalid_signature",
  },
];

beforeAll(async () => {
  platform = await startTestPlatform("bad-requests", {
    sources: Object.values(sources),
    subscriptions: [{ id: "audit", target: { type: "queue" } }],
  });
});

afterAll(async () => {
  await platform?.stop();
});

describe("bad requests through the local runtime", () => {
  it.each(cases)("$name → $status $code", async ({ request, status, code, headers }) => {
    const response = await request();
    expect(response.status).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(response.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["code", "detail"]);
    expect(body.code).toBe(code);
    expect(typeof body.detail).toBe("string");
    expect(String(body.detail)).not.toMatch(STACK_TRACE);
    for (const [name, value] of Object.entries(headers ?? {})) expect(response.headers[name]).toBe(value);
  });

  it("still accepts a valid webhook after all of them (the process did not die)", async () => {
    const response = await send("sw", signedTestWebhook(sources.sw));
    expect(response.status).toBe(202);
    accepted.push((JSON.parse(response.body) as { id: string }).id);
  });

  it("enqueued nothing for any of them: only the accepted events reached the ingress queue", async () => {
    const ids = (messages: readonly { Body?: string }[]) =>
      messages.map((m) => parseCloudEvent(m.Body ?? "").id);
    const messages = await collectMessages(sqs, platform.queues.audit?.url ?? "", {
      timeoutMs: 8_000,
      until: (all) => accepted.every((id) => ids(all).includes(id)),
    });
    // A wrongly enqueued event would be routed within the same few seconds; give it that time.
    messages.push(...(await collectMessages(sqs, platform.queues.audit?.url ?? "", { timeoutMs: 2_000 })));
    expect(ids(messages).sort()).toEqual([...accepted].sort());
  });
});
