import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ConformanceCase, ConformanceRequest } from "../contract.js";

/**
 * Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear, Intercom: the published vectors of Slack,
 * Twilio and Square, and an independent signer written here from each provider's documentation with
 * `node:crypto` alone (it shares no code with `shared/verify`).
 */

interface Vector {
  readonly name: string;
  readonly secret?: string;
  readonly url?: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const vectors = JSON.parse(readFileSync("test/fixtures/signature-vectors.json", "utf8")) as {
  vectors: Vector[];
};
const vector = (name: string): Vector => {
  const found = vectors.vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found;
};
const URL = "https://hooks.example.test/webhooks/src";

/** The independent signer: an HMAC of the parts, in order, keyed by the secret's UTF-8 bytes. */
function mac(algorithm: "sha1" | "sha256", secret: string, ...parts: string[]): Buffer {
  const hmac = createHmac(algorithm, Buffer.from(secret, "utf8"));
  for (const part of parts) hmac.update(part, "utf8");
  return hmac.digest();
}

function request(headers: Record<string, string>, body: string, url = URL): ConformanceRequest {
  return { headers, body: Buffer.from(body, "utf8"), url, method: "POST" };
}

const slackVector = vector("slack-docs");
const twilioVector = vector("twilio-docs");
const squareVector = vector("square-sdk");

export const groupACases: ConformanceCase[] = [
  {
    provider: "slack",
    name: "published vector (slash command)",
    origin: "published-vector",
    secrets: [slackVector.secret ?? ""],
    nowSeconds: 1531420618,
    build: () => request(slackVector.headers, slackVector.body),
    expected: {
      deliveryId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
      deliveryIdSigned: true,
      eventType: "slash_command",
    },
    bodySigned: true,
    credentialHeaders: ["x-slack-signature", "x-slack-request-timestamp"],
    otherSecrets: ["8f742231b10e8888abcd99yyyzzz85a6"],
  },
  {
    provider: "slack",
    name: "Events API event_callback",
    origin: "independent-signer",
    secrets: ["slack-signing-secret"],
    build: (now) => {
      const body = JSON.stringify({
        type: "event_callback",
        team_id: "T123ABC456",
        event: { type: "app_mention", user: "U123ABC456", text: "<@U0LAN0Z89> hi", ts: "1515449522.000016" },
        event_id: "Ev0LAN670R",
        event_time: 1515449522,
      });
      const signature = mac("sha256", "slack-signing-secret", `v0:${now}:${body}`).toString("hex");
      return request(
        {
          "x-slack-signature": `v0=${signature}`,
          "x-slack-request-timestamp": String(now),
          "content-type": "application/json",
        },
        body,
      );
    },
    expected: { deliveryId: "Ev0LAN670R", deliveryIdSigned: true, eventType: "app_mention" },
    bodySigned: true,
    credentialHeaders: ["x-slack-signature", "x-slack-request-timestamp"],
    otherSecrets: ["slack-signing-secreT"],
  },
  {
    provider: "slack",
    name: "url_verification handshake",
    origin: "independent-signer",
    secrets: ["slack-signing-secret"],
    build: (now) => {
      const body = JSON.stringify({
        token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        type: "url_verification",
      });
      const signature = mac("sha256", "slack-signing-secret", `v0:${now}:${body}`).toString("hex");
      return request(
        {
          "x-slack-signature": `v0=${signature}`,
          "x-slack-request-timestamp": String(now),
          "content-type": "application/json",
        },
        body,
      );
    },
    expected: {
      eventType: "url_verification",
      reply: { statusCode: 200, bodyIncludes: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" },
    },
    bodySigned: true,
    credentialHeaders: ["x-slack-signature", "x-slack-request-timestamp"],
    otherSecrets: ["slack-signing-secreT"],
  },
  {
    provider: "shopify",
    name: "orders/create",
    origin: "independent-signer",
    secrets: ["shopify-client-secret"],
    build: () => {
      const body = JSON.stringify({
        id: 820982911946154500,
        email: "jon@example.com",
        total_price: "403.00",
      });
      return request(
        {
          "x-shopify-hmac-sha256": mac("sha256", "shopify-client-secret", body).toString("base64"),
          "x-shopify-topic": "orders/create",
          "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
          "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
          "content-type": "application/json",
        },
        body,
      );
    },
    expected: {
      deliveryId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
      deliveryIdSigned: false,
      eventType: "orders/create",
    },
    bodySigned: true,
    credentialHeaders: ["x-shopify-hmac-sha256"],
    idHeader: "x-shopify-webhook-id",
    otherSecrets: ["shopify-client-secreT"],
  },
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
  {
    provider: "square",
    name: "published vector (square SDK test)",
    origin: "published-vector",
    secrets: [squareVector.secret ?? ""],
    build: () => request(squareVector.headers, squareVector.body, squareVector.url),
    expected: {
      deliveryId: "ac3ac95b-f97d-458c-a6e6-18981597e05f",
      deliveryIdSigned: true,
      eventType: "webhooks.test_notification",
    },
    bodySigned: true,
    credentialHeaders: ["x-square-hmacsha256-signature"],
    otherSecrets: ["Ibxx_5AKakO-3qeNVR61DW"],
  },
  {
    provider: "square",
    name: "payment.updated behind a custom domain (options.publicUrl)",
    origin: "independent-signer",
    secrets: ["square-signature-key"],
    options: { publicUrl: "https://pay.example.test/square" },
    build: () => {
      const body = JSON.stringify({
        merchant_id: "6SSW7HV8K2ST5",
        type: "payment.updated",
        event_id: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
        data: { type: "payment", id: "KkAkhdMsgzn59SM8A89WgKwekxLZY" },
      });
      const signature = mac("sha256", "square-signature-key", "https://pay.example.test/square", body);
      return request(
        { "x-square-hmacsha256-signature": signature.toString("base64"), "content-type": "application/json" },
        body,
      );
    },
    expected: {
      deliveryId: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
      deliveryIdSigned: true,
      eventType: "payment.updated",
    },
    bodySigned: true,
    credentialHeaders: ["x-square-hmacsha256-signature"],
    otherSecrets: ["square-signature-keY"],
  },
  {
    provider: "paddle",
    name: "transaction.completed",
    origin: "independent-signer",
    secrets: ["pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI"],
    build: (now) => {
      const body = JSON.stringify({
        event_id: "evt_01h8bzakzx3hm2fmen703n5q45",
        event_type: "transaction.completed",
        occurred_at: "2023-08-21T11:57:47.390028Z",
        notification_id: "ntf_01h8bzam1z32agrxjwhjgqk8w6",
        data: { id: "txn_01h8bx69629a16wwm9z8rjmak3" },
      });
      const secret = "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI";
      const h1 = mac("sha256", secret, `${now}:`, body).toString("hex");
      return request({ "paddle-signature": `ts=${now};h1=${h1}`, "content-type": "application/json" }, body);
    },
    expected: {
      deliveryId: "evt_01h8bzakzx3hm2fmen703n5q45",
      deliveryIdSigned: true,
      eventType: "transaction.completed",
    },
    bodySigned: true,
    credentialHeaders: ["paddle-signature"],
    otherSecrets: ["pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_otherSecretValue0000000000000000"],
  },
  {
    provider: "pagerduty",
    name: "incident.triggered",
    origin: "independent-signer",
    secrets: ["pagerduty-webhook-secret"],
    build: () => {
      const body = JSON.stringify({
        event: {
          id: "01DEN1HNLBC1VITYQ8JJ2CNVL5",
          event_type: "incident.triggered",
          resource_type: "incident",
          occurred_at: "2020-10-02T18:45:22.169Z",
          data: { id: "PGR0VU2", type: "incident" },
        },
      });
      const v1 = mac("sha256", "pagerduty-webhook-secret", body).toString("hex");
      return request({ "x-pagerduty-signature": `v1=${v1}`, "content-type": "application/json" }, body);
    },
    expected: {
      deliveryId: "01DEN1HNLBC1VITYQ8JJ2CNVL5",
      deliveryIdSigned: true,
      eventType: "incident.triggered",
    },
    bodySigned: true,
    credentialHeaders: ["x-pagerduty-signature"],
    otherSecrets: ["pagerduty-webhook-secreT"],
  },
  {
    provider: "linear",
    name: "Issue create",
    origin: "independent-signer",
    secrets: ["lin_wh_conformance_secret"],
    build: (now) => {
      const body = JSON.stringify({
        action: "create",
        type: "Issue",
        data: { id: "2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9", title: "Conformance" },
        webhookId: "000042e3-d123-4980-b49f-8e140eef9329",
        webhookTimestamp: now * 1000 + 123,
      });
      return request(
        {
          "linear-signature": mac("sha256", "lin_wh_conformance_secret", body).toString("hex"),
          "linear-delivery": "234d1a4e-b617-4388-90fe-adc3633d6b72",
          "linear-event": "Issue",
          "content-type": "application/json; charset=utf-8",
        },
        body,
      );
    },
    expected: {
      deliveryId: "234d1a4e-b617-4388-90fe-adc3633d6b72",
      deliveryIdSigned: false,
      eventType: "issue.create",
    },
    bodySigned: true,
    credentialHeaders: ["linear-signature"],
    idHeader: "linear-delivery",
    otherSecrets: ["lin_wh_conformance_secreT"],
  },
  {
    provider: "intercom",
    name: "conversation.user.created",
    origin: "independent-signer",
    secrets: ["intercom-client-secret"],
    build: () => {
      const body = JSON.stringify({
        type: "notification_event",
        app_id: "ecahpwf5",
        data: { type: "notification_event_data", item: { type: "conversation", id: "147" } },
        id: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
        topic: "conversation.user.created",
        delivery_attempts: 1,
      });
      const signature = mac("sha1", "intercom-client-secret", body).toString("hex");
      return request({ "x-hub-signature": `sha1=${signature}`, "content-type": "application/json" }, body);
    },
    expected: {
      deliveryId: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
      deliveryIdSigned: true,
      eventType: "conversation.user.created",
    },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature"],
    otherSecrets: ["intercom-client-secreT"],
  },
];
