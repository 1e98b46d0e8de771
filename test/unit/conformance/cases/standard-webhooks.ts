import { Webhook } from "standardwebhooks";
import { URL, vector } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Standard Webhooks: conformance cases built from the provider's published vector, and the official
 * `standardwebhooks` SDK.
 */

const SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SW_SECRET = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
const swVector = vector("standard-webhooks-v1");
const swBody = JSON.stringify({ type: "invoice.paid", data: { id: "in_1" } });

export const standardWebhooksCases: ConformanceCase[] = [
  {
    provider: "standard-webhooks",
    name: "published vector (v1)",
    origin: "published-vector",
    secrets: [swVector.secret ?? ""],
    nowSeconds: 1614265330,
    build: () => ({ headers: swVector.headers, body: Buffer.from(swVector.body), url: URL, method: "POST" }),
    expected: { deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek", deliveryIdSigned: true, eventType: "webhook" },
    bodySigned: true,
    credentialHeaders: ["webhook-id", "webhook-timestamp", "webhook-signature"],
    idHeader: "webhook-id",
    otherSecrets: [OTHER_SW_SECRET],
  },
  {
    provider: "standard-webhooks",
    name: "signed by the standardwebhooks SDK",
    origin: "official-sdk",
    secrets: [SW_SECRET],
    build: (now) => {
      const id = "msg_conformance_1";
      const signature = new Webhook(SW_SECRET).sign(id, new Date(now * 1000), swBody);
      return {
        headers: {
          "webhook-id": id,
          "webhook-timestamp": String(now),
          "webhook-signature": signature,
          "content-type": "application/json",
        },
        body: Buffer.from(swBody),
        url: URL,
        method: "POST",
      };
    },
    expected: { deliveryId: "msg_conformance_1", deliveryIdSigned: true, eventType: "invoice.paid" },
    bodySigned: true,
    credentialHeaders: ["webhook-id", "webhook-timestamp", "webhook-signature"],
    idHeader: "webhook-id",
    otherSecrets: [OTHER_SW_SECRET],
  },
];
