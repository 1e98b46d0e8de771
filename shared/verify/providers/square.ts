import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { requireSingleHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { signedUrlOf } from "../parsing/public-url.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { requireSignature } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Square (https://developer.squareup.com/docs/webhooks/step3validate):
 * - header: `x-square-hmacsha256-signature: <base64>` (the legacy SHA-1 `x-square-signature` is not
 *   accepted);
 * - signed content: the notification URL exactly as configured in Square, then the raw body;
 * - algorithm: HMAC-SHA256 keyed with the subscription's signature key (UTF-8), standard base64;
 * - URL: `options.publicUrl` when set (a proxy or custom domain in front), else the URL the request
 *   was received on;
 * - window: none (no timestamp is signed), so replays are stopped by dedupe;
 * - dedupe id: body `event_id`; event type: body `type` (`payment.updated`).
 */

export const SQUARE_SIGNATURE_HEADER = "x-square-hmacsha256-signature";

export const squareVerifier: SyncProviderVerifier = {
  provider: "square",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.square,
  signsContent: true,

  verify(request, context) {
    const value = requireSingleHeader(request.headers, SQUARE_SIGNATURE_HEADER);
    const candidate = requireSignature(value, "base64", SQUARE_SIGNATURE_HEADER);
    const url = signedUrlOf(request, context.options, "square");
    return matchHmacSecret(context.secrets, {
      provider: "square",
      algorithm: "sha256",
      header: SQUARE_SIGNATURE_HEADER,
      candidates: [candidate],
      contents: [[url, request.rawBody]],
    });
  },

  identify(_request, json) {
    const body = json();
    const deliveryId = jsonStringAt(body, "event_id");
    const eventType = jsonStringAt(body, "type") ?? "square";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
