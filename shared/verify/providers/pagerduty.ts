import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, requireHeader } from "../parsing/headers.js";
import { jsonObjectAt, jsonStringAt } from "../parsing/json.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { type CheckedSignature, requireSignature } from "../schemes/signature-encoding.js";
import { MAX_SIGNATURES } from "../schemes/signature-list.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * PagerDuty webhooks v3 (https://developer.pagerduty.com/docs/webhooks/webhook-signatures/):
 * - header: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, one `v1` per active secret of the
 *   subscription (rotation); entries of other versions are ignored;
 * - signed content: the raw body, nothing else;
 * - algorithm: HMAC-SHA256 keyed with the subscription's secret (UTF-8), lower-case hex;
 * - window: none (no timestamp is signed), so replays are stopped by dedupe;
 * - dedupe id: body `event.id`; event type: body `event.event_type` (`incident.triggered`).
 *
 * The header is itself a comma-separated list, so a repeated header joined with ", " by the gateway
 * is indistinguishable from one header with more signatures: it is read as one list (each signature
 * must still be an HMAC of this body, so extra entries grant nothing).
 */

export const PAGERDUTY_SIGNATURE_HEADER = "x-pagerduty-signature";
const SIGNATURE_PREFIX = "v1=";

function parseSignatures(value: string): CheckedSignature[] {
  const signatures: CheckedSignature[] = [];
  for (const item of value.split(",")) {
    const entry = item.trim();
    const equals = entry.indexOf("=");
    if (equals <= 0) {
      throw malformedHeader(PAGERDUTY_SIGNATURE_HEADER, "has an entry that is not 'v1=<hex>'");
    }
    if (entry.startsWith(SIGNATURE_PREFIX)) {
      signatures.push(
        requireSignature(entry.slice(SIGNATURE_PREFIX.length), "hex", PAGERDUTY_SIGNATURE_HEADER),
      );
    }
  }
  if (signatures.length === 0) {
    throw malformedHeader(PAGERDUTY_SIGNATURE_HEADER, "has no 'v1=' signature");
  }
  if (signatures.length > MAX_SIGNATURES) {
    throw malformedHeader(PAGERDUTY_SIGNATURE_HEADER, `holds more than ${MAX_SIGNATURES} signatures`);
  }
  return signatures;
}

export const pagerdutyVerifier: SyncProviderVerifier = {
  provider: "pagerduty",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.pagerduty,
  signsContent: true,

  verify(request, context) {
    return matchHmacSecret(context.secrets, {
      provider: "pagerduty",
      algorithm: "sha256",
      header: PAGERDUTY_SIGNATURE_HEADER,
      candidates: parseSignatures(requireHeader(request.headers, PAGERDUTY_SIGNATURE_HEADER)),
      contents: [[request.rawBody]],
    });
  },

  identify(_request, json) {
    const event = jsonObjectAt(json(), "event");
    const deliveryId = jsonStringAt(event, "id");
    const eventType = jsonStringAt(event, "event_type") ?? "pagerduty";
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
  },
};
