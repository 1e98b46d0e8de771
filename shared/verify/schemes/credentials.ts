import { createHash, timingSafeEqual } from "node:crypto";
import { duplicateHeader, malformedHeader, requireHeader } from "../parsing/headers.js";
import type { InboundRequest } from "../types.js";
import { createKeyCache } from "./secrets.js";

/**
 * Static credentials in a header (bearer tokens, HTTP Basic). Both sides are hashed with SHA-256
 * before the constant-time compare, so neither the length nor the content of a configured secret
 * leaks through timing.
 */

/** SHA-256 of a configured secret's UTF-8 bytes (cached); `undefined` for a secret that cannot match. */
export function createSecretDigestCache(
  usable: (secret: string) => boolean,
): (secret: string) => Buffer | undefined {
  return createKeyCache((secret) =>
    usable(secret) ? createHash("sha256").update(secret, "utf8").digest() : undefined,
  );
}

/** Constant-time: whether `presented` hashes to `secretDigest`. */
export function credentialMatches(presented: Buffer | string, secretDigest: Buffer): boolean {
  return timingSafeEqual(createHash("sha256").update(presented).digest(), secretDigest);
}

/**
 * The credential after `scheme` (matched case-insensitively, as RFC 9110 says) and one or more
 * spaces, or the whole value when `scheme` is empty. Throws `missingHeader` when the header is absent,
 * `duplicateHeader` when it holds a comma (API Gateway joins repeated headers with ","; a token68
 * credential never contains one), `malformedHeader` otherwise.
 */
export function credentialAfterScheme(
  headers: InboundRequest["headers"],
  header: string,
  scheme: string,
): string {
  const value = requireHeader(headers, header);
  if (value.includes(",")) {
    throw duplicateHeader(header);
  }
  if (scheme.length === 0) {
    return value;
  }
  const credential =
    value.length > scheme.length &&
    value.slice(0, scheme.length).toLowerCase() === scheme.toLowerCase() &&
    value[scheme.length] === " "
      ? value.slice(scheme.length + 1).replace(/^ +/, "")
      : "";
  if (credential.length === 0) {
    throw malformedHeader(header, `is not '${scheme} <credentials>'`);
  }
  return credential;
}
