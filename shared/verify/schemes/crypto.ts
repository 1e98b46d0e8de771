import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import type { InboundRequest, VerifiedSignature, VerifyContext } from "../types.js";

/**
 * Small building blocks shared by the verifiers and the signers, on `node:crypto` only.
 *
 * Performance notes (measured on Node 24, see `bench/verifiers.ts`): `createHmac` with a `Buffer` key
 * imports the key on every call, which costs several times the hashing of a 1 KiB body; a cached
 * `KeyObject` avoids that. Bodies are fed to `hmac.update` as they are: never copied, concatenated or
 * turned into strings.
 */

export type HmacAlgorithm = "sha1" | "sha256" | "sha384" | "sha512";
export type SignatureEncoding = "hex" | "base64";

/** HMAC of `parts` fed in order through `hmac.update` (no concatenated copy of the body). */
export function computeHmac(
  algorithm: HmacAlgorithm,
  key: KeyObject | Buffer,
  parts: readonly (Buffer | string)[],
): Buffer {
  return hmacOf(algorithm, key, parts).digest();
}

/**
 * The same HMAC, written in `encoding` (lower-case hex or padded base64): what verifiers compare with
 * the signature as sent. One V8 string straight from the digest is cheaper than a digest `Buffer` plus
 * a decoded copy of the candidate (0.3–0.7 µs of a 3–4 µs verify at 1 KiB in A/B runs).
 */
export function computeHmacEncoded(
  algorithm: HmacAlgorithm,
  key: KeyObject | Buffer,
  parts: readonly (Buffer | string)[],
  encoding: SignatureEncoding,
): string {
  return hmacOf(algorithm, key, parts).digest(encoding);
}

function hmacOf(algorithm: HmacAlgorithm, key: KeyObject | Buffer, parts: readonly (Buffer | string)[]) {
  const hmac = createHmac(algorithm, key);
  // An indexed loop: measurably cheaper than for-of at 1 KiB bodies.
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part !== undefined) {
      hmac.update(part);
    }
  }
  return hmac;
}

/** Lower-case hex of whole bytes. */
const CANONICAL_HEX = /^(?:[0-9a-f]{2})+$/;
/**
 * Standard padded base64 whose padding bits are zero: exactly the strings `Buffer#toString("base64")`
 * can produce. Before `==` one byte leaves 4 spare bits (the last letter is one of A, Q, g, w); before
 * `=` two bytes leave 2 (the last letter's index is a multiple of 4).
 */
const CANONICAL_BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/**
 * `candidate` when it is the canonical spelling of some bytes in `encoding` (lower-case hex of even
 * length; standard padded base64 with zero padding bits), else `undefined`. Requiring the canonical
 * form means a digest has exactly one accepted spelling: no alternative padding bits, URL-safe letters
 * or upper-case hex, and nothing that `Buffer.from` would silently truncate or skip.
 */
export function canonicalSignature(candidate: string, encoding: SignatureEncoding): string | undefined {
  if (candidate.length === 0) {
    return undefined;
  }
  return (encoding === "hex" ? CANONICAL_HEX : CANONICAL_BASE64).test(candidate) ? candidate : undefined;
}

/** The bytes of a canonical hex or base64 signature (see `canonicalSignature`), or `undefined`. */
export function decodeSignature(candidate: string, encoding: SignatureEncoding): Buffer | undefined {
  return canonicalSignature(candidate, encoding) === undefined ? undefined : Buffer.from(candidate, encoding);
}

/** Constant-time equality of two digests; different lengths are simply unequal. */
export function digestsEqual(computed: Buffer, candidate: Buffer): boolean {
  return computed.length === candidate.length && timingSafeEqual(computed, candidate);
}

/**
 * Constant-time equality of an encoded digest and a candidate in the same canonical encoding. Every
 * code unit is compared, with no branch on their values (the usual XOR-accumulate); only the length,
 * which is public (a digest's length is fixed by its algorithm), can end the comparison early.
 */
export function encodedDigestsEqual(computed: string, candidate: string): boolean {
  if (computed.length !== candidate.length) {
    return false;
  }
  let difference = 0;
  for (let i = 0; i < computed.length; i++) {
    difference |= computed.charCodeAt(i) ^ candidate.charCodeAt(i);
  }
  return difference === 0;
}

