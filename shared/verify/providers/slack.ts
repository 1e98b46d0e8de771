import { InvalidRequestError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { formField, parseForm } from "../parsing/form.js";
import { malformedHeader, requireSingleHeader } from "../parsing/headers.js";
import { asJsonObject, type JsonObject, jsonStringAt, parseJsonObject } from "../parsing/json.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { requireSignature } from "../schemes/signature-encoding.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
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

function challengeReply(body: JsonObject): EventIdentity {
  const challenge = jsonStringAt(body, "challenge");
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
  const type = jsonStringAt(body, "type");
  if (type === "url_verification") {
    return challengeReply(body);
  }
  const eventType =
    (type === "event_callback" ? jsonStringAt(body, "event", "type") : undefined) ?? type ?? "slack";
  const deliveryId = jsonStringAt(body, "event_id");
  return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
}

/** Slash commands (`command=/deploy&…`) and interactivity (`payload=<JSON>`). */
function identifyForm(rawBody: Buffer): EventIdentity {
  const form = parseForm(rawBody);
  const payloadText = formField(form, "payload");
  const payload = payloadText === undefined ? undefined : parseJsonObject(payloadText);
  const eventType =
    formField(form, "command") !== undefined ? "slash_command" : (jsonStringAt(payload, "type") ?? "slack");
  const deliveryId = formField(form, "trigger_id") ?? jsonStringAt(payload, "trigger_id");
  return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
}

export const slackVerifier: SyncProviderVerifier = {
  provider: "slack",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.slack,
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
