import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { createSecretDigestCache, credentialAfterScheme, credentialMatches } from "../schemes/credentials.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { decodeSignature } from "../schemes/signature-encoding.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * HTTP Basic: `Authorization: Basic <base64 of user:password>`; each configured secret is a
 * `user:password` string. The decoded credentials are compared with each secret in constant time,
 * after hashing both with SHA-256 so lengths never leak. The body is not authenticated and nothing is
 * timestamped.
 *
 * Identity: no delivery id (the body's hash is the dedupe key); the event type is the body's `type`,
 * else `webhook`.
 *
 * Horizon: unknown senders; body hashes are kept 1 day.
 */

const HEADER = "authorization";

/** A usable secret names a user: `user:password` with a non-empty user. */
const credentialsDigest = createSecretDigestCache((secret) => secret.indexOf(":") > 0);

export const basicVerifier: SyncProviderVerifier = {
  provider: "basic",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.basic,
  signsContent: false,

  verify(request, context) {
    const decoded = decodeSignature(credentialAfterScheme(request.headers, HEADER, "Basic"), "base64");
    if (decoded === undefined) {
      throw malformedHeader(HEADER, "does not hold base64 credentials");
    }
    return firstMatchingSecret(`basic: '${HEADER}'`, context.secrets, credentialsDigest, (digest) =>
      credentialMatches(decoded, digest),
    );
  },

  identify(_request, json) {
    return { eventType: jsonStringAt(json(), "type") ?? "webhook" };
  },
};
