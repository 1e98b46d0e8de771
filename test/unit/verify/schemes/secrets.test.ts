import { describe, expect, it } from "vitest";
import { createKeyCache } from "../../../../shared/verify/schemes/secrets.js";

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
