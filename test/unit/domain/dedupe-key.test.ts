import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dedupeInputFor, dedupeKeyFor, MAX_VERBATIM_ID_BYTES } from "../../../shared/domain/dedupe-key.js";

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
const BODY = Buffer.from("x");

describe("dedupeKeyFor", () => {
  it("keys on a short delivery id as it is, and on the body's hash when there is no id", () => {
    expect(dedupeKeyFor({ kind: "delivery-id", deliveryId: "abc" })).toBe("id:abc");
    expect(dedupeKeyFor({ kind: "content", content: BODY })).toBe(
      "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
    );
  });

  it("replaces an id longer than 200 UTF-8 bytes by its SHA-256, so no key nears DynamoDB's 2,048 bytes", () => {
    const atLimit = "a".repeat(MAX_VERBATIM_ID_BYTES);
    expect(dedupeKeyFor({ kind: "delivery-id", deliveryId: atLimit })).toBe(`id:${atLimit}`);
    // 101 two-byte characters: 202 bytes, though only 101 UTF-16 code units.
    const wide = "é".repeat(101);
    expect(dedupeKeyFor({ kind: "delivery-id", deliveryId: wide })).toBe(`idsha256:${sha256(wide)}`);
    const long = "x".repeat(3_000);
    const key = dedupeKeyFor({ kind: "delivery-id", deliveryId: long });
    expect(key).toBe(`idsha256:${sha256(long)}`);
    expect(Buffer.byteLength(key)).toBeLessThan(80);
  });

  it("never lets a hashed long id collide with a verbatim id or a content hash", () => {
    const long = "y".repeat(500);
    const hashed = dedupeKeyFor({ kind: "delivery-id", deliveryId: long });
    expect(hashed).not.toBe(dedupeKeyFor({ kind: "delivery-id", deliveryId: `sha256:${sha256(long)}` }));
    expect(hashed).not.toBe(dedupeKeyFor({ kind: "content", content: long }));
  });
});

describe("dedupeInputFor", () => {
  const base = { signedContent: undefined, rawBody: BODY, signsContent: true };

  it("dedupes on a delivery id the signature covers", () => {
    expect(dedupeInputFor({ ...base, deliveryId: "msg_1", deliveryIdSigned: true })).toEqual({
      kind: "delivery-id",
      deliveryId: "msg_1",
    });
  });

  it("dedupes on the signed content when the id is outside the signature, so a new id changes nothing", () => {
    const a = dedupeInputFor({ ...base, deliveryId: "guid-1", deliveryIdSigned: false });
    const b = dedupeInputFor({ ...base, deliveryId: "guid-2", deliveryIdSigned: false });
    expect(a).toEqual({ kind: "content", content: BODY });
    expect(dedupeKeyFor(a)).toBe(dedupeKeyFor(b));
  });

  it("hashes the verifier's canonical signed content instead of the raw body when it names one", () => {
    expect(
      dedupeInputFor({ ...base, deliveryId: "t", deliveryIdSigned: false, signedContent: '["a","1"]' }),
    ).toEqual({ kind: "content", content: '["a","1"]' });
  });

  it("keeps an unsigned id as the key when the credential covers no content at all", () => {
    expect(
      dedupeInputFor({ ...base, signsContent: false, deliveryId: "123", deliveryIdSigned: false }),
    ).toEqual({ kind: "delivery-id", deliveryId: "123" });
  });

  it("falls back to the body without an id (or with an empty one)", () => {
    for (const deliveryId of [undefined, ""]) {
      expect(dedupeInputFor({ ...base, deliveryId, deliveryIdSigned: true })).toEqual({
        kind: "content",
        content: BODY,
      });
    }
  });
});
