import Stripe from "stripe";
import { URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Stripe: conformance cases built from the official `standardwebhooks` SDK.
 */

const stripe = new Stripe("sk_test_conformance");

export const stripeCases: ConformanceCase[] = [
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
