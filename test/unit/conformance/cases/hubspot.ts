import { createHmac } from "node:crypto";
import { BASE_URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * HubSpot: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

// HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp (ms), the URI with HubSpot's listed
// escapes (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B) decoded.
const HUBSPOT_SECRET = "6b2f1c5e-4d2a-4f8e-9c3b-hubspot-client-secret";

function signHubspot(method: string, signedUri: string, body: string, timestampMs: number): string {
  return createHmac("sha256", HUBSPOT_SECRET)
    .update(`${method}${signedUri}${body}${timestampMs}`)
    .digest("base64");
}

export const hubspotCases: ConformanceCase[] = [
  {
    provider: "hubspot",
    name: "v3 signature over the rebuilt URL, escapes decoded",
    origin: "independent-signer",
    secrets: [HUBSPOT_SECRET],
    build: (now) => {
      const body = JSON.stringify([
        {
          eventId: 7001,
          subscriptionId: 12,
          portalId: 62515,
          occurredAt: now * 1000,
          subscriptionType: "contact.creation",
          attemptNumber: 0,
          objectId: 123,
          appId: 54321,
        },
      ]);
      const timestamp = now * 1000;
      const url = `${BASE_URL}/hubspot?portal=62515&return=https%3A%2F%2Fapp.example.test%2Fdone%3Fok%3D1`;
      const signed = `${BASE_URL}/hubspot?portal=62515&return=https://app.example.test/done?ok%3D1`;
      return {
        headers: {
          "x-hubspot-signature-v3": signHubspot("POST", signed, body, timestamp),
          "x-hubspot-request-timestamp": String(timestamp),
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url,
        method: "POST",
      };
    },
    expected: { deliveryId: "7001", deliveryIdSigned: true, eventType: "contact.creation" },
    bodySigned: true,
    credentialHeaders: ["x-hubspot-signature-v3", "x-hubspot-request-timestamp"],
    otherSecrets: ["6b2f1c5e-4d2a-4f8e-9c3b-hubspot-client-secreT"],
  },
  {
    provider: "hubspot",
    name: "v3 signature over options.publicUrl, a batch of two events",
    origin: "independent-signer",
    secrets: [HUBSPOT_SECRET],
    options: { publicUrl: "https://public.example.test/hs" },
    build: (now) => {
      const body = JSON.stringify([
        { eventId: 902, subscriptionType: "deal.propertyChange", objectId: 1 },
        { eventId: 41, subscriptionType: "deal.propertyChange", objectId: 2 },
      ]);
      const timestamp = now * 1000 - 1500;
      return {
        headers: {
          "x-hubspot-signature-v3": signHubspot("POST", "https://public.example.test/hs", body, timestamp),
          "x-hubspot-request-timestamp": String(timestamp),
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: "https://internal-gateway.example.test/webhooks/hubspot",
        method: "POST",
      };
    },
    expected: { deliveryId: "41,902", deliveryIdSigned: true, eventType: "deal.propertyChange" },
    bodySigned: true,
    credentialHeaders: ["x-hubspot-signature-v3", "x-hubspot-request-timestamp"],
    otherSecrets: ["another-hubspot-client-secret"],
  },
];
