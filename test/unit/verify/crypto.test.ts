import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../shared/domain/errors.js";
import {
  checkTimestampWindow,
  computeHmac,
  createKeyCache,
  decodeSignature,
  digestsEqual,
  matchesEncodedSignature,
  parseTimestamp,
  readHeader,
  requireHeader,
} from "../../../shared/verify/crypto.js";
import { contextOf, failureOf } from "./verify-test-kit.js";

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

describe("matchesEncodedSignature", () => {
  it("accepts the digest written in lower-case hex or padded base64", () => {
    expect(matchesEncodedSignature(DIGEST, DIGEST.toString("hex"), "hex")).toBe(true);
    expect(matchesEncodedSignature(DIGEST, DIGEST.toString("base64"), "base64")).toBe(true);
  });

  it("returns false, without throwing, for a different length", () => {
    expect(matchesEncodedSignature(DIGEST, DIGEST.subarray(0, 31).toString("hex"), "hex")).toBe(false);
    expect(
      matchesEncodedSignature(DIGEST, Buffer.concat([DIGEST, DIGEST]).toString("base64"), "base64"),
    ).toBe(false);
    expect(matchesEncodedSignature(DIGEST, "", "hex")).toBe(false);
  });

  it("returns false for other spellings of the same bytes", () => {
    expect(matchesEncodedSignature(DIGEST, DIGEST.toString("hex").toUpperCase(), "hex")).toBe(false);
    expect(matchesEncodedSignature(DIGEST, DIGEST.toString("base64url"), "base64")).toBe(false);
    expect(matchesEncodedSignature(DIGEST, DIGEST.toString("base64").replace(/=+$/, ""), "base64")).toBe(
      false,
    );
  });
});

describe("decodeSignature", () => {
  it("decodes canonical text and refuses anything Buffer.from would silently truncate or rewrite", () => {
    expect(decodeSignature("00ff", "hex")).toEqual(Buffer.from([0, 255]));
    expect(decodeSignature("00f", "hex")).toBeUndefined();
    expect(decodeSignature("00fg", "hex")).toBeUndefined();
    expect(decodeSignature("AAE=", "base64")).toEqual(Buffer.from([0, 1]));
    expect(decodeSignature("AAF=", "base64")).toBeUndefined(); // non-zero padding bits
    expect(decodeSignature("AA E=", "base64")).toBeUndefined();
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
