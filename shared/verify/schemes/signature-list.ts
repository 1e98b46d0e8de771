import { duplicateHeader, malformedHeader } from "../parsing/headers.js";
import type { VerifyContext } from "../types.js";
import { type CheckedSignature, canonicalSignature } from "./signature-encoding.js";
import { checkTimestampWindow, parseTimestamp } from "./timestamp-window.js";

/**
 * Headers that carry a timestamp and a list of signatures as `key=value` items: Stripe's
 * `t=<unix seconds>,v1=<hex>,v1=<hex>` and Paddle's `ts=<unix seconds>;h1=<hex>;h1=<hex>`. Keys other
 * than the timestamp and signature keys are ignored (other schemes, test-mode extras).
 */

/** Bounds the work one request can cause (each candidate is compared with every secret). */
export const MAX_SIGNATURES = 16;

export interface SignatureListFormat {
  /** The header's name, for errors. */
  readonly header: string;
  /** Between items: `,` (Stripe) or `;` (Paddle). */
  readonly separator: string;
  /** The key of the timestamp item: `t` (Stripe), `ts` (Paddle). */
  readonly timestampKey: string;
  /** The key of each hex signature: `v1` (Stripe), `h1` (Paddle). */
  readonly signatureKey: string;
}

export interface SignatureList {
  /** The timestamp as sent (it is part of the signed content), checked to be within the window. */
  readonly timestamp: string;
  /** The signatures, each canonical lower-case hex; at least one, at most `MAX_SIGNATURES`. */
  readonly signatures: readonly CheckedSignature[];
}

/**
 * Reads the items of `value`, then checks the timestamp (unix seconds) against the source's window.
 * Throws `malformedHeader` for an item that is not `key=value`, a signature that is not lower-case hex,
 * a missing timestamp or signature, too many signatures, or a timestamp that is not unix seconds;
 * `duplicateHeader` for a second timestamp (the header was repeated); `timestampOutOfWindow`.
 */
export function parseSignatureList(
  value: string,
  format: SignatureListFormat,
  context: VerifyContext,
): SignatureList {
  const { header, separator, timestampKey, signatureKey } = format;
  let timestamp: string | undefined;
  const signatures: CheckedSignature[] = [];
  for (const item of value.split(separator)) {
    const pair = item.trim();
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw malformedHeader(header, "has an item that is not 'key=value'");
    }
    const key = pair.slice(0, equals);
    const text = pair.slice(equals + 1);
    if (key === timestampKey) {
      if (timestamp !== undefined) {
        throw duplicateHeader(header, `carries '${timestampKey}=' twice (repeated header?)`);
      }
      timestamp = text;
    } else if (key === signatureKey) {
      if (canonicalSignature(text, "hex") === undefined) {
        throw malformedHeader(header, `has a ${signatureKey} signature that is not lower-case hex`);
      }
      signatures.push({ text, encoding: "hex" });
    }
  }
  if (timestamp === undefined) {
    throw malformedHeader(header, `has no '${timestampKey}=' timestamp`);
  }
  if (signatures.length === 0) {
    throw malformedHeader(header, `has no '${signatureKey}=' signature`);
  }
  if (signatures.length > MAX_SIGNATURES) {
    throw malformedHeader(header, `holds more than ${MAX_SIGNATURES} signatures`);
  }
  checkTimestampWindow(parseTimestamp(timestamp, header), context, header);
  return { timestamp, signatures };
}
