import { BASE_URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Static token: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

const TOKEN = "tok_live_3f6c2a1b9e8d7c6b5a4f";

export const tokenCases: ConformanceCase[] = [
  {
    provider: "token",
    name: "Bearer token in Authorization",
    origin: "independent-signer",
    secrets: [TOKEN],
    build: () => ({
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: Buffer.from(JSON.stringify({ type: "build.finished", id: 77 })),
      url: `${BASE_URL}/ci`,
      method: "POST",
    }),
    expected: { eventType: "build.finished" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["tok_live_3f6c2a1b9e8d7c6b5a4e"],
  },
  {
    provider: "token",
    name: "bare token in a custom header",
    origin: "independent-signer",
    secrets: [TOKEN],
    options: { header: "X-Hook-Token", scheme: "" },
    build: () => ({
      headers: { "x-hook-token": TOKEN, "content-type": "text/plain" },
      body: Buffer.from("ping"),
      url: `${BASE_URL}/ci`,
      method: "POST",
    }),
    expected: { eventType: "webhook" },
    bodySigned: false,
    credentialHeaders: ["x-hook-token"],
    otherSecrets: ["another-token"],
  },
];
