import { InvalidRequestError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, readHeader, requireSingleHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { parseRfc3339 } from "../parsing/rfc3339.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { encodedDigestsEqual, prefixedSignature } from "../schemes/signature-encoding.js";
import { checkTimestampWindow } from "../schemes/timestamp-window.js";
import type { EventIdentity, SyncProviderVerifier } from "../types.js";

/**
 * Twitch EventSub (webhook transport): `Twitch-Eventsub-Message-Signature: sha256=<hex>` is the hex
 * HMAC-SHA256, keyed with the subscription's secret (UTF-8), of message id + timestamp + body with no
 * separators, taken from `Twitch-Eventsub-Message-Id` and `Twitch-Eventsub-Message-Timestamp` (RFC 3339,
 * parsed strictly). The timestamp is bounded in both directions by the source's tolerance; Twitch asks
 * receivers to reject messages older than 10 minutes, so `toleranceSeconds` up to 600 fits.
 *
 * Identity, by `Twitch-Eventsub-Message-Type`: `webhook_callback_verification` is answered with the
 * body's `challenge` as text/plain (nothing is enqueued); `revocation` has event type `revocation`;
 * notifications have the body's `subscription.type` (e.g. `channel.follow`). The delivery id is always
 * the message id, which is signed.
 *
 * Horizon: Twitch resends an unacknowledged message with the same id for a short while; ids are kept 1
 * day.
 */

export const TWITCH_ID_HEADER = "twitch-eventsub-message-id";
export const TWITCH_TIMESTAMP_HEADER = "twitch-eventsub-message-timestamp";
export const TWITCH_SIGNATURE_HEADER = "twitch-eventsub-message-signature";
export const TWITCH_TYPE_HEADER = "twitch-eventsub-message-type";
const SUBSCRIPTION_TYPE_HEADER = "twitch-eventsub-subscription-type";
const SIGNATURE_PREFIX = "sha256=";

export const twitchVerifier: SyncProviderVerifier = {
  provider: "twitch",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.twitch,
  signsContent: true,

  verify(request, context) {
    const { headers, rawBody } = request;
    const id = requireSingleHeader(headers, TWITCH_ID_HEADER);
    const timestampText = requireSingleHeader(headers, TWITCH_TIMESTAMP_HEADER);
    const signatureText = requireSingleHeader(headers, TWITCH_SIGNATURE_HEADER);
    const candidate = prefixedSignature(signatureText, SIGNATURE_PREFIX, "hex", TWITCH_SIGNATURE_HEADER);
    const timestamp = parseRfc3339(timestampText);
    if (timestamp === undefined) {
      throw malformedHeader(TWITCH_TIMESTAMP_HEADER, "is not an RFC 3339 date-time");
    }
    checkTimestampWindow(timestamp, context, TWITCH_TIMESTAMP_HEADER);

    return firstMatchingSecret(
      "twitch: 'twitch-eventsub-message-signature'",
      context.secrets,
      utf8HmacKey,
      (key) =>
        encodedDigestsEqual(
          computeHmacEncoded("sha256", key, [id, timestampText, rawBody], "hex"),
          candidate,
        ),
    );
  },

  identify(request, json) {
    const { headers } = request;
    const deliveryId = readHeader(headers, TWITCH_ID_HEADER);
    const messageType = readHeader(headers, TWITCH_TYPE_HEADER);
    const body = json();
    let identity: EventIdentity;
    if (messageType === "webhook_callback_verification") {
      const challenge = jsonStringAt(body, "challenge");
      if (challenge === undefined) {
        throw new InvalidRequestError(
          "A Twitch webhook_callback_verification message must carry a challenge.",
        );
      }
      identity = {
        eventType: messageType,
        reply: { statusCode: 200, contentType: "text/plain", body: challenge },
      };
    } else if (messageType === "revocation") {
      identity = { eventType: "revocation" };
    } else {
      const eventType =
        jsonStringAt(body, "subscription", "type") ??
        readHeader(headers, SUBSCRIPTION_TYPE_HEADER) ??
        "twitch";
      identity = { eventType };
    }
    // The message id is the first part of the signed content.
    return deliveryId === undefined ? identity : { ...identity, deliveryId, deliveryIdSigned: true };
  },
};
