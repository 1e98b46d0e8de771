import { Webhook } from "standardwebhooks";
import { URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Svix: conformance cases built from the official `standardwebhooks` SDK.
 */

const SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SW_SECRET = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
const swBody = JSON.stringify({ type: "invoice.paid", data: { id: "in_1" } });

export const svixCases: ConformanceCase[] = [
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
];
