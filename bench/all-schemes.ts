import { createHash, createHmac, generateKeyPairSync, sign as signAsymmetric } from "node:crypto";
import { type ProviderName, parseProviderOptions } from "../shared/verify/catalog.js";
import { verifierFor } from "../shared/verify/registry.js";
import type { InboundRequest } from "../shared/verify/types.js";
import { type BenchRow, bodyOf, compare, row } from "./verifiers.js";

/**
 * Every remaining scheme at 1 KiB and 64 KiB, signed here with node:crypto (independently of
 * shared/verify), against raw `createHmac("sha256", key).update(body).digest()` on the same body bytes.
 * Linear also parses the body (its timestamp is in it), Twilio hashes it (bodySHA256), Mailgun signs
 * only a timestamp and token, token/basic sign nothing; their rows say so.
 */
interface Scheme {
  readonly provider: ProviderName;
  readonly label?: string;
  readonly secret: string;
  readonly options?: unknown;
  /** Builds the request for a body (a JSON document), at `now`. */
  readonly request: (body: Buffer, now: number) => InboundRequest;
  /** Whether to rebuild the body (schemes that need fields in it). */
  readonly body?: (bytes: number, now: number) => Buffer;
  /**
   * Also measure with the body already parsed, as ingest runs it: ingest parses a JSON body once and
   * shares it between `verify` and `identify` (which needs the event type from it for every provider).
   */
  readonly sharedParseRow?: string;
}

const KEY = "bench-secret-0123456789abcdef";
const hmac = (alg: string, key: string | Buffer, ...parts: (string | Buffer)[]) => {
  const h = createHmac(alg, key);
  for (const part of parts) h.update(part);
  return h.digest();
};
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const sendgridKey = ec.publicKey.export({ format: "der", type: "spki" }).toString("base64");
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ format: "pem", type: "spki" }).toString();
const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

function jsonBody(bytes: number, fields: Record<string, unknown>): Buffer {
  const head = JSON.stringify(fields).slice(0, -1);
  const pad = Math.max(0, bytes - head.length - ',"pad":""}'.length);
  return Buffer.from(`${head},"pad":"${"x".repeat(pad)}"}`);
}

