import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import {
  canonicalSignature,
  checkTimestampWindow,
  computeHmac,
  computeHmacEncoded,
  createKeyCache,
  decodeSignature,
  digestsEqual,
  encodedDigestsEqual,
  parseTimestamp,
  readHeader,
  requireHeader,
} from "../../../../shared/verify/schemes/crypto.js";
import { contextOf, failureOf } from "../support/verify-test-kit.js";

const KEY = Buffer.from("key");
const DIGEST = createHmac("sha256", KEY).update("a.b.body").digest();

describe("computeHmac", () => {
  it("equals the HMAC of the parts concatenated, for strings and buffers alike", () => {
    expect(computeHmac("sha256", KEY, ["a.", Buffer.from("b."), "body"])).toEqual(DIGEST);
    expect(computeHmac("sha1", KEY, [Buffer.from("x")])).toEqual(
      createHmac("sha1", KEY).update("x").digest(),
    );
  });
});

describe("computeHmacEncoded", () => {
  it("is the same HMAC in lower-case hex or padded base64", () => {
    expect(computeHmacEncoded("sha256", KEY, ["a.", Buffer.from("b."), "body"], "hex")).toBe(
      DIGEST.toString("hex"),
    );
    expect(computeHmacEncoded("sha256", KEY, ["a.b.body"], "base64")).toBe(DIGEST.toString("base64"));
  });
});

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

describe("requireHeader", () => {
  it("returns a present header and throws missingHeader for an absent or empty one", () => {
    expect(requireHeader({ "x-a": "1" }, "x-a")).toBe("1");
    expect(failureOf(() => requireHeader({ "x-a": "" }, "x-a")).reason).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(failureOf(() => requireHeader({ "x-a": undefined }, "x-b")).logDetail).toContain("x-b");
  });

  it("ignores properties inherited from Object.prototype", () => {
    expect(readHeader({}, "constructor")).toBeUndefined();
    expect(readHeader({}, "toString")).toBeUndefined();
  });
});

describe("parseTimestamp", () => {
  it("reads canonical unix seconds", () => {
    expect(parseTimestamp("1614265330", "h")).toBe(1_614_265_330);
    expect(parseTimestamp("0", "h")).toBe(0);
  });

  it("throws malformedHeader for anything else", () => {
    for (const text of ["", " 1", "1 ", "-1", "+1", "1.0", "1e3", "0x10", "01", "9".repeat(16), "NaN"]) {
      expect(failureOf(() => parseTimestamp(text, "h")).reason).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });
});

describe("checkTimestampWindow", () => {
  it("accepts timestamps up to the tolerance away in either direction", () => {
    expect(() => checkTimestampWindow(1000, contextOf([], 1300), "h")).not.toThrow();
    expect(() => checkTimestampWindow(1600, contextOf([], 1300), "h")).not.toThrow();
  });

  it("rejects timestamps too old and too far in the future", () => {
    const old = failureOf(() => checkTimestampWindow(999, contextOf([], 1300), "h"));
    expect(old.reason).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(old.logDetail).toContain("301 s old");
    const future = failureOf(() => checkTimestampWindow(1601, contextOf([], 1300), "h"));
    expect(future.reason).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(future.logDetail).toContain("in the future");
  });

  it("fails closed for a clock or tolerance that is not a number", () => {
    expect(failureOf(() => checkTimestampWindow(1, contextOf([], Number.NaN), "h")).reason).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
    expect(failureOf(() => checkTimestampWindow(1, contextOf([], 1, Number.NaN), "h")).reason).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
  });
});

describe("createKeyCache", () => {
  it("derives each secret's key once and starts over when full", () => {
    const derived: string[] = [];
    const cached = createKeyCache((secret) => {
      derived.push(secret);
      return secret.length;
    }, 2);
    expect([cached("a"), cached("bb"), cached("a"), cached("bb")]).toEqual([1, 2, 1, 2]);
    expect(derived).toEqual(["a", "bb"]);
    cached("ccc");
    cached("a");
    expect(derived).toEqual(["a", "bb", "ccc", "a"]);
  });
});
