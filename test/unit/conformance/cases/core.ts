import { readFileSync } from "node:fs";
import { sign as octokitSign } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import type { ConformanceCase } from "../contract.js";

/** Standard Webhooks, Svix, GitHub and Stripe: published vectors and the providers' official SDKs. */
const vectors = JSON.parse(readFileSync("test/fixtures/signature-vectors.json", "utf8")) as {
  vectors: {
    name: string;
    provider: string;
    secret?: string;
    headers: Record<string, string>;
    body: string;
  }[];
};
const vector = (name: string) => {
  const found = vectors.vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found;
};
const URL = "https://hooks.example.test/webhooks/src";
const SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SW_SECRET = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
const stripe = new Stripe("sk_test_conformance");

const swVector = vector("standard-webhooks-v1");
const ghVector = vector("github-docs");
const swBody = JSON.stringify({ type: "invoice.paid", data: { id: "in_1" } });

export const coreCases: ConformanceCase[] = [
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
  {
    provider: "svix",
    name: "signed by the standardwebhooks SDK under svix-* headers",
    origin: "official-sdk",
    secrets: [SW_SECRET],
    build: (now) => {
      const id = "msg_conformance_2";
      const signature = new Webhook(SW_SECRET).sign(id, new Date(now * 1000), swBody);
      return {
        headers: { "svix-id": id, "svix-timestamp": String(now), "svix-signature": signature },
        body: Buffer.from(swBody),
        url: URL,
        method: "POST",
      };
    },
    expected: { deliveryId: "msg_conformance_2", deliveryIdSigned: true, eventType: "invoice.paid" },
    bodySigned: true,
    credentialHeaders: ["svix-id", "svix-timestamp", "svix-signature"],
    idHeader: "svix-id",
    otherSecrets: [OTHER_SW_SECRET],
  },
  {
    provider: "github",
    name: "published vector",
    origin: "published-vector",
    secrets: [ghVector.secret ?? ""],
    build: () => ({ headers: ghVector.headers, body: Buffer.from(ghVector.body), url: URL, method: "POST" }),
    expected: { eventType: "github" },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature-256"],
    otherSecrets: ["It's a Secret to Nobody"],
  },
  {
    provider: "github",
    name: "signed by @octokit/webhooks-methods",
    origin: "official-sdk",
    secrets: ["octokit-secret"],
    build: async () => {
      const body = JSON.stringify({ action: "opened", issue: { number: 1 } });
      return {
        headers: {
          "x-hub-signature-256": await octokitSign("octokit-secret", body),
          "x-github-event": "issues",
          "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: URL,
        method: "POST",
      };
    },
    expected: {
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      deliveryIdSigned: false,
      eventType: "issues.opened",
    },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature-256"],
    idHeader: "x-github-delivery",
    otherSecrets: ["another-secret"],
  },
  {
    provider: "stripe",
    name: "signed by the stripe SDK",
    origin: "official-sdk",
    secrets: ["whsec_stripe_conformance"],
    build: (now) => {
      const body = JSON.stringify({ id: "evt_1Conformance", object: "event", type: "invoice.paid" });
      const header = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: "whsec_stripe_conformance",
        timestamp: now,
      });
      return {
        headers: { "stripe-signature": header, "content-type": "application/json" },
        body: Buffer.from(body),
        url: URL,
        method: "POST",
      };
    },
    expected: { deliveryId: "evt_1Conformance", deliveryIdSigned: true, eventType: "invoice.paid" },
    bodySigned: true,
    credentialHeaders: ["stripe-signature"],
    otherSecrets: ["whsec_other"],
  },
];