const SCHEMES: Scheme[] = [
  {
    provider: "slack",
    secret: KEY,
    request: (body, now) => ({
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(now),
        "x-slack-signature": `v0=${hmac("sha256", KEY, `v0:${now}:`, body).toString("hex")}`,
      },
      rawBody: body,
    }),
  },
  {
    provider: "shopify",
    secret: KEY,
    request: (body) => ({
      headers: { "x-shopify-hmac-sha256": hmac("sha256", KEY, body).toString("base64") },
      rawBody: body,
    }),
  },
  {
    provider: "square",
    secret: KEY,
    request: (body) => {
      const url = "https://hooks.example.test/webhooks/square";
      return {
        headers: { "x-square-hmacsha256-signature": hmac("sha256", KEY, url, body).toString("base64") },
        rawBody: body,
        url,
      };
    },
  },
  {
    provider: "paddle",
    secret: KEY,
    request: (body, now) => ({
      headers: { "paddle-signature": `ts=${now};h1=${hmac("sha256", KEY, `${now}:`, body).toString("hex")}` },
      rawBody: body,
    }),
  },
  {
    provider: "pagerduty",
    secret: KEY,
    request: (body) => ({
      headers: { "x-pagerduty-signature": `v1=${hmac("sha256", KEY, body).toString("hex")}` },
      rawBody: body,
    }),
  },
  {
    provider: "linear",
    label: "linear (also parses the body for webhookTimestamp)",
    sharedParseRow: "linear, body parse shared with identify (as ingest runs it)",
    secret: KEY,
    body: (bytes, now) => jsonBody(bytes, { type: "Issue", action: "create", webhookTimestamp: now * 1000 }),
    request: (body) => ({
      headers: { "linear-signature": hmac("sha256", KEY, body).toString("hex") },
      rawBody: body,
    }),
  },
  {
    provider: "intercom",
    label: "intercom (HMAC-SHA1)",
    secret: KEY,
    request: (body) => ({
      headers: { "x-hub-signature": `sha1=${hmac("sha1", KEY, body).toString("hex")}` },
      rawBody: body,
    }),
  },
  {
    provider: "hubspot",
    secret: KEY,
    request: (body, now) => {
      const url = "https://hooks.example.test/webhooks/hubspot";
      const ts = String(now * 1000);
      return {
        headers: {
          "x-hubspot-request-timestamp": ts,
          "x-hubspot-signature-v3": hmac("sha256", KEY, "POST", url, body, ts).toString("base64"),
        },
        rawBody: body,
        url,
        method: "POST",
      };
    },
  },
  {
    provider: "zoom",
    secret: KEY,
    request: (body, now) => ({
      headers: {
        "x-zm-request-timestamp": String(now),
        "x-zm-signature": `v0=${hmac("sha256", KEY, `v0:${now}:`, body).toString("hex")}`,
      },
      rawBody: body,
    }),
  },
  {
    provider: "twitch",
    secret: KEY,
    request: (body, now) => {
      const id = "e76c6bd4-55c9-4987-8304-da1588d8988b";
      const ts = new Date(now * 1000).toISOString();
      return {
        headers: {
          "twitch-eventsub-message-id": id,
          "twitch-eventsub-message-timestamp": ts,
          "twitch-eventsub-message-type": "notification",
          "twitch-eventsub-message-signature": `sha256=${hmac("sha256", KEY, id, ts, body).toString("hex")}`,
        },
        rawBody: body,
      };
    },
  },
  {
    provider: "lemonsqueezy",
    secret: KEY,
    request: (body) => ({
      headers: { "x-signature": hmac("sha256", KEY, body).toString("hex") },
      rawBody: body,
    }),
  },
  {
    provider: "hmac",
    label: "hmac (generic: sha256, {timestamp}.{body}, base64)",
    secret: KEY,
    options: {
      algorithm: "sha256",
      header: "x-signature",
      encoding: "base64",
      timestampHeader: "x-timestamp",
      signedContent: "{timestamp}.{body}",
    },
    request: (body, now) => ({
      headers: {
        "x-timestamp": String(now),
        "x-signature": hmac("sha256", KEY, `${now}.`, body).toString("base64"),
      },
      rawBody: body,
    }),
  },
  {
    provider: "twilio",
    label: "twilio (JSON: SHA-256 of the body + HMAC-SHA1 of the URL)",
    secret: KEY,
    request: (body) => {
      const url = `https://hooks.example.test/webhooks/twilio?bodySHA256=${createHash("sha256").update(body).digest("hex")}`;
      return {
        headers: {
          "content-type": "application/json",
          "x-twilio-signature": hmac("sha1", KEY, url).toString("base64"),
        },
        rawBody: body,
        url,
      };
    },
  },
  {
    provider: "mailgun",
    label: "mailgun (signs timestamp + token only; parses the JSON body)",
    secret: KEY,
    body: (bytes, now) => {
      const token = "a".repeat(50);
      const signature = hmac("sha256", KEY, `${now}${token}`).toString("hex");
      return jsonBody(bytes, {
        signature: { timestamp: String(now), token, signature },
        "event-data": { event: "delivered" },
      });
    },
    request: (body) => ({ headers: { "content-type": "application/json" }, rawBody: body }),
  },
  {
    provider: "sendgrid",
    label: "sendgrid (ECDSA P-256)",
    secret: sendgridKey,
    body: (bytes) =>
      Buffer.from(`[${jsonBody(bytes - 2, { event: "delivered", sg_event_id: "sg_1" }).toString()}]`),
    request: (body, now) => ({
      headers: {
        "x-twilio-email-event-webhook-timestamp": String(now),
        "x-twilio-email-event-webhook-signature": signAsymmetric(
          "sha256",
          Buffer.concat([Buffer.from(String(now)), body]),
          ec.privateKey,
        ).toString("base64"),
      },
      rawBody: body,
    }),
  },
  {
    provider: "token",
    label: "token (no signature over the body)",
    secret: KEY,
    request: (body) => ({ headers: { authorization: `Bearer ${KEY}` }, rawBody: body }),
  },
  {
    provider: "basic",
    label: "basic (no signature over the body)",
    secret: `user:${KEY}`,
    request: (body) => ({
      headers: { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString("base64")}` },
      rawBody: body,
    }),
  },
  {
    provider: "jwt",
    label: "jwt (RS256, static key, body-hash claim; async)",
    secret: rsaPem,
    options: {
      algorithms: ["RS256"],
      header: "plaid-verification",
      bodyHashClaim: "request_body_sha256",
      maxAgeSeconds: 300,
    },
    request: (body, now) => {
      const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
      const claims = b64url(
        JSON.stringify({ iat: now, request_body_sha256: createHash("sha256").update(body).digest("hex") }),
      );
      const signature = b64url(signAsymmetric("sha256", Buffer.from(`${header}.${claims}`), rsa.privateKey));
      return { headers: { "plaid-verification": `${header}.${claims}.${signature}` }, rawBody: body };
    },
  },
];

/** Async verifiers (JWT) are timed with awaited calls: ops/s over a fixed count. */
async function compareAsync(operation: () => Promise<unknown>, baseline: () => unknown) {
  for (let i = 0; i < 200; i++) await operation();
  const count = 2_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await operation();
  const opNs = Number(process.hrtime.bigint() - t0);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) baseline();
  const baseNs = Number(process.hrtime.bigint() - t1);
  return { opsPerSec: (count * 1e9) / opNs, baselineOpsPerSec: (count * 1e9) / baseNs };
}

export async function benchAllSchemes(): Promise<BenchRow[]> {
  const now = Math.floor(Date.now() / 1000);
  const key = Buffer.from(KEY);
  const rows: BenchRow[] = [];
  for (const size of [
    { label: "1 KiB", bytes: 1024 },
    { label: "64 KiB", bytes: 64 * 1024 },
  ]) {
    for (const scheme of SCHEMES) {
      const body = scheme.body?.(size.bytes, now) ?? bodyOf(size.bytes);
      const request = scheme.request(body, now);
      const verifier = verifierFor(scheme.provider);
      const context = {
        secrets: [scheme.secret],
        nowSeconds: now,
        toleranceSeconds: 300,
        options: parseProviderOptions(scheme.provider, scheme.options),
      };
      const baseline = () => createHmac("sha256", key).update(body).digest();
      const first = verifier.verify(request, context);
      if (first instanceof Promise) {
        await first; // fails loudly if the request does not verify
        rows.push(
          row(
            scheme.label ?? scheme.provider,
            size.label,
            await compareAsync(async () => verifier.verify(request, context), baseline),
          ),
        );
      } else {
        rows.push(
          row(
            scheme.label ?? scheme.provider,
            size.label,
            compare(() => verifier.verify(request, context), baseline),
          ),
        );
      }
      if (scheme.sharedParseRow !== undefined) {
        const parsed: unknown = JSON.parse(body.toString("utf8"));
        const shared = { ...context, json: () => parsed };
        rows.push(
          row(
            scheme.sharedParseRow,
            size.label,
            compare(() => verifier.verify(request, shared), baseline),
          ),
        );
      }
      await new Promise((r) => setImmediate(r));
    }
  }
  return rows;
}
