import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { requireHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { encodedDigestsEqual } from "../schemes/signature-encoding.js";
import { parseSignatureList } from "../schemes/signature-list.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each `v1` is the hex
 * HMAC-SHA256 of `{t}.{body}` keyed with the whole `whsec_…` string as UTF-8 (not decoded). Other
 * schemes in the header (`v0`, test-mode extras) are ignored. Unlike Stripe's SDK, the timestamp is
 * bounded in both directions.
 */

export const STRIPE_SIGNATURE_HEADER = "stripe-signature";
const HEADER_FORMAT = {
  header: STRIPE_SIGNATURE_HEADER,
  separator: ",",
  timestampKey: "t",
  signatureKey: "v1",
} as const;

export const stripeVerifier: SyncProviderVerifier = {
  provider: "stripe",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.stripe,
  signsContent: true,

  verify(request, context) {
    const { timestamp, signatures } = parseSignatureList(
      requireHeader(request.headers, STRIPE_SIGNATURE_HEADER),
      HEADER_FORMAT,
      context,
    );

    const prefix = `${timestamp}.`;
    return firstMatchingSecret(
      `stripe: v1 in '${STRIPE_SIGNATURE_HEADER}'`,
      context.secrets,
      utf8HmacKey,
      (key) => {
        const digest = computeHmacEncoded("sha256", key, [prefix, request.rawBody], "hex");
        return signatures.some((candidate) => encodedDigestsEqual(digest, candidate.text));
      },
    );
  },

  identify(_request, json) {
    const body = json();
    const deliveryId = jsonStringAt(body, "id");
    const eventType = jsonStringAt(body, "type") ?? "stripe";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
