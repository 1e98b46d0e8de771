import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { malformedHeader } from "../parsing/headers.js";
import type { VerifyContext } from "../types.js";

/** Signed timestamps: read as unix seconds, and accepted only within the source's tolerance. */

/** Canonical unix seconds: digits without leading zeros, small enough to be an exact number. */
const TIMESTAMP_PATTERN = /^(?:0|[1-9][0-9]{0,14})$/;

/** Parses a signed timestamp header (unix seconds); throws `malformedHeader` for anything else. */
export function parseTimestamp(value: string, header: string): number {
  if (!TIMESTAMP_PATTERN.test(value)) {
    throw malformedHeader(header, "is not a timestamp in unix seconds");
  }
  return Number(value);
}

/**
 * Throws `timestampOutOfWindow` unless `timestamp` is within `toleranceSeconds` of now, in both
 * directions. Written as "accept only when inside" so that a NaN clock or tolerance fails closed.
 */
export function checkTimestampWindow(timestamp: number, context: VerifyContext, header: string): void {
  const skew = context.nowSeconds - timestamp;
  if (Math.abs(skew) <= context.toleranceSeconds) {
    return;
  }
  const direction = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
  throw new SignatureVerificationError(
    SIGNATURE_FAILURES.timestampOutOfWindow,
    `header '${header}' is ${direction}; tolerance is ${context.toleranceSeconds} s`,
  );
}
