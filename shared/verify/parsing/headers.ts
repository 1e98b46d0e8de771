import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import type { InboundRequest } from "../types.js";

/**
 * Reading request headers, and the errors that name a header: every verifier reports a header that
 * is absent, repeated or malformed through these, so the log always reads `header '<name>' <detail>`.
 */

/** A header that is absent or empty. */
export function missingHeader(header: string, detail = "is absent"): SignatureVerificationError {
  return new SignatureVerificationError(SIGNATURE_FAILURES.missingHeader, `header '${header}' ${detail}`);
}

/** A header sent more than once (API Gateway joins repeated headers with ","). */
export function duplicateHeader(header: string, detail = "is repeated"): SignatureVerificationError {
  return new SignatureVerificationError(SIGNATURE_FAILURES.duplicateHeader, `header '${header}' ${detail}`);
}

/** A header whose value is not written the way the scheme writes it. */
export function malformedHeader(header: string, detail: string): SignatureVerificationError {
  return new SignatureVerificationError(SIGNATURE_FAILURES.malformedHeader, `header '${header}' ${detail}`);
}

/** A header's value, or `undefined` when absent or empty. */
export function readHeader(headers: InboundRequest["headers"], name: string): string | undefined {
  const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** A header's value; throws `missingHeader` when it is absent or empty. */
export function requireHeader(headers: InboundRequest["headers"], name: string): string {
  const value = readHeader(headers, name);
  if (value === undefined) {
    throw missingHeader(name);
  }
  return value;
}

/**
 * A header that must be present once. Its value never legitimately holds a comma (signatures,
 * timestamps, ids), so a comma means API Gateway joined two copies of it.
 */
export function requireSingleHeader(headers: InboundRequest["headers"], name: string): string {
  const value = requireHeader(headers, name);
  if (value.includes(",")) {
    throw duplicateHeader(name);
  }
  return value;
}
