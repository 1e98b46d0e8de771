import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { duplicateHeader, missingHeader, readHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { encodedDigestsEqual, prefixedSignature } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the secret's
 * UTF-8 bytes. Nothing else is signed: no timestamp, and not `X-GitHub-Delivery` either, so the dedupe
 * key is the body's hash (a replay under a fresh delivery id is still a duplicate) and the delivery id is
 * metadata. The legacy SHA-1 `X-Hub-Signature` header is deliberately not accepted.
 */

export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";
const LEGACY_SIGNATURE_HEADER = "x-hub-signature";
const SIGNATURE_PREFIX = "sha256=";

export const githubVerifier: SyncProviderVerifier = {
  provider: "github",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.github,
  signsContent: true,

  verify(request, context) {
    const { headers, rawBody } = request;
    const value = readHeader(headers, GITHUB_SIGNATURE_HEADER);
    if (value === undefined) {
      const legacy = readHeader(headers, LEGACY_SIGNATURE_HEADER) !== undefined;
      throw missingHeader(
        GITHUB_SIGNATURE_HEADER,
        `is absent${legacy ? " (the SHA-1 'x-hub-signature' is not accepted)" : ""}`,
      );
    }
    if (value.includes(",")) {
      throw duplicateHeader(GITHUB_SIGNATURE_HEADER);
    }
    const candidate = prefixedSignature(value, SIGNATURE_PREFIX, "hex", GITHUB_SIGNATURE_HEADER);
    return firstMatchingSecret(`github: '${GITHUB_SIGNATURE_HEADER}'`, context.secrets, utf8HmacKey, (key) =>
      encodedDigestsEqual(computeHmacEncoded("sha256", key, [rawBody], "hex"), candidate),
    );
  },

  identify(request, json) {
    const deliveryId = readHeader(request.headers, "x-github-delivery");
    const event = readHeader(request.headers, "x-github-event");
    const action = event === undefined ? undefined : jsonStringAt(json(), "action");
    const eventType = event === undefined ? "github" : action === undefined ? event : `${event}.${action}`;
    // X-GitHub-Delivery is not covered by the signature (the body alone is).
    return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: false, eventType };
  },
};
