import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, requireSingleHeader } from "../parsing/headers.js";
import { jsonIdAt, jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { canonicalSignature, encodedDigestsEqual } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Lemon Squeezy: `X-Signature` is the hex HMAC-SHA256 of the raw body, keyed with the webhook's
 * signing secret (UTF-8). Nothing else is signed (no timestamp), so replays are stopped by dedupe.
 *
 * Identity: the event type is `meta.event_name`. The body carries no per-delivery id (`meta.webhook_id`
 * is not documented as unique per event), so the delivery id is `{meta.event_name}:{data.id}:{data.attributes.updated_at}`
 * — the same for every retry of one change — when all three are present; otherwise the body's hash is
 * used.
 *
 * Horizon: Lemon Squeezy retries 3 times with exponential backoff; ids are kept 1 day.
 */

export const LEMONSQUEEZY_SIGNATURE_HEADER = "x-signature";

export const lemonsqueezyVerifier: SyncProviderVerifier = {
  provider: "lemonsqueezy",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.lemonsqueezy,
  signsContent: true,

  verify(request, context) {
    const candidate = canonicalSignature(
      requireSingleHeader(request.headers, LEMONSQUEEZY_SIGNATURE_HEADER),
      "hex",
    );
    if (candidate === undefined) {
      throw malformedHeader(LEMONSQUEEZY_SIGNATURE_HEADER, "is not lower-case hex");
    }
    return firstMatchingSecret("lemonsqueezy: 'x-signature'", context.secrets, utf8HmacKey, (key) =>
      encodedDigestsEqual(computeHmacEncoded("sha256", key, [request.rawBody], "hex"), candidate),
    );
  },

  identify(_request, json) {
    const body = json();
    const eventName = jsonStringAt(body, "meta", "event_name");
    const dataId = jsonIdAt(body, "data", "id");
    const updatedAt = jsonStringAt(body, "data", "attributes", "updated_at");
    const eventType = eventName ?? "lemonsqueezy";
    return eventName !== undefined && dataId !== undefined && updatedAt !== undefined
      ? { deliveryId: `${eventName}:${dataId}:${updatedAt}`, deliveryIdSigned: true, eventType }
      : { eventType };
  },
};
