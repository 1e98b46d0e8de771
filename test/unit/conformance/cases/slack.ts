import { mac, request, vector } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Slack: conformance cases built from the provider's published vector, and an independent signer
 * written from the provider's documentation on node:crypto alone (it shares no code with
 * shared/verify).
 */

const slackVector = vector("slack-docs");

export const slackCases: ConformanceCase[] = [
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
];
