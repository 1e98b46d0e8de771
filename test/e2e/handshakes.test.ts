import { createHmac, generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { collectMessages, sqsClient } from "../support/aws.js";
import { type LocalJwksServer, publicJwk, signJws, startJwksServer } from "../support/jws.js";
import { startTestPlatform } from "../support/test-platform.js";

const SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
let platform: LocalPlatform;
const jwtKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
let jwks: LocalJwksServer;

/** Signs like Slack does (an independent signer: node:crypto only). */
function slackRequest(body: string, contentType = "application/json") {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac("sha256", SLACK_SECRET).update(`v0:${ts}:${body}`).digest("hex")}`;
  return {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": String(ts),
      "x-slack-signature": signature,
    },
    body,
  };
}

beforeAll(async () => {
  jwks = await startJwksServer([publicJwk(jwtKey, "k1", "RS256")]);
  platform = await startTestPlatform("hs", {
    sources: [
      { id: "slack", provider: "slack", secrets: [SLACK_SECRET] },
      { id: "jwt", provider: "jwt", options: { algorithms: ["RS256"], jwksUrl: jwks.url } },
    ],
    subscriptions: [{ id: "audit", target: { type: "queue" } }],
  });
});

afterAll(async () => {
  await platform?.stop();
  await jwks?.close();
});

describe("provider handshakes and media types through the local platform", () => {
  it("answers Slack's url_verification with the challenge and enqueues nothing", async () => {
    const response = await fetch(
      `${platform.ingestUrl}slack`,
      slackRequest(
        JSON.stringify({
          token: "t",
          challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
          type: "url_verification",
        }),
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });

    const event = JSON.stringify({
      type: "event_callback",
      event_id: "Ev123",
      event: { type: "app_mention" },
    });
    const accepted = await fetch(`${platform.ingestUrl}slack`, slackRequest(event));
    expect(accepted.status).toBe(202);
    const messages = await collectMessages(sqsClient(), platform.queues.audit?.url ?? "", {
      timeoutMs: 4_000,
      until: (all) => all.length > 0,
    });
    expect(messages.map((m) => parseCloudEvent(m.Body ?? "").type)).toEqual(["app_mention"]);
  });

  it("refuses a content type Slack never sends with 415 { code, detail }", async () => {
    const response = await fetch(`${platform.ingestUrl}slack`, slackRequest("<xml/>", "application/xml"));
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      code: "unsupported_media_type",
      detail: expect.stringContaining("application/json"),
    });
  });

  it("verifies a JWT against a key set on loopback: the local runtime's guard opens loopback", async () => {
    const token = signJws(
      { alg: "RS256", kid: "k1" },
      { exp: Math.floor(Date.now() / 1000) + 300, jti: "jwt-local-1" },
      jwtKey,
    );
    const response = await fetch(`${platform.ingestUrl}jwt`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ type: "order.created" }),
    });
    expect(response.status).toBe(202);
    expect(jwks.requests).toBeGreaterThanOrEqual(1);
  });
});
