import { createHash, type KeyObject } from "node:crypto";
import { publicJwk, signJws } from "../../../support/jws.js";
import { BASE_URL, ec256, rsa2048 } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Generic JWT (Plaid among them): conformance cases built from an independent signer written from the
 * provider's documentation on node:crypto alone (it shares no code with shared/verify).
 */

/** Plain SHA-256 of the body (not an HMAC): what Plaid puts in `request_body_sha256`. */
const sha256Hex = (body: string) => createHash("sha256").update(body, "utf8").digest("hex");

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

export const jwtCases: ConformanceCase[] = [
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
      url: `${BASE_URL}/plaid`,
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
      url: `${BASE_URL}/jwt`,
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
        url: `${BASE_URL}/hs`,
        method: "POST",
      };
    },
    expected: { deliveryId: "hs-1", deliveryIdSigned: true, eventType: "invoice.paid" },
    bodySigned: true,
    credentialHeaders: ["authorization"],
    otherSecrets: [`${HS_SECRET}-rotated`],
  },
];
