import { mac, request } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Linear: conformance cases built from an independent signer written from the provider's documentation
 * on node:crypto alone (it shares no code with shared/verify).
 */

export const linearCases: ConformanceCase[] = [
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
];
