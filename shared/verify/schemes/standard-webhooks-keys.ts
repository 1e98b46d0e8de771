import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { createKeyCache } from "./secrets.js";

/** `whsec_` + base64 of the HMAC key (symmetric, `v1` signatures). */
export const SYMMETRIC_SECRET_PREFIX = "whsec_";
/** `whpk_` + base64 of a raw 32-byte ed25519 public key (asymmetric, `v1a` signatures). */
export const PUBLIC_KEY_PREFIX = "whpk_";

/** DER prefix of an ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const ED25519_PUBLIC_KEY_BYTES = 32;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

export type StandardWebhookKey =
  | { readonly kind: "hmac"; readonly key: KeyObject }
  | { readonly kind: "ed25519"; readonly key: KeyObject }
  | { readonly kind: "unusable"; readonly reason: string };

function decodeBase64(text: string): Buffer | undefined {
  return BASE64_PATTERN.test(text) ? Buffer.from(text, "base64") : undefined;
}

/**
 * Reads a configured Standard Webhooks secret: `whsec_<base64>` (or bare base64) is an HMAC key,
 * `whpk_<base64>` an ed25519 public key. Never throws: a bad secret is reported as `unusable`.
 */
export function parseStandardWebhookKey(secret: string): StandardWebhookKey {
  if (secret.startsWith(PUBLIC_KEY_PREFIX)) {
    const raw = decodeBase64(secret.slice(PUBLIC_KEY_PREFIX.length));
    if (raw?.length !== ED25519_PUBLIC_KEY_BYTES) {
      return { kind: "unusable", reason: "a whpk_ key must be base64 of a raw 32-byte ed25519 public key" };
    }
    try {
      const key = createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
        format: "der",
        type: "spki",
      });
      return { kind: "ed25519", key };
    } catch {
      return { kind: "unusable", reason: "the whpk_ key is not a valid ed25519 public key" };
    }
  }
  const encoded = secret.startsWith(SYMMETRIC_SECRET_PREFIX)
    ? secret.slice(SYMMETRIC_SECRET_PREFIX.length)
    : secret;
  const raw = decodeBase64(encoded);
  if (raw === undefined || raw.length === 0) {
    return { kind: "unusable", reason: "a whsec_ secret must be non-empty base64" };
  }
  return { kind: "hmac", key: createSecretKey(raw) };
}

/** `parseStandardWebhookKey`, memoised per secret string. */
export const standardWebhookKey: (secret: string) => StandardWebhookKey =
  createKeyCache(parseStandardWebhookKey);
