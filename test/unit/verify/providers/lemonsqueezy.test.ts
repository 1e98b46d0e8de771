import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { lemonsqueezyVerifier } from "../../../../shared/verify/providers/lemonsqueezy.js";
import {
  base,
  describeMutationProperties,
  flipBody,
  hex,
  hmacHex,
  tamperSignature,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "lemon-signing-secret-1";
const OTHER_SECRET = "lemon-signing-secret-2";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  meta: { test_mode: true, event_name: "order_created", custom_data: { customer_id: 25 } },
  data: {
    type: "orders",
    id: "1",
    attributes: { store_id: 1, status: "paid", updated_at: "2021-08-17T09:45:53.000000Z" },
  },
});

/** From Lemon Squeezy's docs, independently of the verifier: hex HMAC-SHA256 of the raw body. */
function handSigned(body: string | Buffer = BODY, secret = SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

function verify(
  signature: string | undefined,
  secrets: readonly string[] = [SECRET],
  body: string | Buffer = BODY,
) {
  const headers: Record<string, string> = signature === undefined ? {} : { "x-signature": signature };
  return lemonsqueezyVerifier.verify(requestOf(headers, body), contextOf(secrets, NOW));
}

function reasonOf(
  signature: string | undefined,
  secrets: readonly string[] = [SECRET],
  body: string | Buffer = BODY,
) {
  return failureOf(() => verify(signature, secrets, body)).reason;
}

describe("lemonsqueezyVerifier.verify", () => {
  it("accepts a body signed with the signing secret", () => {
    expect(verify(handSigned())).toEqual({ secretIndex: 0 });
    const binary = Buffer.from([0, 255, 128, 10]);
    expect(verify(handSigned(binary), [SECRET], binary)).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, signature or secret", () => {
    expect(reasonOf(handSigned(), [SECRET], flipBit(Buffer.from(BODY), 12))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(tamperEncoded(handSigned(), "hex", 31, 7))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(handSigned(), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(handSigned().slice(0, 62))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(handSigned(), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports a missing, malformed or repeated signature header", () => {
    expect(reasonOf(undefined)).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(reasonOf("")).toBe(SIGNATURE_FAILURES.missingHeader);
    for (const bad of [handSigned().toUpperCase(), `sha256=${handSigned()}`, `${handSigned()}0`, "xyz"]) {
      expect(reasonOf(bad)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    expect(reasonOf(`${handSigned()}, ${handSigned()}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(handSigned(), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(handSigned(), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("lemonsqueezyVerifier.identify", () => {
  const identify = (json: unknown) => lemonsqueezyVerifier.identify(requestOf({}, ""), () => json);

  it("builds the delivery id from event name, resource id and update time", () => {
    expect(identify(JSON.parse(BODY))).toEqual({
      deliveryId: "order_created:1:2021-08-17T09:45:53.000000Z",
      deliveryIdSigned: true,
      eventType: "order_created",
    });
    const numericId = {
      meta: { event_name: "subscription_updated" },
      data: { id: 7, attributes: { updated_at: "t" } },
    };
    expect(identify(numericId)).toEqual({
      deliveryId: "subscription_updated:7:t",
      deliveryIdSigned: true,
      eventType: "subscription_updated",
    });
  });

  it("leaves the delivery id out when any part is missing, and falls back to 'lemonsqueezy'", () => {
    expect(identify({ meta: { event_name: "order_created" }, data: { id: "1" } })).toEqual({
      eventType: "order_created",
    });
    for (const json of [undefined, null, [], { meta: { event_name: 3 } }]) {
      expect(identify(json)).toEqual({ eventType: "lemonsqueezy" });
    }
  });

  it("keeps delivery ids for one day", () => {
    expect(lemonsqueezyVerifier.provider).toBe("lemonsqueezy");
    expect(lemonsqueezyVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

describeMutationProperties({
  name: "lemonsqueezy",
  verifier: lemonsqueezyVerifier,
  secretOf: hex,
  sign: (d, secret) => base({ "x-signature": hmacHex(secret, d.body) }, d.body),
  tamperSecret: tamperUtf8,
  mutations: [flipBody, tamperSignature("x-signature", "", "hex")],
  headerNames: ["x-signature"],
});
