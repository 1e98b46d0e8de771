import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { requireSingleHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { parseSignatureList } from "../schemes/signature-list.js";
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
const HEADER_FORMAT = {
  header: PADDLE_SIGNATURE_HEADER,
  separator: ";",
  timestampKey: "ts",
  signatureKey: "h1",
} as const;

export const paddleVerifier: SyncProviderVerifier = {
  provider: "paddle",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.paddle,
  signsContent: true,

  verify(request, context) {
    const { timestamp, signatures } = parseSignatureList(
      requireSingleHeader(request.headers, PADDLE_SIGNATURE_HEADER),
      HEADER_FORMAT,
      context,
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
    const deliveryId = jsonStringAt(body, "event_id") ?? jsonStringAt(body, "notification_id");
    const eventType = jsonStringAt(body, "event_type") ?? "paddle";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
