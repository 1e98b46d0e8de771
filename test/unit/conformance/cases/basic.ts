import { BASE_URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * HTTP Basic: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

export const basicCases: ConformanceCase[] = [
  {
    provider: "basic",
    name: "Basic user:password",
    origin: "independent-signer",
    secrets: ["hooks:s3cr3t-passw0rd"],
    build: () => ({
      headers: {
        authorization: `Basic ${Buffer.from("hooks:s3cr3t-passw0rd").toString("base64")}`,
        "content-type": "application/json",
      },
      body: Buffer.from(JSON.stringify({ type: "order.paid" })),
      url: `${BASE_URL}/shop`,
      method: "POST",
    }),
    expected: { eventType: "order.paid" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["hooks:another-password"],
  },
];
