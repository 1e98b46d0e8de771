import { SIGNATURE_FAILURES, SignatureVerificationError } from "../domain/errors.js";
import { requireHeader } from "./crypto.js";
import type { InboundRequest, VerifiedSignature } from "./types.js";

/**
 * The two steps every group-B verifier shares: reading a header that must appear once, and trying
 * each configured secret (rotation) until one matches.
 */

/**
 * A header that must be present once. Its value never legitimately holds a comma (signatures,
 * timestamps, ids), so a comma means API Gateway joined two copies of it.
 */
export function requireSingleHeader(headers: InboundRequest["headers"], name: string): string {
  const value = requireHeader(headers, name);
  if (value.includes(",")) {
    throw new SignatureVerificationError(SIGNATURE_FAILURES.duplicateHeader, `header '${name}' is repeated`);
  }
  return value;
}

/**
 * Returns the index of the first secret whose key `matches`. Secrets that yield no key (empty, not
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
    if (key === undefined) {
      continue;
    }
    usable = true;
    if (matches(key)) {
      return { secretIndex };
    }
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
