import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { readHeader, requireSingleHeader } from "../parsing/headers.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { requireSignature } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook):
 * - header: `X-Shopify-Hmac-Sha256: <base64>`;
 * - signed content: the raw body, nothing else;
 * - algorithm: HMAC-SHA256 keyed with the app's client secret (UTF-8), standard base64;
 * - window: none (no timestamp is signed; `X-Shopify-Triggered-At` is not covered), so replays are
 *   stopped by dedupe;
 * - dedupe id: `X-Shopify-Webhook-Id` (one delivery, the same on every retry), else
 *   `X-Shopify-Event-Id`; neither is signed, so the dedupe key is the body's hash and the id is
 *   metadata; event type: `X-Shopify-Topic` (`orders/create`).
 */

export const SHOPIFY_SIGNATURE_HEADER = "x-shopify-hmac-sha256";

export const shopifyVerifier: SyncProviderVerifier = {
  provider: "shopify",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.shopify,
  signsContent: true,

  verify(request, context) {
    const value = requireSingleHeader(request.headers, SHOPIFY_SIGNATURE_HEADER);
    return matchHmacSecret(context.secrets, {
      provider: "shopify",
      algorithm: "sha256",
      header: SHOPIFY_SIGNATURE_HEADER,
      candidates: [requireSignature(value, "base64", SHOPIFY_SIGNATURE_HEADER)],
      contents: [[request.rawBody]],
    });
  },

  identify(request) {
    const { headers } = request;
    const deliveryId =
      readHeader(headers, "x-shopify-webhook-id") ?? readHeader(headers, "x-shopify-event-id");
    const eventType = readHeader(headers, "x-shopify-topic") ?? "shopify";
    // Both id headers are outside the signed content (the body alone).
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: false, eventType };
  },
};
