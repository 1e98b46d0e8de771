import type { ProviderName } from "../../config/schema.js";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import type { VerifiedSignature } from "../types.js";
import {
  canonicalSignature,
  computeHmacEncoded,
  encodedDigestsEqual,
  firstMatchingSecret,
  type HmacAlgorithm,
  type SignatureEncoding,
  utf8HmacKey,
} from "./crypto.js";

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

/** A signature as sent, known to be canonical in its encoding (made only by `requireSignature`). */
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

export interface HmacMatch {
  readonly provider: ProviderName;
  readonly algorithm: HmacAlgorithm;
  /** The signature header, named in the log when nothing matches. */
  readonly header: string;
  /** Signatures sent by the caller, checked by `requireSignature`; one of them must match. */
  readonly candidates: readonly CheckedSignature[];
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
      // The HMAC written the way each candidate is, computed at most once per encoding.
      const digests: Partial<Record<SignatureEncoding, string>> = {};
      return match.candidates.some(({ text, encoding }) => {
        digests[encoding] ??= computeHmacEncoded(match.algorithm, key, parts, encoding);
        return encodedDigestsEqual(digests[encoding], text);
      });
    }),
  );
}
