import { mac, request } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * PagerDuty: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

export const pagerdutyCases: ConformanceCase[] = [
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
];
