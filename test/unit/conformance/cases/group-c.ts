import {
  constants,
  createHash,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConformanceCase } from "../contract.js";

/**
 * JWT, Google Pub/Sub push, SendGrid. The tokens and signatures here are built by an independent
 * signer written from RFC 7515/7518 and the providers' docs on `node:crypto` alone (no jose, nothing
 * from `shared/verify`), plus SendGrid's published vector from its official SDK's tests. Pub/Sub's
 * keys are served by a real HTTP server on 127.0.0.1, started on first use and stopped in `close()`.
 * The unit tests of these verifiers reuse the signer and the server.
 */

// ---------------------------------------------------------------------------------------------------
// Independent JWS signer (compact serialisation)

const base64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/** The JWS signature of `input` under `alg` (RFC 7518 §3); `none` gives an empty signature. */
export function jwsSignature(alg: string, input: string, key: KeyObject | Buffer | undefined): Buffer {
  const data = Buffer.from(input, "ascii");
  const bits = alg.slice(2);
  if (alg === "none") {
    return Buffer.alloc(0);
  }
  if (key === undefined) {
    throw new TypeError(`${alg} needs a key`);
  }
  if (alg.startsWith("HS")) {
    return createHmac(`sha${bits}`, key).update(data).digest();
  }
  if (Buffer.isBuffer(key)) {
    throw new TypeError(`${alg} needs a private KeyObject`);
  }
  if (alg.startsWith("RS")) {
    return sign(`sha${bits}`, data, key);
  }
  if (alg.startsWith("PS")) {
    return sign(`sha${bits}`, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(bits) / 8,
    });
  }
  if (alg.startsWith("ES")) {
    // JWS wants the raw r||s form, not DER.
    return sign(`sha${bits}`, data, { key, dsaEncoding: "ieee-p1363" });
  }
  if (alg === "EdDSA") {
    return sign(null, data, key);
  }
  throw new TypeError(`unknown alg ${alg}`);
}

