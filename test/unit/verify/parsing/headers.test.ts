import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { readHeader, requireHeader } from "../../../../shared/verify/parsing/headers.js";
import { failureOf } from "../support/verify-test-kit.js";

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
