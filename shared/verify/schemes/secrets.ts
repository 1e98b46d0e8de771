import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import type { VerifiedSignature } from "../types.js";

/**
 * A source's configured secrets and options as the verifiers use them: keys derived once per secret,
 * rotation (any one of several secrets verifies), and options a scheme cannot work without.
 */

/**
 * Memoises a key derived from a secret string (decoding, `KeyObject` import). Bounded: when full it
 * starts over, which only costs a re-derivation; there are few secrets per process.
 */
export function createKeyCache<T>(derive: (secret: string) => T, maxEntries = 64): (secret: string) => T {
  const cache = new Map<string, T>();
  return (secret) => {
    const cached = cache.get(secret);
    if (cached !== undefined) {
      return cached;
    }
    const derived = derive(secret);
    if (cache.size >= maxEntries) {
      cache.clear();
    }
    cache.set(secret, derived);
    return derived;
  };
}

/**
 * Rotation: the index of the first secret whose key `matches`. Secrets that yield no key (empty, not
 * decodable) are skipped; when every secret is like that the failure is `unusableSecret`, otherwise
 * `noMatchingSignature`. `label` names the provider and what was compared, for the log.
 */
export function firstMatchingSecret<Key>(
  label: string,
  secrets: readonly string[],
  keyOf: (secret: string) => Key | undefined,
  matches: (key: Key) => boolean,
): VerifiedSignature {
  let usable = false;
  for (let secretIndex = 0; secretIndex < secrets.length; secretIndex++) {
    const secret = secrets[secretIndex];
    const key = typeof secret === "string" ? keyOf(secret) : undefined;
    if (key === undefined) continue;
    usable = true;
    if (matches(key)) return { secretIndex };
  }
  throw usable
    ? new SignatureVerificationError(
        SIGNATURE_FAILURES.noMatchingSignature,
        `${label} matches no configured secret`,
      )
    : new SignatureVerificationError(
        SIGNATURE_FAILURES.unusableSecret,
        `${label}: no configured secret is usable`,
      );
}

/**
 * `options` of a provider that cannot verify without them. Config load already requires them, so this
 * only guards a verifier called directly: `unusableSecret` names `what` the options must hold.
 */
export function requireOptions<Options>(
  provider: string,
  options: Options | undefined,
  what: string,
): Options {
  if (options === undefined) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.unusableSecret,
      `${provider}: the source has no options (${what})`,
    );
  }
  return options;
}