/** A compact JWS of JSON `header` (its `alg` picks the algorithm) and JSON `payload`. */
export function signJws(
  header: Readonly<Record<string, unknown>> & { readonly alg: string },
  payload: Readonly<Record<string, unknown>>,
  key: KeyObject | Buffer | undefined,
): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${base64url(jwsSignature(header.alg, input, key))}`;
}

/** The public half of `privateKey` as a JWK carrying `kid`, `alg` and `use: sig`. */
export function publicJwk(privateKey: KeyObject, kid: string, alg: string): JsonWebKey {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...jwk } = privateKey.export({ format: "jwk" });
  return { ...jwk, kid, alg, use: "sig" };
}

// ---------------------------------------------------------------------------------------------------
// Local JWKS server

export type JwksServerMode = "serve" | "error" | "slow" | "garbage";

export interface LocalJwksServer {
  readonly url: string;
  /** `serve` the keys, answer `error` (500), be `slow` (answer after `slowDelayMs`), or send `garbage` (200, not JSON). */
  mode: JwksServerMode;
  keys: readonly JsonWebKey[];
  /** Requests received so far. */
  readonly requests: number;
  /** Stops listening and drops every connection (a later fetch is refused). Idempotent. */
  close(): Promise<void>;
}

export async function startJwksServer(
  keys: readonly JsonWebKey[],
  slowDelayMs = 5_000,
): Promise<LocalJwksServer> {
  let mode: JwksServerMode = "serve";
  let current = keys;
  let requests = 0;
  let closed: Promise<void> | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const answer = (res: ServerResponse) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: current }));
  };
  const server = createServer((_req, res) => {
    requests += 1;
    if (mode === "error") {
      res.writeHead(500, { "content-type": "text/plain" }).end("unavailable");
    } else if (mode === "garbage") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
    } else if (mode === "slow") {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer(res);
      }, slowDelayMs);
      timers.add(timer);
    } else {
      answer(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth2/v3/certs`,
    get mode() {
      return mode;
    },
    set mode(next) {
      mode = next;
    },
    get keys() {
      return current;
    },
    set keys(next) {
      current = next;
    },
    get requests() {
      return requests;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Cases

const URL_BASE = "https://hooks.example.test/webhooks";
/** Plain SHA-256 of the body (not an HMAC): what Plaid puts in `request_body_sha256`. */
const sha256Hex = (body: string) => createHash("sha256").update(body, "utf8").digest("hex");

const ec256 = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const rsa2048 = () => generateKeyPairSync("rsa", { modulusLength: 2048 });

// Plaid: ES256, the JWK fetched by `kid` configured as the secret, `request_body_sha256`, iat ≤ 5 min.
const plaid = ec256();
const plaidOther = ec256();
const PLAID_KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001";
const plaidJwk = (key: KeyObject) =>
  JSON.stringify({ ...publicJwk(key, PLAID_KID, "ES256"), created_at: 1560466150, expired_at: null });
const plaidBody = JSON.stringify({
  environment: "sandbox",
  item_id: "wz666MBjYWTp2PDzzggYhM6oWWmBb",
  webhook_code: "SYNC_UPDATES_AVAILABLE",
  webhook_type: "TRANSACTIONS",
});

// A generic RS256 bearer token with a PEM public key, issuer, audience, jti and a type claim.
const issuerKeys = rsa2048();
const otherIssuerKeys = rsa2048();
const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" }).toString();

// HS256 with a shared secret and a body hash.
const HS_SECRET = "jwt-conformance-shared-secret-0123456789";

// Google Pub/Sub: RS256 OIDC token from a local JWKS server, plus the optional URL verification token.
const google = rsa2048();
const GOOGLE_KID = "f5f4bf46e52b31d9b6249f7309ad0338400680cd";
const PUBSUB_AUDIENCE = "https://hooks.example.test/webhooks/pubsub";
const PUBSUB_EMAIL = "pubsub-push@example-project.iam.gserviceaccount.com";
let googleJwks: Promise<LocalJwksServer> | undefined;
let googleJwksUrl: string | undefined;
const startGoogleJwks = async () => {
  googleJwks ??= startJwksServer([publicJwk(google.privateKey, GOOGLE_KID, "RS256")]);
  const server = await googleJwks;
  googleJwksUrl = server.url;
  return server;
};
const pubsubBody = JSON.stringify({
  message: {
    attributes: { eventType: "OBJECT_FINALIZE", bucketId: "example-bucket" },
    data: Buffer.from(JSON.stringify({ name: "report.csv" })).toString("base64"),
    messageId: "2070443601311540",
    message_id: "2070443601311540",
    publishTime: "2021-02-26T19:13:55.749Z",
    publish_time: "2021-02-26T19:13:55.749Z",
  },
  subscription: "projects/example-project/subscriptions/webhooks-push",
});

// SendGrid: P-256 keys shown as base64 SPKI.
const sendgrid = ec256();
const sendgridOther = ec256();
const spkiBase64 = (key: KeyObject) => key.export({ format: "der", type: "spki" }).toString("base64");
const sendgridBody = `${JSON.stringify([
  {
    email: "alex@example.com",
    event: "processed",
    sg_event_id: "rbtnWrG1DVDGGGFHFyun0A==",
    sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
    timestamp: 1513299569,
  },
  {
    email: "alex@example.com",
    event: "delivered",
    sg_event_id: "Bn2nEAmwtEzC8IJ0vRRwKg==",
    sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
    timestamp: 1513299570,
  },
])}\r\n`;

// SendGrid's own SDK test vector (sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js).
const SENDGRID_VECTOR = {
  publicKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
  otherKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==",
  signature:
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
  timestamp: "1588788367",
  body: JSON.stringify({ category: "example_payload", event: "test_event", message_id: "message_id" }),
};

export const groupCCases: ConformanceCase[] = [
  {
    provider: "jwt",
    name: "Plaid-Verification: ES256 with a static JWK and request_body_sha256",
    origin: "independent-signer",
    secrets: [plaidJwk(plaid.privateKey)],
    options: {
      header: "Plaid-Verification",
      algorithms: ["ES256"],
      bodyHashClaim: "request_body_sha256",
      maxAgeSeconds: 300,
    },
    build: (now) => ({
      headers: {
        "plaid-verification": signJws(
          { alg: "ES256", kid: PLAID_KID, typ: "JWT" },
          { iat: now - 5, request_body_sha256: sha256Hex(plaidBody) },
          plaid.privateKey,
        ),
        "content-type": "application/json",
      },
      body: Buffer.from(plaidBody),
      url: `${URL_BASE}/plaid`,
      method: "POST",
    }),
    expected: { eventType: "TRANSACTIONS.SYNC_UPDATES_AVAILABLE" },
    bodySigned: true,
    credentialHeaders: ["plaid-verification"],
    // Same kid, another key: a rotated-out or forged key must not verify.
    otherSecrets: [plaidJwk(plaidOther.privateKey)],
  },
  {
    provider: "jwt",
    name: "Authorization: Bearer RS256 with a PEM public key, iss, aud, jti",
    origin: "independent-signer",
    secrets: [pem(issuerKeys.publicKey)],
    options: {
      algorithms: ["RS256", "ES256"],
      issuer: "https://issuer.example.test",
      audience: ["https://hooks.example.test", "webhooks"],
      typeClaim: "event_type",
    },
    build: (now) => ({
      headers: {
        authorization: `Bearer ${signJws(
          { alg: "RS256", typ: "JWT" },
          {
            iss: "https://issuer.example.test",
            aud: "webhooks",
            iat: now,
            exp: now + 300,
            jti: "evt_01HZX3K9Q2",
            event_type: "order.created",
          },
          issuerKeys.privateKey,
        )}`,
        "content-type": "application/json",
      },
      body: Buffer.from(JSON.stringify({ type: "ignored.because.claim", order: { id: 1 } })),
      url: `${URL_BASE}/jwt`,
      method: "POST",
    }),
    expected: { deliveryId: "evt_01HZX3K9Q2", deliveryIdSigned: true, eventType: "order.created" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: [pem(otherIssuerKeys.publicKey)],
  },
  {
    provider: "jwt",
    name: "HS256 shared secret with a body hash claim",
    origin: "independent-signer",
    secrets: [HS_SECRET],
    options: { algorithms: ["HS256"], bodyHashClaim: "body_sha256", maxAgeSeconds: 600 },
    build: (now) => {
      const body = JSON.stringify({ type: "invoice.paid", id: "inv_1" });
      return {
        headers: {
          authorization: `Bearer ${signJws(
            { alg: "HS256", typ: "JWT" },
            { iat: now, jti: "hs-1", body_sha256: sha256Hex(body) },
            Buffer.from(HS_SECRET),
          )}`,
        },
        body: Buffer.from(body),
        url: `${URL_BASE}/hs`,
        method: "POST",
      };
    },
    expected: { deliveryId: "hs-1", deliveryIdSigned: true, eventType: "invoice.paid" },
    bodySigned: true,
    credentialHeaders: ["authorization"],
    otherSecrets: [`${HS_SECRET}-rotated`],
  },
  {
    provider: "google-pubsub",
    name: "push with an OIDC token from a local JWKS, and a URL verification token",
    origin: "independent-signer",
    secrets: ["pubsub-verification-token-1"],
    get options() {
      // Read by the suite after `build` started the key server.
      return {
        audience: PUBSUB_AUDIENCE,
        serviceAccountEmail: PUBSUB_EMAIL,
        jwksUrl: googleJwksUrl ?? "http://127.0.0.1:9/not-started",
      };
    },
    build: async (now) => {
      await startGoogleJwks();
      const token = signJws(
        { alg: "RS256", kid: GOOGLE_KID, typ: "JWT" },
        {
          aud: PUBSUB_AUDIENCE,
          azp: "118107166433431178000",
          email: PUBSUB_EMAIL,
          email_verified: true,
          exp: now + 3600,
          iat: now,
          iss: "https://accounts.google.com",
          sub: "118107166433431178000",
        },
        google.privateKey,
      );
      return {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: Buffer.from(pubsubBody),
        url: `${PUBSUB_AUDIENCE}?token=pubsub-verification-token-1`,
        method: "POST",
      };
    },
    expected: { deliveryId: "2070443601311540", deliveryIdSigned: false, eventType: "OBJECT_FINALIZE" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["pubsub-verification-token-0"],
    close: async () => {
      if (googleJwks) await (await googleJwks).close();
    },
  },
  {
    provider: "sendgrid",
    name: "published vector from the official SDK's tests",
    origin: "published-vector",
    secrets: [SENDGRID_VECTOR.publicKey],
    nowSeconds: Number(SENDGRID_VECTOR.timestamp),
    build: () => ({
      headers: {
        "x-twilio-email-event-webhook-signature": SENDGRID_VECTOR.signature,
        "x-twilio-email-event-webhook-timestamp": SENDGRID_VECTOR.timestamp,
      },
      body: Buffer.from(SENDGRID_VECTOR.body),
      url: `${URL_BASE}/sendgrid`,
      method: "POST",
    }),
    expected: { eventType: "test_event" },
    bodySigned: true,
    credentialHeaders: ["x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp"],
    otherSecrets: [SENDGRID_VECTOR.otherKey],
  },
  {
    provider: "sendgrid",
    name: "ECDSA P-256 over timestamp + body, DER signature, base64 SPKI key",
    origin: "independent-signer",
    secrets: [spkiBase64(sendgrid.publicKey)],
    build: (now) => {
      const timestamp = String(now);
      const signature = sign("sha256", Buffer.from(timestamp + sendgridBody), {
        key: sendgrid.privateKey,
        dsaEncoding: "der",
      });
      return {
        headers: {
          "x-twilio-email-event-webhook-signature": signature.toString("base64"),
          "x-twilio-email-event-webhook-timestamp": timestamp,
          "content-type": "application/json",
        },
        body: Buffer.from(sendgridBody),
        url: `${URL_BASE}/sendgrid`,
        method: "POST",
      };
    },
    expected: {
      deliveryId: "Bn2nEAmwtEzC8IJ0vRRwKg==,rbtnWrG1DVDGGGFHFyun0A==",
      deliveryIdSigned: true,
      eventType: "sendgrid.batch",
    },
    bodySigned: true,
    credentialHeaders: ["x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp"],
    otherSecrets: [spkiBase64(sendgridOther.publicKey)],
  },
];
