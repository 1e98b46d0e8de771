import { BASE_URL, hmacHex } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Zoom: conformance cases built from an independent signer written from the provider's documentation
 * on node:crypto alone (it shares no code with shared/verify).
 */

// Zoom: v0= + hex HMAC-SHA256 of v0:{timestamp}:{body}; CRC answer = hex HMAC-SHA256 of the plain token.
const ZOOM_SECRET = "zoom-secret-token-conformance";

function zoomRequest(now: number, body: string, extra: Record<string, string> = {}) {
  return {
    headers: {
      "x-zm-signature": `v0=${hmacHex(ZOOM_SECRET, `v0:${now}:${body}`)}`,
      "x-zm-request-timestamp": String(now),
      "content-type": "application/json; charset=utf-8",
      ...extra,
    },
    body: Buffer.from(body),
    url: `${BASE_URL}/zoom`,
    method: "POST",
  };
}

export const zoomCases: ConformanceCase[] = [
  {
    provider: "zoom",
    name: "meeting.started (unsigned tracking id ignored)",
    origin: "independent-signer",
    secrets: [ZOOM_SECRET],
    build: (now) =>
      zoomRequest(
        now,
        JSON.stringify({
          event: "meeting.started",
          payload: { account_id: "acc", object: { id: "85746065432", topic: "Standup" } },
          event_ts: now * 1000,
        }),
        { "x-zm-trackingid": "v=2.0&s=1&rid=track-123" },
      ),
    expected: { eventType: "meeting.started" },
    bodySigned: true,
    credentialHeaders: ["x-zm-signature", "x-zm-request-timestamp"],
    otherSecrets: ["zoom-secret-token-conformancE"],
  },
  {
    provider: "zoom",
    name: "endpoint.url_validation CRC is answered",
    origin: "independent-signer",
    secrets: [ZOOM_SECRET],
    build: (now) =>
      zoomRequest(
        now,
        JSON.stringify({
          payload: { plainToken: "qgg8vlvZRS6UdWjN5xM5Bg" },
          event_ts: now * 1000,
          event: "endpoint.url_validation",
        }),
      ),
    expected: {
      eventType: "endpoint.url_validation",
      reply: {
        statusCode: 200,
        bodyIncludes: `"encryptedToken":"${hmacHex(ZOOM_SECRET, "qgg8vlvZRS6UdWjN5xM5Bg")}"`,
      },
    },
    bodySigned: true,
    credentialHeaders: ["x-zm-signature", "x-zm-request-timestamp"],
    otherSecrets: ["zoom-other-secret-token"],
  },
];
