import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { checkTimestampWindow, parseTimestamp } from "../../../../shared/verify/schemes/timestamp-window.js";
import { contextOf, failureOf } from "../support/verify-test-kit.js";

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
