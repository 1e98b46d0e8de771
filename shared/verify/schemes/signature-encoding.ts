import { timingSafeEqual } from "node:crypto";
import { malformedHeader } from "../parsing/headers.js";

/**
 * How signatures are written and compared: the one canonical hex or base64 spelling of a digest, and
 * constant-time equality. Used by every scheme (HMAC, ed25519, ECDSA, JWT body hashes, credentials).
 */

export type SignatureEncoding = "hex" | "base64";

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

/** A signature as sent, known to be canonical in its encoding (made by `requireSignature` and the header parsers). */
export interface CheckedSignature {
  readonly text: string;
  readonly encoding: SignatureEncoding;
}

/** `text` when it is canonical hex or base64; throws `malformedHeader` naming the header otherwise. */
export function requireSignature(
  text: string,
  encoding: SignatureEncoding,
  header: string,
): CheckedSignature {
  if (canonicalSignature(text, encoding) === undefined) {
    throw malformedHeader(
      header,
      encoding === "hex" ? "is not lower-case hex" : "is not padded standard base64",
    );
  }
  return { text, encoding };
}

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
    throw malformedHeader(header, `is not '${prefix}<${encoding === "hex" ? "lower-case hex" : "base64"}>'`);
  }
  return decoded;
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
