import { createHash } from "node:crypto";
import { mac, request, URL, vector } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Twilio: conformance cases built from the provider's published vector, and an independent signer
 * written from the provider's documentation on node:crypto alone (it shares no code with
 * shared/verify).
 */

const twilioVector = vector("twilio-docs");

export const twilioCases: ConformanceCase[] = [
  {
    provider: "twilio",
    name: "published vector (form parameters)",
    origin: "published-vector",
    secrets: [twilioVector.secret ?? ""],
    build: () => request(twilioVector.headers, twilioVector.body, twilioVector.url),
    expected: { eventType: "twilio" },
    bodySigned: true,
    credentialHeaders: ["x-twilio-signature"],
    otherSecrets: ["12346"],
  },
  {
    provider: "twilio",
    name: "message status callback behind a custom domain (options.publicUrl)",
    origin: "independent-signer",
    secrets: ["twilio-auth-token"],
    options: { publicUrl: "https://sms.example.test/status?src=twilio" },
    build: () => {
      const params: [string, string][] = [
        ["MessageStatus", "delivered"],
        ["MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"],
        ["AccountSid", "AC25e16e9a716a4a1786a7c83f58e30482"],
        ["To", "+15558675310"],
      ];
      // Twilio signs the URL, then each parameter as name + value, sorted by name.
      const signed = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flat();
      const signature = mac(
        "sha1",
        "twilio-auth-token",
        "https://sms.example.test/status?src=twilio",
        ...signed,
      );
      const body = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
      return request(
        {
          "x-twilio-signature": signature.toString("base64"),
          "i-twilio-idempotency-token": "b6ccc6b4-0b4a-4bb0-9c9c-3b5b2d0f1a11",
          "content-type": "application/x-www-form-urlencoded",
        },
        body,
        "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/sms",
      );
    },
    expected: {
      deliveryId: "b6ccc6b4-0b4a-4bb0-9c9c-3b5b2d0f1a11",
      deliveryIdSigned: false,
      eventType: "message.delivered",
    },
    bodySigned: true,
    credentialHeaders: ["x-twilio-signature"],
    idHeader: "i-twilio-idempotency-token",
    otherSecrets: ["twilio-auth-tokeN"],
  },
  {
    provider: "twilio",
    name: "JSON body (bodySHA256 in the URL)",
    origin: "independent-signer",
    secrets: ["twilio-auth-token"],
    build: () => {
      const body = JSON.stringify({ CallSid: "CA1234567890ABCDE", CallStatus: "completed" });
      const url = `${URL}?bodySHA256=${createHash("sha256").update(body, "utf8").digest("hex")}`;
      return request(
        {
          "x-twilio-signature": mac("sha1", "twilio-auth-token", url).toString("base64"),
          "content-type": "application/json",
        },
        body,
        url,
      );
    },
    expected: { eventType: "call.completed" },
    bodySigned: true,
    credentialHeaders: ["x-twilio-signature"],
    otherSecrets: ["twilio-auth-tokeN"],
  },
];
