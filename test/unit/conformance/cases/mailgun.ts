import { BASE_URL, hmacHex } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Mailgun: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

// Mailgun: hex HMAC-SHA256 of timestamp + token, in the body.
const MAILGUN_SECRET = "key-mailgun-http-webhook-signing-key";
const MAILGUN_TOKEN = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";

function mailgunTriple(now: number) {
  return {
    timestamp: String(now),
    token: MAILGUN_TOKEN,
    signature: hmacHex(MAILGUN_SECRET, `${now}${MAILGUN_TOKEN}`),
  };
}

export const mailgunCases: ConformanceCase[] = [
  {
    provider: "mailgun",
    name: "JSON webhook with the signature object",
    origin: "independent-signer",
    secrets: [MAILGUN_SECRET],
    build: (now) => ({
      headers: { "content-type": "application/json" },
      body: Buffer.from(
        JSON.stringify({
          signature: mailgunTriple(now),
          "event-data": { event: "delivered", id: "CPgfbmQMTCKtHW6uIWtuVe", timestamp: now },
        }),
      ),
      url: `${BASE_URL}/mailgun`,
      method: "POST",
    }),
    expected: { deliveryId: MAILGUN_TOKEN, deliveryIdSigned: true, eventType: "delivered" },
    // Mailgun signs only timestamp + token: the rest of the body is not covered, and no header is.
    bodySigned: false,
    credentialHeaders: [],
    otherSecrets: ["key-another-signing-key"],
  },
  {
    provider: "mailgun",
    name: "form-encoded legacy webhook",
    origin: "independent-signer",
    secrets: [MAILGUN_SECRET],
    build: (now) => ({
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: Buffer.from(
        new URLSearchParams({
          ...mailgunTriple(now),
          event: "opened",
          recipient: "alice@example.com",
        }).toString(),
      ),
      url: `${BASE_URL}/mailgun`,
      method: "POST",
    }),
    expected: { deliveryId: MAILGUN_TOKEN, deliveryIdSigned: true, eventType: "opened" },
    bodySigned: false,
    credentialHeaders: [],
    otherSecrets: ["key-another-signing-key"],
  },
];
