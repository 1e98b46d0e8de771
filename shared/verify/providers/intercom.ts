import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, requireSingleHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { requireSignature } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Intercom (https://developers.intercom.com/docs/references/webhooks/webhook-models#signed-notifications):
 * - header: `X-Hub-Signature: sha1=<hex>`;
 * - signed content: the raw body, nothing else;
 * - algorithm: HMAC-SHA1 keyed with the app's client secret (UTF-8), lower-case hex (SHA-1 is what
 *   Intercom sends; HMAC-SHA1 is still a sound MAC);
 * - window: none (no timestamp is signed; `delivered_at` in the body is informative), so replays are
 *   stopped by dedupe;
 * - dedupe id: body `id` (`notif_…`, the same on every retry); event type: body `topic`
 *   (`conversation.user.created`).
 */

export const INTERCOM_SIGNATURE_HEADER = "x-hub-signature";
const SIGNATURE_PREFIX = "sha1=";

export const intercomVerifier: SyncProviderVerifier = {
  provider: "intercom",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.intercom,
  signsContent: true,

  verify(request, context) {
    const value = requireSingleHeader(request.headers, INTERCOM_SIGNATURE_HEADER);
    if (!value.startsWith(SIGNATURE_PREFIX)) {
      throw malformedHeader(INTERCOM_SIGNATURE_HEADER, "is not 'sha1=<lower-case hex>'");
    }
    return matchHmacSecret(context.secrets, {
      provider: "intercom",
      algorithm: "sha1",
      header: INTERCOM_SIGNATURE_HEADER,
      candidates: [requireSignature(value.slice(SIGNATURE_PREFIX.length), "hex", INTERCOM_SIGNATURE_HEADER)],
      contents: [[request.rawBody]],
    });
  },

  identify(_request, json) {
    const body = json();
    const deliveryId = jsonStringAt(body, "id");
    const eventType = jsonStringAt(body, "topic") ?? "intercom";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
