import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { jsonStringField } from "../parsing/json-field.js";
import { checkTimestampWindow, parseTimestamp, requireSingleHeader } from "../schemes/crypto.js";
import {
  type CheckedSignature,
  MAX_SIGNATURES,
  malformedHeader,
  matchHmacSecret,
  requireSignature,
} from "../schemes/hmac.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Paddle Billing (https://developer.paddle.com/webhooks/signature-verification):
 * - header: `Paddle-Signature: ts=<unix seconds>;h1=<hex>[;h1=<hex>…]` (several `h1` while a secret
 *   is being rotated); other keys are ignored;
 * - signed content: `{ts}:{raw body}`;
 * - algorithm: HMAC-SHA256 keyed with the notification destination's secret key (`pdl_ntfset_…`, as
 *   UTF-8), lower-case hex;
 * - window: `ts` within the source's `toleranceSeconds` of now, in both directions (Paddle's SDK
 *   uses 5 s, which is too tight for clock skew and retries queued behind a cold start);
 * - dedupe id: body `event_id` (else `notification_id`); event type: body `event_type`
 *   (`transaction.completed`).
 */

export const PADDLE_SIGNATURE_HEADER = "paddle-signature";
/** Paddle retries a live notification for up to 3 days; remember ids one day longer. */
const FOUR_DAYS_SECONDS = 4 * 86_400;

function parseHeader(value: string): { timestamp: string; signatures: CheckedSignature[] } {
  let timestamp: string | undefined;
  const signatures: CheckedSignature[] = [];
  for (const item of value.split(";")) {
    const pair = item.trim();
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw malformedHeader(PADDLE_SIGNATURE_HEADER, "has an item that is not 'key=value'");
    }
    const key = pair.slice(0, equals);
    const text = pair.slice(equals + 1);
    if (key === "ts") {
      if (timestamp !== undefined) {
        throw new SignatureVerificationError(
          SIGNATURE_FAILURES.duplicateHeader,
          `header '${PADDLE_SIGNATURE_HEADER}' carries 'ts=' twice`,
        );
      }
      timestamp = text;
    } else if (key === "h1") {
      signatures.push(requireSignature(text, "hex", PADDLE_SIGNATURE_HEADER));
    }
  }
  if (timestamp === undefined) {
    throw malformedHeader(PADDLE_SIGNATURE_HEADER, "has no 'ts=' timestamp");
  }
  if (signatures.length === 0) {
    throw malformedHeader(PADDLE_SIGNATURE_HEADER, "has no 'h1=' signature");
  }
  if (signatures.length > MAX_SIGNATURES) {
    throw malformedHeader(PADDLE_SIGNATURE_HEADER, `holds more than ${MAX_SIGNATURES} signatures`);
  }
  return { timestamp, signatures };
}

export const paddleVerifier: SyncProviderVerifier = {
  provider: "paddle",
  retryHorizonSeconds: FOUR_DAYS_SECONDS,
  signsContent: true,

  verify(request, context) {
    const { timestamp, signatures } = parseHeader(
      requireSingleHeader(request.headers, PADDLE_SIGNATURE_HEADER),
    );
    checkTimestampWindow(
      parseTimestamp(timestamp, PADDLE_SIGNATURE_HEADER),
      context,
      PADDLE_SIGNATURE_HEADER,
    );
    return matchHmacSecret(context.secrets, {
      provider: "paddle",
      algorithm: "sha256",
      header: PADDLE_SIGNATURE_HEADER,
      candidates: signatures,
      contents: [[`${timestamp}:`, request.rawBody]],
    });
  },

  identify(_request, json) {
    const body = json();
    const deliveryId = jsonStringField(body, "event_id") ?? jsonStringField(body, "notification_id");
    const eventType = jsonStringField(body, "event_type") ?? "paddle";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
