import { InvalidRequestError } from "../../domain/errors.js";
import {
  asJsonObject,
  formField,
  type JsonObject,
  jsonObjectField,
  parseForm,
  parseJsonObject,
} from "../parsing/body.js";
import { jsonStringField } from "../parsing/json-field.js";
import { checkTimestampWindow, parseTimestamp, requireSingleHeader } from "../schemes/crypto.js";
import { malformedHeader, matchHmacSecret, requireSignature } from "../schemes/hmac.js";
import type { EventIdentity, SyncProviderVerifier } from "../types.js";

/**
 * Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * - headers: `X-Slack-Signature: v0=<hex>` and `X-Slack-Request-Timestamp: <unix seconds>`;
 * - signed content: `v0:{timestamp}:{raw body}`;
 * - algorithm: HMAC-SHA256 keyed with the app's signing secret (UTF-8), lower-case hex;
 * - window: the timestamp must be within the source's `toleranceSeconds` of now, in both directions
 *   (Slack suggests 5 minutes, one-sided);
 * - bodies: JSON for the Events API; `application/x-www-form-urlencoded` for slash commands and
 *   interactivity (whose `payload` field holds JSON);
 * - dedupe id: the Events API's `event_id`; for forms the `trigger_id` when there is one (slash
 *   commands and most interactions carry it), else none (the body hash is the dedupe key);
 * - `url_verification` (the Events API's URL handshake) is answered with `{"challenge": …}` and
 *   nothing is enqueued.
 */

export const SLACK_SIGNATURE_HEADER = "x-slack-signature";
export const SLACK_TIMESTAMP_HEADER = "x-slack-request-timestamp";
const SIGNATURE_PREFIX = "v0=";
/** Slack retries an event 3 times within about an hour; remember ids for a day. */
const ONE_DAY_SECONDS = 86_400;

function challengeReply(body: JsonObject): EventIdentity {
  const challenge = jsonStringField(body, "challenge");
  if (challenge === undefined) {
    throw new InvalidRequestError("A Slack url_verification request must carry a string 'challenge'.");
  }
  return {
    eventType: "url_verification",
    reply: { statusCode: 200, contentType: "application/json", body: JSON.stringify({ challenge }) },
  };
}

/** Events API and other JSON bodies. */
function identifyJson(body: JsonObject): EventIdentity {
  const type = jsonStringField(body, "type");
  if (type === "url_verification") {
    return challengeReply(body);
  }
  const eventType =
    (type === "event_callback" ? jsonStringField(jsonObjectField(body, "event"), "type") : undefined) ??
    type ??
    "slack";
  const deliveryId = jsonStringField(body, "event_id");
  return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
}

/** Slash commands (`command=/deploy&…`) and interactivity (`payload=<JSON>`). */
function identifyForm(rawBody: Buffer): EventIdentity {
  const form = parseForm(rawBody);
  const payloadText = formField(form, "payload");
  const payload = payloadText === undefined ? undefined : parseJsonObject(payloadText);
  const eventType =
    formField(form, "command") !== undefined
      ? "slash_command"
      : (jsonStringField(payload, "type") ?? "slack");
  const deliveryId = formField(form, "trigger_id") ?? jsonStringField(payload, "trigger_id");
  return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
}

export const slackVerifier: SyncProviderVerifier = {
  provider: "slack",
  retryHorizonSeconds: ONE_DAY_SECONDS,
  signsContent: true,
  contentTypes: ["application/json", "application/x-www-form-urlencoded"],

  verify(request, context) {
    const { headers, rawBody } = request;
    const signature = requireSingleHeader(headers, SLACK_SIGNATURE_HEADER);
    const timestampText = requireSingleHeader(headers, SLACK_TIMESTAMP_HEADER);
    if (!signature.startsWith(SIGNATURE_PREFIX)) {
      throw malformedHeader(SLACK_SIGNATURE_HEADER, "is not 'v0=<lower-case hex>'");
    }
    const candidate = requireSignature(
      signature.slice(SIGNATURE_PREFIX.length),
      "hex",
      SLACK_SIGNATURE_HEADER,
    );
    checkTimestampWindow(
      parseTimestamp(timestampText, SLACK_TIMESTAMP_HEADER),
      context,
      SLACK_TIMESTAMP_HEADER,
    );
    return matchHmacSecret(context.secrets, {
      provider: "slack",
      algorithm: "sha256",
      header: SLACK_SIGNATURE_HEADER,
      candidates: [candidate],
      contents: [[`v0:${timestampText}:`, rawBody]],
    });
  },

  identify(request, json) {
    const body = asJsonObject(json());
    return body === undefined ? identifyForm(request.rawBody) : identifyJson(body);
  },
};