/** A header's value, or `undefined` when absent or empty. */
export function readHeader(headers: InboundRequest["headers"], name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** A header's value; throws `missingHeader` when it is absent or empty. */
export function requireHeader(headers: InboundRequest["headers"], name: string): string {
  const value = readHeader(headers, name);
  if (value === undefined) {
    throw new SignatureVerificationError(SIGNATURE_FAILURES.missingHeader, `header '${name}' is absent`);
  }
  return value;
}

/** Canonical unix seconds: digits without leading zeros, small enough to be an exact number. */
const TIMESTAMP_PATTERN = /^(?:0|[1-9][0-9]{0,14})$/;

/** Parses a signed timestamp header (unix seconds); throws `malformedHeader` for anything else. */
export function parseTimestamp(value: string, header: string): number {
  if (!TIMESTAMP_PATTERN.test(value)) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.malformedHeader,
      `header '${header}' is not a timestamp in unix seconds`,
    );
  }
  return Number(value);
}

/**
 * Throws `timestampOutOfWindow` unless `timestamp` is within `toleranceSeconds` of now, in both
 * directions. Written as "accept only when inside" so that a NaN clock or tolerance fails closed.
 */
export function checkTimestampWindow(timestamp: number, context: VerifyContext, header: string): void {
  const skew = context.nowSeconds - timestamp;
  if (Math.abs(skew) <= context.toleranceSeconds) {
    return;
  }
  const direction = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
  throw new SignatureVerificationError(
    SIGNATURE_FAILURES.timestampOutOfWindow,
    `header '${header}' is ${direction}; tolerance is ${context.toleranceSeconds} s`,
  );
}

/**
 * Memoises a key derived from a secret string (decoding, `KeyObject` import). Bounded: when full it
 * starts over, which only costs a re-derivation; there are few secrets per process.
 */
export function createKeyCache<T>(derive: (secret: string) => T, maxEntries = 64): (secret: string) => T {
  const cache = new Map<string, T>();
  return (secret) => {
    const cached = cache.get(secret);
    if (cached !== undefined) {
      return cached;
    }
    const derived = derive(secret);
    if (cache.size >= maxEntries) {
      cache.clear();
    }
    cache.set(secret, derived);
    return derived;
  };
}

/** HMAC key made of the secret's UTF-8 bytes (GitHub, Stripe); `undefined` for an empty secret. */
export const utf8HmacKey: (secret: string) => KeyObject | undefined = createKeyCache((secret) =>
  secret.length > 0 ? createSecretKey(Buffer.from(secret, "utf8")) : undefined,
);

/**
 * The signature after a fixed prefix (`sha256=`, `v0=`), checked to be canonical `encoding` (see
 * `canonicalSignature`); `malformedHeader` names the header otherwise.
 */
export function prefixedSignature(
  value: string,
  prefix: string,
  encoding: SignatureEncoding,
  header: string,
): string {
  const decoded = value.startsWith(prefix)
    ? canonicalSignature(value.slice(prefix.length), encoding)
    : undefined;
  if (decoded === undefined) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.malformedHeader,
      `header '${header}' is not '${prefix}<${encoding === "hex" ? "lower-case hex" : "base64"}>'`,
    );
  }
  return decoded;
}

/**
 * A header that must be present once. Its value never legitimately holds a comma (signatures,
 * timestamps, ids), so a comma means API Gateway joined two copies of it.
 */
export function requireSingleHeader(headers: InboundRequest["headers"], name: string): string {
  const value = requireHeader(headers, name);
  if (value.includes(",")) {
    throw new SignatureVerificationError(SIGNATURE_FAILURES.duplicateHeader, `header '${name}' is repeated`);
  }
  return value;
}

/**
 * Rotation: the index of the first secret whose key `matches`. Secrets that yield no key (empty, not
 * decodable) are skipped; when every secret is like that the failure is `unusableSecret`, otherwise
 * `noMatchingSignature`. `label` names the provider and what was compared, for the log.
 */
export function firstMatchingSecret<Key>(
  label: string,
  secrets: readonly string[],
  keyOf: (secret: string) => Key | undefined,
  matches: (key: Key) => boolean,
): VerifiedSignature {
  let usable = false;
  for (let secretIndex = 0; secretIndex < secrets.length; secretIndex++) {
    const secret = secrets[secretIndex];
    const key = typeof secret === "string" ? keyOf(secret) : undefined;
    if (key === undefined) continue;
    usable = true;
    if (matches(key)) return { secretIndex };
  }
  throw usable
    ? new SignatureVerificationError(
        SIGNATURE_FAILURES.noMatchingSignature,
        `${label} matches no configured secret`,
      )
    : new SignatureVerificationError(
        SIGNATURE_FAILURES.unusableSecret,
        `${label}: no configured secret is usable`,
      );
}
