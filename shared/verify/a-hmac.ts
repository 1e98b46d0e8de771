import type { ProviderName } from "../config/schema.js";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../domain/errors.js";
import {
  canonicalSignature,
  computeHmacEncoded,
  encodedDigestsEqual,
  firstMatchingSecret,
  type HmacAlgorithm,
  type SignatureEncoding,
  utf8HmacKey,
} from "./crypto.js";
import type { VerifiedSignature } from "./types.js";

/**
 * The steps the HMAC verifiers of Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear and
 * Intercom share: reading a single-valued header, checking a signature's spelling, and trying every
 * configured secret (rotation) against every candidate signature. The hashing and comparing are
 * `crypto.ts`'s: the HMAC is written in the signature's encoding and compared with the text as sent,
 * in constant time.
 */

/** Bounds the work one request can cause (each candidate is compared with every secret). */
export const MAX_SIGNATURES = 16;

export function malformedHeader(header: string, detail: string): SignatureVerificationError {
  return new SignatureVerificationError(SIGNATURE_FAILURES.malformedHeader, `header '${header}' ${detail}`);
}

/** `text` when it is canonical hex or base64; throws `malformedHeader` naming the header otherwise. */
export function requireSignature(text: string, encoding: SignatureEncoding, header: string): string {
  const signature = canonicalSignature(text, encoding);
  if (signature === undefined) {
    throw malformedHeader(
      header,
      encoding === "hex" ? "is not lower-case hex" : "is not padded standard base64",
    );
  }
  return signature;
}

export interface HmacMatch {
  readonly provider: ProviderName;
  readonly algorithm: HmacAlgorithm;
  /** The signature header, named in the log when nothing matches. */
  readonly header: string;
  /** How the signatures are written. */
  readonly encoding: SignatureEncoding;
  /** Signatures sent by the caller, checked canonical (`requireSignature`); one of them must match. */
  readonly candidates: readonly string[];
  /**
   * What may have been signed, each a list of parts fed in order to the HMAC (no copies of the body).
   * Usually one; Twilio's URL with and without the default port makes two.
   */
  readonly contents: readonly (readonly (Buffer | string)[])[];
}

/**
 * Tries every configured secret (the secret's UTF-8 bytes are the key) on every signed content and
 * returns the index of the first secret that produces one of the candidates, compared in constant
 * time. Throws `noMatchingSignature`, or `unusableSecret` when every secret is empty.
 */
export function matchHmacSecret(secrets: readonly string[], match: HmacMatch): VerifiedSignature {
  return firstMatchingSecret(`${match.provider}: '${match.header}'`, secrets, utf8HmacKey, (key) =>
    match.contents.some((parts) => {
      const digest = computeHmacEncoded(match.algorithm, key, parts, match.encoding);
      return match.candidates.some((candidate) => encodedDigestsEqual(digest, candidate));
    }),
  );
}
