import { createHmac } from "node:crypto";
import type { ConformanceCase } from "../contract.js";

/**
 * HubSpot, Zoom, Twitch, Mailgun, Lemon Squeezy, generic HMAC, token, basic. None of these providers
 * publishes test vectors or a signing SDK we can run, so each case signs with an independent signer
 * written here from the provider's documentation, on node:crypto alone (nothing from shared/verify).
 */

const BASE_URL = "https://hooks.example.test/webhooks";
const hmacHex = (key: string | Buffer, content: string) =>
  createHmac("sha256", key).update(content).digest("hex");

// HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp (ms), the URI with HubSpot's listed
// escapes (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B) decoded.
const HUBSPOT_SECRET = "6b2f1c5e-4d2a-4f8e-9c3b-hubspot-client-secret";
function signHubspot(method: string, signedUri: string, body: string, timestampMs: number): string {
  return createHmac("sha256", HUBSPOT_SECRET)
    .update(`${method}${signedUri}${body}${timestampMs}`)
    .digest("base64");
}

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

const LEMON_SECRET = "lemon-squeezy-signing-secret";
const HMAC_KEY = Buffer.from("8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92", "hex");
const TOKEN = "tok_live_3f6c2a1b9e8d7c6b5a4f";

export const groupBCases: ConformanceCase[] = [
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
  {
    provider: "lemonsqueezy",
    name: "order_created",
    origin: "independent-signer",
    secrets: [LEMON_SECRET],
    build: () => {
      const body = JSON.stringify({
        meta: { test_mode: true, event_name: "order_created", custom_data: { customer_id: 25 } },
        data: {
          type: "orders",
          id: "1",
          attributes: { status: "paid", updated_at: "2021-08-17T09:45:53.000000Z" },
        },
      });
      return {
        headers: {
          "x-signature": hmacHex(LEMON_SECRET, body),
          "x-event-name": "order_created",
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: `${BASE_URL}/lemonsqueezy`,
        method: "POST",
      };
    },
    expected: {
      deliveryId: "order_created:1:2021-08-17T09:45:53.000000Z",
      deliveryIdSigned: true,
      eventType: "order_created",
    },
    bodySigned: true,
    credentialHeaders: ["x-signature"],
    otherSecrets: ["lemon-squeezy-signing-secreT"],
  },
  {
    provider: "hmac",
    name: "sha256, base64 signature, hex key, id and timestamp in the template",
    origin: "independent-signer",
    secrets: [HMAC_KEY.toString("hex")],
    options: {
      algorithm: "sha256",
      header: "X-Acme-Signature",
      prefix: "v1=",
      encoding: "base64",
      secretEncoding: "hex",
      timestampHeader: "X-Acme-Timestamp",
      idHeader: "X-Acme-Delivery",
      eventTypeHeader: "X-Acme-Event",
      signedContent: "{id}:{timestamp}:{body}",
    },
    build: (now) => {
      const body = JSON.stringify({ type: "ignored.in.favour.of.header", data: { n: 1 } });
      const id = "dlv_01HZX3";
      const signature = createHmac("sha256", HMAC_KEY).update(`${id}:${now}:${body}`).digest("base64");
      return {
        headers: {
          "x-acme-signature": `v1=${signature}`,
          "x-acme-timestamp": String(now),
          "x-acme-delivery": id,
          "x-acme-event": "invoice.settled",
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: `${BASE_URL}/acme`,
        method: "POST",
      };
    },
    expected: { deliveryId: "dlv_01HZX3", deliveryIdSigned: true, eventType: "invoice.settled" },
    bodySigned: true,
    credentialHeaders: ["x-acme-signature", "x-acme-timestamp", "x-acme-delivery"],
    idHeader: "x-acme-delivery",
    otherSecrets: ["00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"],
  },
  {
    provider: "token",
    name: "Bearer token in Authorization",
    origin: "independent-signer",
    secrets: [TOKEN],
    build: () => ({
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ type: "build.finished", id: 77 })),
      url: `${BASE_URL}/ci`,
      method: "POST",
    }),
    expected: { eventType: "build.finished" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["tok_live_3f6c2a1b9e8d7c6b5a4e"],
  },
  {
    provider: "token",
    name: "bare token in a custom header",
    origin: "independent-signer",
    secrets: [TOKEN],
    options: { header: "X-Hook-Token", scheme: "" },
    build: () => ({
      headers: { "x-hook-token": TOKEN, "content-type": "text/plain" },
      body: Buffer.from("ping"),
      url: `${BASE_URL}/ci`,
      method: "POST",
    }),
    expected: { eventType: "webhook" },
    bodySigned: false,
    credentialHeaders: ["x-hook-token"],
    otherSecrets: ["another-token"],
  },
  {
    provider: "basic",
    name: "Basic user:password",
    origin: "independent-signer",
    secrets: ["hooks:s3cr3t-passw0rd"],
    build: () => ({
      headers: {
        authorization: `Basic ${Buffer.from("hooks:s3cr3t-passw0rd").toString("base64")}`,
        "content-type": "application/json",
      },
      body: Buffer.from(JSON.stringify({ type: "order.paid" })),
      url: `${BASE_URL}/shop`,
      method: "POST",
    }),
    expected: { eventType: "order.paid" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["hooks:another-password"],
  },
];
