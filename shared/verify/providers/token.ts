import { RETRY_HORIZON_SECONDS, type TokenOptions } from "../catalog.js";
import { jsonStringAt } from "../parsing/json.js";
import { createSecretDigestCache, credentialAfterScheme, credentialMatches } from "../schemes/credentials.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * Static token: the header `options.header` (default `authorization`) holds `options.scheme` (default
 * `Bearer`, matched case-insensitively) and the token, or only the token when the scheme is empty. The
 * token is compared with each configured secret in constant time, after hashing both with SHA-256 so
 * lengths never leak. The body is not authenticated and nothing is timestamped: anyone who learns the
 * token can send anything, so prefer a signing scheme whenever the sender offers one.
 *
 * Identity: no delivery id (the body's hash is the dedupe key); the event type is the body's `type`,
 * else `webhook`.
 *
 * Horizon: unknown senders; body hashes are kept 1 day.
 */

const DEFAULT_HEADER = "authorization";
const DEFAULT_SCHEME = "Bearer";

const tokenDigest = createSecretDigestCache((secret) => secret.length > 0);

export const tokenVerifier: SyncProviderVerifier<TokenOptions> = {
  provider: "token",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.token,
  signsContent: false,

  verify(request, context) {
    const header = (context.options?.header ?? DEFAULT_HEADER).toLowerCase();
    const token = credentialAfterScheme(request.headers, header, context.options?.scheme ?? DEFAULT_SCHEME);
    return firstMatchingSecret(`token: '${header}'`, context.secrets, tokenDigest, (digest) =>
      credentialMatches(token, digest),
    );
  },

  identify(_request, json) {
    return { eventType: jsonStringAt(json(), "type") ?? "webhook" };
  },
};
