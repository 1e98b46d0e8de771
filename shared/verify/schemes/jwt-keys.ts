import { createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { createKeyCache } from "./secrets.js";

/**
 * Static JWT keys: the `secrets` of a JWT source without `jwksUrl`. Each secret is classified once, by
 * its form, into exactly one kind, and a kind only ever serves the algorithms made for it:
 *
 * - PEM (`-----BEGIN PUBLIC KEY-----`, `RSA PUBLIC KEY`, `CERTIFICATE`), base64 DER SubjectPublicKeyInfo,
 *   or a public JWK (JSON with `kty`): an asymmetric public key, for RS/PS/ES/EdDSA only;
 * - a JWK with `"kty": "oct"`, or any other string (its UTF-8 bytes): an HMAC secret, for HS* only.
 *
 * So the classic confusion attack (an HS256 token "signed" with the public key's PEM text as HMAC
 * secret) finds no key: public key material is never an HMAC secret, even when a source pins HS* and
 * asymmetric algorithms together. Text that looks like key material but does not parse is unusable
 * rather than an HMAC secret, for the same reason. Private keys are refused: a verifier needs only the
 * public half, and a private key in its configuration is a mistake worth hearing about.
 */

export type JwtKey =
  | { readonly kind: "hmac"; readonly key: KeyObject; readonly kid?: string; readonly alg?: string }
  | { readonly kind: "public"; readonly key: KeyObject; readonly kid?: string; readonly alg?: string }
  | { readonly kind: "unusable"; readonly reason: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The shortest SubjectPublicKeyInfo (ed25519) is 44 bytes: 60 base64 characters. */
const MIN_SPKI_BASE64 = 60;
const EC_CURVES: Readonly<Record<string, string>> = {
  ES256: "prime256v1",
  ES384: "secp384r1",
  ES512: "secp521r1",
};

function optionalText(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function fromPem(pem: string): JwtKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return { kind: "unusable", reason: "a PEM private key; configure the public key or certificate" };
  }
  try {
    return { kind: "public", key: createPublicKey(pem) };
  } catch {
    return { kind: "unusable", reason: "PEM text that is not a public key or X.509 certificate" };
  }
}

function fromJwk(text: string): JwtKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    return { kind: "unusable", reason: "text starting with '{' that is not JSON" };
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk) || !("kty" in jwk)) {
    return { kind: "unusable", reason: "JSON that is not a JWK (no 'kty')" };
  }
  const fields = jwk as Record<string, unknown>;
  if (fields.use !== undefined && fields.use !== "sig") {
    return { kind: "unusable", reason: "a JWK whose 'use' is not 'sig'" };
  }
  const meta = { kid: optionalText(fields.kid), alg: optionalText(fields.alg) };
  if (fields.kty === "oct") {
    const k = typeof fields.k === "string" ? Buffer.from(fields.k, "base64url") : Buffer.alloc(0);
    return k.length > 0
      ? { kind: "hmac", key: createSecretKey(k), ...meta }
      : { kind: "unusable", reason: "an 'oct' JWK without key bytes ('k')" };
  }
  if (fields.d !== undefined || fields.priv !== undefined) {
    return { kind: "unusable", reason: "a private JWK; configure the public key" };
  }
  try {
    return { kind: "public", key: createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }), ...meta };
  } catch {
    return { kind: "unusable", reason: "a JWK that is not a valid public key" };
  }
}

function fromBase64Spki(text: string): KeyObject | undefined {
  if (text.length < MIN_SPKI_BASE64 || !BASE64.test(text)) {
    return undefined;
  }
  try {
    return createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** Classifies one configured secret. Never throws. */
export function parseJwtKey(secret: string): JwtKey {
  const text = secret.trim();
  if (text.startsWith("-----BEGIN")) {
    return fromPem(text);
  }
  if (text.startsWith("{")) {
    return fromJwk(text);
  }
  const spki = fromBase64Spki(text);
  if (spki !== undefined) {
    return { kind: "public", key: spki };
  }
  return secret.length > 0
    ? { kind: "hmac", key: createSecretKey(Buffer.from(secret, "utf8")) }
    : { kind: "unusable", reason: "an empty secret" };
}

/** `parseJwtKey`, memoised per secret string. */
export const jwtKey: (secret: string) => JwtKey = createKeyCache(parseJwtKey);

/** Whether `alg` is an HMAC algorithm (the only ones that take a shared secret). */
export function isHmacAlgorithm(alg: string): boolean {
  return alg.startsWith("HS");
}

/** Whether `key` may verify a token signed with `alg`: HMAC secrets for HS*, the right public key otherwise. */
export function keyFits(key: Exclude<JwtKey, { kind: "unusable" }>, alg: string): boolean {
  if (key.alg !== undefined && key.alg !== alg) {
    return false;
  }
  if (key.kind === "hmac") {
    return isHmacAlgorithm(alg);
  }
  const type = key.key.asymmetricKeyType;
  switch (alg.slice(0, 2)) {
    case "RS":
      return type === "rsa";
    case "PS":
      return type === "rsa" || type === "rsa-pss";
    case "ES":
      return type === "ec" && key.key.asymmetricKeyDetails?.namedCurve === EC_CURVES[alg];
    case "Ed":
      return alg === "EdDSA" && type === "ed25519";
    default:
      return false;
  }
}
