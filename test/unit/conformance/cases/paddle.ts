import { mac, request } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Paddle: conformance cases built from an independent signer written from the provider's documentation
 * on node:crypto alone (it shares no code with shared/verify).
 */

export const paddleCases: ConformanceCase[] = [
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
];
