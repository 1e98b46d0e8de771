import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeHmac, computeHmacEncoded } from "../../../../shared/verify/schemes/hmac.js";

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
