import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import {
  MAX_SIGNATURES,
  parseSignatureList,
  type SignatureListFormat,
} from "../../../../shared/verify/schemes/signature-list.js";
import { contextOf, failureOf } from "../support/verify-test-kit.js";

const STRIPE: SignatureListFormat = {
  header: "stripe-signature",
  separator: ",",
  timestampKey: "t",
  signatureKey: "v1",
};
const PADDLE: SignatureListFormat = {
  header: "paddle-signature",
  separator: ";",
  timestampKey: "ts",
  signatureKey: "h1",
};
const NOW = 1_700_000_000;
const HEX = "a".repeat(64);
const OTHER_HEX = "b".repeat(64);
const context = contextOf([], NOW);

describe("parseSignatureList", () => {
  it("reads Stripe's and Paddle's formats: the timestamp as sent and every signature, other keys ignored", () => {
    expect(parseSignatureList(`t=${NOW},v1=${HEX},v0=zz,v1=${OTHER_HEX}`, STRIPE, context)).toEqual({
      timestamp: String(NOW),
      signatures: [
        { text: HEX, encoding: "hex" },
        { text: OTHER_HEX, encoding: "hex" },
      ],
    });
    expect(parseSignatureList(`ts=${NOW}; h1=${HEX}`, PADDLE, context)).toEqual({
      timestamp: String(NOW),
      signatures: [{ text: HEX, encoding: "hex" }],
    });
  });

  it("rejects malformed lists, naming the header", () => {
    const cases: [string, SignatureListFormat][] = [
      [`t=${NOW},${HEX}`, STRIPE],
      [`t=${NOW},v1=${HEX.toUpperCase()}`, STRIPE],
      [`v1=${HEX}`, STRIPE],
      [`t=${NOW}`, STRIPE],
      [`ts=${NOW},h1=${HEX}`, PADDLE],
      [`t=${NOW}${`,v1=${HEX}`.repeat(MAX_SIGNATURES + 1)}`, STRIPE],
      [`t=0x10,v1=${HEX}`, STRIPE],
    ];
    for (const [value, format] of cases) {
      const failure = failureOf(() => parseSignatureList(value, format, context));
      expect(failure.reason, value).toBe(SIGNATURE_FAILURES.malformedHeader);
      expect(failure.logDetail).toContain(format.header);
    }
  });

  it("reports a second timestamp as a repeated header", () => {
    const failure = failureOf(() => parseSignatureList(`t=${NOW},v1=${HEX},t=${NOW}`, STRIPE, context));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("checks the timestamp against the window", () => {
    const failure = failureOf(() => parseSignatureList(`ts=${NOW - 301};h1=${HEX}`, PADDLE, context));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });
});
