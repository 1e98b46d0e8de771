import { errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import {
  SIGNATURE_FAILURES,
  SignatureVerificationError,
  VerificationUnavailableError,
} from "../../domain/errors.js";
import { duplicateHeader, malformedHeader, missingHeader, readHeader } from "../parsing/headers.js";
import type { InboundRequest } from "../types.js";
import type { JwksKeyResolver } from "./jwks.js";

/** What the JWT and Google Pub/Sub verifiers share: reading the token, key sets, and jose's errors. */

/** Accepted clock difference for `exp`, `nbf` and `iat`. */
export const CLOCK_SKEW_SECONDS = 30;
/** A webhook token is well under a kilobyte or two; anything far larger is not one. */
const MAX_TOKEN_CHARS = 16_384;
/** Compact JWS: three base64url parts, the signature not empty (so never `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^bearer +/i;

/**
 * The compact JWT in header `name`, with a `Bearer ` scheme stripped (required when `bearer` is
 * "required", as for Pub/Sub; optional otherwise, as for Plaid's bare `Plaid-Verification`).
 */
export function readToken(
  headers: InboundRequest["headers"],
  name: string,
  bearer: "required" | "optional",
): string {
  const value = readHeader(headers, name);
  if (value === undefined) {
    throw missingHeader(name);
  }
  if (value.includes(",")) {
    throw duplicateHeader(name, "holds more than one value (repeated header?)");
  }
  const hasScheme = BEARER.test(value);
  if (bearer === "required" && !hasScheme) {
    throw malformedHeader(name, "is not 'Bearer <token>'");
  }
  const token = hasScheme ? value.replace(BEARER, "") : value;
  if (token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) {
    throw malformedHeader(name, "does not carry a signed compact JWT");
  }
  return token;
}

/**
 * `jwtVerify` against a key set. A token without `kid` that several keys of the set could have signed
 * is tried against each of them (jose leaves that to the caller); sets hold a handful of keys.
 */
export async function verifyWithKeySet(
  token: string,
  keys: JwksKeyResolver,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) {
      throw error;
    }
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) {
          throw inner;
        }
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function failure(reason: (typeof SIGNATURE_FAILURES)[keyof typeof SIGNATURE_FAILURES], detail: string) {
  return new SignatureVerificationError(reason, detail);
}

/**
 * The typed error for anything `verify` threw: our own errors pass through, jose's become the matching
 * `SignatureVerificationError`, and anything unexpected fails closed as `invalid_token`.
 */
export function verificationFailure(
  provider: string,
  error: unknown,
): SignatureVerificationError | VerificationUnavailableError {
  if (error instanceof SignatureVerificationError || error instanceof VerificationUnavailableError) {
    return error;
  }
  if (error instanceof errors.JWTExpired) {
    return failure(
      SIGNATURE_FAILURES.timestampOutOfWindow,
      `${provider}: the token's '${error.claim}' claim is past (skew ${CLOCK_SKEW_SECONDS} s)`,
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const timing = error.reason === "check_failed" && (error.claim === "nbf" || error.claim === "iat");
    return failure(
      timing ? SIGNATURE_FAILURES.timestampOutOfWindow : SIGNATURE_FAILURES.invalidToken,
      `${provider}: claim '${error.claim}' ${error.reason === "missing" ? "is missing" : "is not accepted"}`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return failure(
      SIGNATURE_FAILURES.noMatchingSignature,
      `${provider}: the token's signature does not verify`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return failure(
      SIGNATURE_FAILURES.noMatchingSignature,
      `${provider}: no key of the key set matches the token's 'kid' and 'alg'`,
    );
  }
  if (error instanceof errors.JWKSInvalid) {
    return new VerificationUnavailableError(`${provider}: the key set holds an unusable key`, {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return failure(SIGNATURE_FAILURES.invalidToken, `${provider}: the token's 'alg' is not pinned`);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return failure(SIGNATURE_FAILURES.malformedHeader, `${provider}: ${error.message}`);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return failure(SIGNATURE_FAILURES.invalidToken, `${provider}: the token was refused (${name})`);
}

/** A claim as a delivery id or event type: a non-empty string, or a safe integer written out. */
export function claimText(payload: JWTPayload | undefined, claim: string): string | undefined {
  if (payload === undefined || !Object.hasOwn(payload, claim)) {
    return undefined;
  }
  const value = payload[claim];
  if (typeof value === "string" && value.length > 0) {
    return value;
  }
  return Number.isSafeInteger(value) ? String(value) : undefined;
}
