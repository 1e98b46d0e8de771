import { mac, request } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Shopify: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

export const shopifyCases: ConformanceCase[] = [
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
];
