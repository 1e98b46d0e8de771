import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { jsonStringField } from "../parsing/json-field.js";
import { createSecretDigestCache, credentialAfterScheme, credentialMatches } from "../schemes/credentials.js";
import { decodeSignature, firstMatchingSecret } from "../schemes/crypto.js";
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
const ONE_DAY_SECONDS = 86_400;

/** A usable secret names a user: `user:password` with a non-empty user. */
const credentialsDigest = createSecretDigestCache((secret) => secret.indexOf(":") > 0);

export const basicVerifier: SyncProviderVerifier = {
  provider: "basic",
  retryHorizonSeconds: ONE_DAY_SECONDS,
  signsContent: false,

  verify(request, context) {
    const decoded = decodeSignature(credentialAfterScheme(request.headers, HEADER, "Basic"), "base64");
    if (decoded === undefined) {
      throw new SignatureVerificationError(
        SIGNATURE_FAILURES.malformedHeader,
        `header '${HEADER}' does not hold base64 credentials`,
      );
    }
    return firstMatchingSecret(`basic: '${HEADER}'`, context.secrets, credentialsDigest, (digest) =>
      credentialMatches(decoded, digest),
    );
  },

  identify(_request, json) {
    return { eventType: jsonStringField(json(), "type") ?? "webhook" };
  },
};
