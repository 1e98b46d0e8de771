import { sign as octokitSign } from "@octokit/webhooks-methods";
import { URL, vector } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * GitHub: conformance cases built from the provider's published vector, and the official
 * `@octokit/webhooks-methods` SDK.
 */

const ghVector = vector("github-docs");

export const githubCases: ConformanceCase[] = [
  {
    provider: "github",
    name: "published vector",
    origin: "published-vector",
    secrets: [ghVector.secret ?? ""],
    build: () => ({ headers: ghVector.headers, body: Buffer.from(ghVector.body), url: URL, method: "POST" }),
    expected: { eventType: "github" },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature-256"],
    otherSecrets: ["It's a Secret to Nobody"],
  },
  {
    provider: "github",
    name: "signed by @octokit/webhooks-methods",
    origin: "official-sdk",
    secrets: ["octokit-secret"],
    build: async () => {
      const body = JSON.stringify({ action: "opened", issue: { number: 1 } });
      return {
        headers: {
          "x-hub-signature-256": await octokitSign("octokit-secret", body),
          "x-github-event": "issues",
          "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: URL,
        method: "POST",
      };
    },
    expected: {
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      deliveryIdSigned: false,
      eventType: "issues.opened",
    },
    bodySigned: true,
    credentialHeaders: ["x-hub-signature-256"],
    idHeader: "x-github-delivery",
    otherSecrets: ["another-secret"],
  },
];
