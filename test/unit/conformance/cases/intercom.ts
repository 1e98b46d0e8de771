import { mac, request } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Intercom: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

export const intercomCases: ConformanceCase[] = [
  {
    provider: "intercom",
    name: "conversation.user.created",
    origin: "independent-signer",
    secrets: ["intercom-client-secret"],
    build: () => {
      const body = JSON.stringify({
        type: "notification_event",
        app_id: "ecahpwf5",
        data: { type: "notification_event_data", item: { type: "conversation", id: "147" } },
        id: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
        topic: "conversation.user.created",
        delivery_attempts: 1,
      });
      const signature = mac("sha1", "intercom-client-secret", body).toString("hex");
      return request({ "x-hub-signature": `sha1=${signature}`, "content-type": "application/json" }, body);
    },
    expected: {
      deliveryId: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
      deliveryIdSigned: true,
      eventType: "conversation.user.created",
    },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature"],
    otherSecrets: ["intercom-client-secreT"],
  },
];
