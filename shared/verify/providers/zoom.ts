import { InvalidRequestError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { requireSingleHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { encodedDigestsEqual, prefixedSignature } from "../schemes/signature-encoding.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Zoom: `x-zm-signature: v0=<hex>` is the hex HMAC-SHA256, keyed with the app's webhook secret token
 * (UTF-8), of `v0:{x-zm-request-timestamp}:{body}`; the timestamp is unix seconds, bounded in both
 * directions by the source's tolerance. Zoom signs its `endpoint.url_validation` requests the same way,
 * so they are verified like any event; `identify` then answers them with
 * `{ plainToken, encryptedToken: hex HMAC-SHA256(secret, plainToken) }`, keyed with the secret that
 * verified the request, and nothing is enqueued. The legacy verification token (`authorization`) is
 * not accepted.
 *
 * Identity: Zoom sends no signed, stable delivery id (`x-zm-trackingid` is unsigned and may change
 * per attempt; `event_ts` can collide), so none is returned and the dedupe key is the SHA-256 of the
 * exact body, which Zoom repeats byte for byte on retries. The event type is the body's `event`.
 *
 * Horizon: Zoom retries 3 times (after 5, 20 and 60 minutes); ids are kept 1 day.
 */

export const ZOOM_SIGNATURE_HEADER = "x-zm-signature";
export const ZOOM_TIMESTAMP_HEADER = "x-zm-request-timestamp";
const SIGNATURE_PREFIX = "v0=";
const URL_VALIDATION_EVENT = "endpoint.url_validation";

/** Zoom's CRC answer: hex HMAC-SHA256 of the plain token, keyed with the webhook secret token. */
export function zoomEncryptedToken(secret: string, plainToken: string): string {
  const key = utf8HmacKey(secret);
  if (key === undefined) {
    throw new TypeError("zoomEncryptedToken needs a non-empty secret");
  }
  return computeHmacEncoded("sha256", key, [plainToken], "hex");
}

export const zoomVerifier: SyncProviderVerifier = {
  provider: "zoom",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.zoom,
  signsContent: true,

  verify(request, context) {
    const { headers, rawBody } = request;
    const signatureText = requireSingleHeader(headers, ZOOM_SIGNATURE_HEADER);
    const timestampText = requireSingleHeader(headers, ZOOM_TIMESTAMP_HEADER);
    const candidate = prefixedSignature(signatureText, SIGNATURE_PREFIX, "hex", ZOOM_SIGNATURE_HEADER);
    checkTimestampWindow(
      parseTimestamp(timestampText, ZOOM_TIMESTAMP_HEADER),
      context,
      ZOOM_TIMESTAMP_HEADER,
    );

    const prefix = `v0:${timestampText}:`;
    return firstMatchingSecret("zoom: 'x-zm-signature'", context.secrets, utf8HmacKey, (key) =>
      encodedDigestsEqual(computeHmacEncoded("sha256", key, [prefix, rawBody], "hex"), candidate),
    );
  },

  identify(_request, json, context) {
    const body = json();
    const event = jsonStringAt(body, "event");
    if (event === URL_VALIDATION_EVENT) {
      const plainToken = jsonStringAt(body, "payload", "plainToken");
      if (plainToken === undefined) {
        throw new InvalidRequestError(
          "A Zoom endpoint.url_validation request must carry payload.plainToken.",
        );
      }
      const secret = context?.secret;
      if (secret === undefined) {
        throw new TypeError("zoom: identify needs the secret that verified the request to answer the CRC");
      }
      const encryptedToken = zoomEncryptedToken(secret, plainToken);
      return {
        eventType: event,
        reply: {
          statusCode: 200,
          contentType: "application/json",
          body: JSON.stringify({ plainToken, encryptedToken }),
        },
      };
    }
    return { eventType: event ?? "zoom" };
  },
};
