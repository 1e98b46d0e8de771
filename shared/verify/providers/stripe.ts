import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { jsonStringField } from "../parsing/json-field.js";
import {
  canonicalSignature,
  checkTimestampWindow,
  computeHmacEncoded,
  encodedDigestsEqual,
  firstMatchingSecret,
  parseTimestamp,
  requireHeader,
  utf8HmacKey,
} from "../schemes/crypto.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` is the hex
 * HMAC-SHA256 of `{t}.{body}` keyed with the whole `whsec_…` string as UTF-8 (not decoded). Other
 * schemes in the header (`v0`, test-mode extras) are ignored. Unlike Stripe's SDK, the timestamp is
 * bounded in both directions.
 */

export const STRIPE_SIGNATURE_HEADER = "stripe-signature";
/** Stripe retries for up to 3 days; remember ids one day longer. */
const FOUR_DAYS_SECONDS = 4 * 86_400;
/** Bounds the work one request can cause (each candidate is compared with every secret). */
const MAX_SIGNATURES = 16;

interface ParsedHeader {
  readonly timestamp: string;
  readonly signatures: readonly string[];
}

function malformed(detail: string): SignatureVerificationError {
  return new SignatureVerificationError(
    SIGNATURE_FAILURES.malformedHeader,
    `header '${STRIPE_SIGNATURE_HEADER}' ${detail}`,
  );
}

function parseHeader(value: string): ParsedHeader {
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const item of value.split(",")) {
    const pair = item.trim();
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw malformed("has an item that is not 'key=value'");
    }
    const key = pair.slice(0, equals);
    const text = pair.slice(equals + 1);
    if (key === "t") {
      if (timestamp !== undefined) {
        throw new SignatureVerificationError(
          SIGNATURE_FAILURES.duplicateHeader,
          `header '${STRIPE_SIGNATURE_HEADER}' carries 't=' twice (repeated header?)`,
        );
      }
      timestamp = text;
    } else if (key === "v1") {
      const decoded = canonicalSignature(text, "hex");
      if (decoded === undefined) {
        throw malformed("has a v1 signature that is not lower-case hex");
      }
      signatures.push(decoded);
    }
  }
  if (timestamp === undefined) {
    throw malformed("has no 't=' timestamp");
  }
  if (signatures.length === 0) {
    throw malformed("has no 'v1=' signature");
  }
  if (signatures.length > MAX_SIGNATURES) {
    throw malformed(`holds more than ${MAX_SIGNATURES} signatures`);
  }
  return { timestamp, signatures };
}

export const stripeVerifier: SyncProviderVerifier = {
  provider: "stripe",
  retryHorizonSeconds: FOUR_DAYS_SECONDS,
  signsContent: true,

  verify(request, context) {
    const { timestamp, signatures } = parseHeader(requireHeader(request.headers, STRIPE_SIGNATURE_HEADER));
    checkTimestampWindow(
      parseTimestamp(timestamp, STRIPE_SIGNATURE_HEADER),
      context,
      STRIPE_SIGNATURE_HEADER,
    );

    const prefix = `${timestamp}.`;
    return firstMatchingSecret(
      `stripe: v1 in '${STRIPE_SIGNATURE_HEADER}'`,
      context.secrets,
      utf8HmacKey,
      (key) => {
        const digest = computeHmacEncoded("sha256", key, [prefix, request.rawBody], "hex");
        return signatures.some((candidate) => encodedDigestsEqual(digest, candidate));
      },
    );
  },

  identify(_request, json) {
    const body = json();
    const deliveryId = jsonStringField(body, "id");
    const eventType = jsonStringField(body, "type") ?? "stripe";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
