import { BASE_URL, hmacHex } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Twitch EventSub: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

// Twitch EventSub: sha256= + hex HMAC-SHA256 of message id + timestamp + body.
const TWITCH_SECRET = "twitch-eventsub-conformance-secret";

function twitchRequest(now: number, id: string, type: string, body: string) {
  const timestamp = new Date(now * 1000).toISOString();
  return {
    headers: {
      "twitch-eventsub-message-id": id,
      "twitch-eventsub-message-timestamp": timestamp,
      "twitch-eventsub-message-signature": `sha256=${hmacHex(TWITCH_SECRET, `${id}${timestamp}${body}`)}`,
      "twitch-eventsub-message-type": type,
      "twitch-eventsub-message-retry": "0",
      "twitch-eventsub-subscription-type": "channel.follow",
      "twitch-eventsub-subscription-version": "2",
      "content-type": "application/json",
    },
    body: Buffer.from(body),
    url: `${BASE_URL}/twitch`,
    method: "POST",
  };
}

export const twitchCases: ConformanceCase[] = [
  {
    provider: "twitch",
    name: "channel.follow notification",
    origin: "independent-signer",
    secrets: [TWITCH_SECRET],
    build: (now) =>
      twitchRequest(
        now,
        "befa7b53-d79d-478f-86b9-120f112b044e",
        "notification",
        JSON.stringify({
          subscription: { id: "f1c2a387", status: "enabled", type: "channel.follow", version: "2" },
          event: { user_id: "1234", user_login: "cool_user", broadcaster_user_id: "1337" },
        }),
      ),
    expected: {
      deliveryId: "befa7b53-d79d-478f-86b9-120f112b044e",
      deliveryIdSigned: true,
      eventType: "channel.follow",
    },
    bodySigned: true,
    credentialHeaders: [
      "twitch-eventsub-message-id",
      "twitch-eventsub-message-timestamp",
      "twitch-eventsub-message-signature",
    ],
    idHeader: "twitch-eventsub-message-id",
    otherSecrets: ["twitch-eventsub-conformance-secreT"],
  },
  {
    provider: "twitch",
    name: "webhook_callback_verification echoes the challenge",
    origin: "independent-signer",
    secrets: [TWITCH_SECRET],
    build: (now) =>
      twitchRequest(
        now,
        "e76c6bd4-55c9-4987-8304-da1588d8988b",
        "webhook_callback_verification",
        JSON.stringify({
          challenge: "pogchamp-kappa-360noscope-vohiyo",
          subscription: {
            id: "f1c2a387",
            status: "webhook_callback_verification_pending",
            type: "channel.follow",
          },
        }),
      ),
    expected: {
      deliveryId: "e76c6bd4-55c9-4987-8304-da1588d8988b",
      deliveryIdSigned: true,
      eventType: "webhook_callback_verification",
      reply: { statusCode: 200, bodyIncludes: "pogchamp-kappa-360noscope-vohiyo" },
    },
    bodySigned: true,
    credentialHeaders: [
      "twitch-eventsub-message-id",
      "twitch-eventsub-message-timestamp",
      "twitch-eventsub-message-signature",
    ],
    idHeader: "twitch-eventsub-message-id",
    otherSecrets: ["another-twitch-secret"],
  },
];
