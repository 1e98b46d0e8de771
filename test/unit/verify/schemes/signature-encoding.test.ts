import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalSignature,
  digestsEqual,
  encodedDigestsEqual,
} from "../../../../shared/verify/schemes/signature-encoding.js";

const KEY = Buffer.from("key");
const DIGEST = createHmac("sha256", KEY).update("a.b.body").digest();

describe("encodedDigestsEqual", () => {
  it("accepts the same encoded digest", () => {
    expect(encodedDigestsEqual(DIGEST.toString("hex"), DIGEST.toString("hex"))).toBe(true);
    expect(encodedDigestsEqual(DIGEST.toString("base64"), DIGEST.toString("base64"))).toBe(true);
  });

  it("returns false, without throwing, for a different length", () => {
    const hex = DIGEST.toString("hex");
    expect(encodedDigestsEqual(hex, hex.slice(0, -2))).toBe(false);
    expect(encodedDigestsEqual(hex, hex + hex)).toBe(false);
    expect(encodedDigestsEqual(hex, "")).toBe(false);
  });

  it("returns false for other spellings of the same bytes and for any one changed character", () => {
    const hex = DIGEST.toString("hex");
    const base64 = DIGEST.toString("base64");
    expect(encodedDigestsEqual(hex, hex.toUpperCase())).toBe(false);
    expect(encodedDigestsEqual(base64, DIGEST.toString("base64url"))).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: base64.length - 1 }), fc.integer({ min: 1, max: 0xffff }), (at, delta) => {
        const changed = String.fromCharCode((base64.charCodeAt(at) + delta) % 0x10000);
        return !encodedDigestsEqual(base64, `${base64.slice(0, at)}${changed}${base64.slice(at + 1)}`);
      }),
    );
  });
});

describe("canonicalSignature", () => {
  it("accepts exactly the strings that decode and re-encode to themselves", () => {
    // The definition it replaces (a decode and re-encode round trip), checked on arbitrary text and on
    // near-canonical text (real encodings with one character changed).
    const nearCanonical = (encoding: "hex" | "base64") =>
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom(..."0aAfgQw+/=_- ."))
        .map(([bytes, at, letter]) => {
          const text = Buffer.from(bytes).toString(encoding);
          const i = at % text.length;
          return `${text.slice(0, i)}${letter}${text.slice(i + 1)}`;
        });
    for (const encoding of ["hex", "base64"] as const) {
      fc.assert(
        fc.property(fc.oneof(fc.string(), nearCanonical(encoding)), (text) => {
          const roundTrips = text.length > 0 && Buffer.from(text, encoding).toString(encoding) === text;
          return (canonicalSignature(text, encoding) !== undefined) === roundTrips;
        }),
        { numRuns: 2_000 },
      );
    }
  });
});

describe("digestsEqual", () => {
  it("compares equal-length buffers and treats different lengths as unequal", () => {
    expect(digestsEqual(DIGEST, Buffer.from(DIGEST))).toBe(true);
    expect(digestsEqual(DIGEST, DIGEST.subarray(1))).toBe(false);
  });
});
