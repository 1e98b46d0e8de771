import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { readHeader, requireSingleHeader } from "../parsing/headers.js";
import { asJsonObject, jsonIntegerAt, jsonStringAt, parseJsonObject } from "../parsing/json.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { requireSignature } from "../schemes/signature-encoding.js";
import { checkTimestampWindow } from "../schemes/timestamp-window.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Linear (https://linear.app/developers/webhooks#securing-webhooks):
 * - header: `Linear-Signature: <hex>`;
 * - signed content: the raw body, nothing else;
 * - algorithm: HMAC-SHA256 keyed with the webhook's signing secret (UTF-8), lower-case hex;
 * - window: the body's `webhookTimestamp` (unix milliseconds) must be within the source's
 *   `toleranceSeconds` of now, in both directions (Linear suggests 60 s). It is read only after the
 *   signature verified, so the timestamp is authenticated; a verified body without one is rejected;
 * - dedupe id: the `Linear-Delivery` header (unsigned, so the dedupe key is the body's hash), else body
 *   `webhookId` + `webhookTimestamp` (signed); event type: `{type}.{action}` lower-cased (`issue.create`).
 */

export const LINEAR_SIGNATURE_HEADER = "linear-signature";
const TIMESTAMP_FIELD = "webhookTimestamp";

export const linearVerifier: SyncProviderVerifier = {
  provider: "linear",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.linear,
  signsContent: true,

  verify(request, context) {
    const value = requireSingleHeader(request.headers, LINEAR_SIGNATURE_HEADER);
    const verified = matchHmacSecret(context.secrets, {
      provider: "linear",
      algorithm: "sha256",
      header: LINEAR_SIGNATURE_HEADER,
      candidates: [requireSignature(value, "hex", LINEAR_SIGNATURE_HEADER)],
      contents: [[request.rawBody]],
    });
    const body = context.json
      ? asJsonObject(context.json())
      : parseJsonObject(request.rawBody.toString("utf8"));
    const timestampMs = jsonIntegerAt(body, TIMESTAMP_FIELD);
    if (timestampMs === undefined) {
      throw new SignatureVerificationError(
        SIGNATURE_FAILURES.malformedHeader,
        `linear: the signed body has no '${TIMESTAMP_FIELD}' in unix milliseconds`,
      );
    }
    checkTimestampWindow(Math.floor(timestampMs / 1000), context, `${TIMESTAMP_FIELD} (a body field)`);
    return verified;
  },

  identify(request, json) {
    const body = json();
    const webhookId = jsonStringAt(body, "webhookId");
    const timestampMs = jsonIntegerAt(body, TIMESTAMP_FIELD);
    const header = readHeader(request.headers, "linear-delivery");
    // The header is outside the signed body; the fallback is read from the body, so it is signed.
    const fromBody =
      webhookId === undefined || timestampMs === undefined ? undefined : `${webhookId}:${timestampMs}`;
    const type = jsonStringAt(body, "type");
    const action = jsonStringAt(body, "action");
    const eventType =
      type === undefined ? "linear" : (action === undefined ? type : `${type}.${action}`).toLowerCase();
    if (header !== undefined) return { deliveryId: header, deliveryIdSigned: false, eventType };
    return fromBody === undefined
      ? { eventType }
      : { deliveryId: fromBody, deliveryIdSigned: true, eventType };
  },
};
