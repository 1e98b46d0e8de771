import { BASE_URL, hmacHex } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Lemon Squeezy: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

const LEMON_SECRET = "lemon-squeezy-signing-secret";

export const lemonsqueezyCases: ConformanceCase[] = [
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
];
