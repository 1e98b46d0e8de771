import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { stripeVerifier } from "../../../../shared/verify/providers/stripe.js";
import { signStripe } from "../../../../shared/verify/sign.js";
import { describeSeededKeyProperties, tamperPrefixed, tamperUtf8 } from "../support/seeded-key-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc";
const OTHER_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dC";
const NOW = 1_700_000_000;
const BODY = '{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}';

/** Computed by hand, independently of `signStripe`: hex HMAC-SHA256 of `{t}.{body}` keyed by the whole secret. */
function handSigned(timestamp: number, body: string, secret: string): string {
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(`${timestamp}.${body}`).digest("hex");
}

const V1 = handSigned(NOW, BODY, SECRET);

function verify(header: string, secrets: readonly string[], body: Buffer | string = BODY, now = NOW) {
  return stripeVerifier.verify(requestOf({ "stripe-signature": header }, body), contextOf(secrets, now));
}

function reasonOf(header: string, secrets: readonly string[], body: Buffer | string = BODY, now = NOW) {
  return failureOf(() => verify(header, secrets, body, now)).reason;
}

describe("signStripe", () => {
  it("matches a hand-computed HMAC of {t}.{body} keyed by the undecoded whsec_ string", () => {
    expect(signStripe({ timestamp: NOW, body: BODY, secret: SECRET })).toBe(`t=${NOW},v1=${V1}`);
    expect(signStripe({ timestamp: NOW, body: Buffer.from(BODY), secret: SECRET })).toBe(`t=${NOW},v1=${V1}`);
  });

  it("throws a TypeError for an empty secret or a negative timestamp", () => {
    expect(() => signStripe({ timestamp: NOW, body: BODY, secret: "" })).toThrow(TypeError);
    expect(() => signStripe({ timestamp: -1, body: BODY, secret: SECRET })).toThrow(TypeError);
  });
});

describe("stripeVerifier.verify", () => {
  it("accepts a request signed by signStripe and one signed by hand", () => {
    expect(verify(signStripe({ timestamp: NOW, body: BODY, secret: SECRET }), [SECRET])).toEqual({
      secretIndex: 0,
    });
    expect(verify(`t=${NOW},v1=${V1}`, [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(`t=${NOW},v1=${V1}`, [SECRET], flipBit(Buffer.from(BODY), 40))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`t=${NOW},v1=${tamperEncoded(V1, "hex", 0)}`, [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`t=${NOW},v1=${V1}`, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed t= inside the window, since the timestamp is signed", () => {
    expect(reasonOf(`t=${NOW + 1},v1=${V1}`, [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(`t=${NOW},v1=${V1}`, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("accepts any of several v1 signatures and ignores other schemes", () => {
    const stale = handSigned(NOW, BODY, OTHER_SECRET);
    expect(verify(`t=${NOW},v1=${stale},v1=${V1}`, [SECRET])).toEqual({ secretIndex: 0 });
    expect(verify(`t=${NOW},v0=${"0".repeat(64)},v1=${V1},scheme=x`, [SECRET])).toEqual({ secretIndex: 0 });
    expect(verify(`v1=${V1}, t=${NOW}`, [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("does not accept a v0 signature in place of v1", () => {
    expect(reasonOf(`t=${NOW},v0=${V1}`, [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
  });

  it("rejects timestamps too old or too far in the future, inclusive bounds accepted", () => {
    const header = `t=${NOW},v1=${V1}`;
    expect(verify(header, [SECRET], BODY, NOW + 300).secretIndex).toBe(0);
    expect(verify(header, [SECRET], BODY, NOW - 300).secretIndex).toBe(0);
    expect(reasonOf(header, [SECRET], BODY, NOW + 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(header, [SECRET], BODY, NOW - 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("rejects a request without the Stripe-Signature header", () => {
    const failure = failureOf(() => stripeVerifier.verify(requestOf({}, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("stripe-signature");
  });

  it("rejects malformed headers", () => {
    for (const header of [
      `t=${NOW}`,
      `v1=${V1}`,
      `t=abc,v1=${V1}`,
      `t=,v1=${V1}`,
      `t=${NOW}.5,v1=${V1}`,
      `t=${NOW},v1=`,
      `t=${NOW},v1=${V1.toUpperCase()}`,
      `t=${NOW},v1=${V1}z`,
      `t=${NOW},v1=${V1},`,
      `t=${NOW};v1=${V1}`,
      `t=${NOW},${V1}`,
      `t=${NOW},${Array.from({ length: 17 }, () => `v1=${V1}`).join(",")}`,
    ]) {
      expect(reasonOf(header, [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports two headers joined by the gateway as a duplicate", () => {
    expect(reasonOf(`t=${NOW},v1=${V1}, t=${NOW},v1=${V1}`, [SECRET])).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(`t=${NOW},v1=${V1}`, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(`t=${NOW},v1=${V1}`, ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("stripeVerifier.identify", () => {
  it("takes the delivery id and event type from the body", () => {
    expect(stripeVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "evt_1NG8Du2eZvKYlo2CUI79vXWy",
      deliveryIdSigned: true,
      eventType: "payment_intent.succeeded",
    });
  });

  it("falls back to 'stripe' and no delivery id when the body is not an event", () => {
    for (const json of [undefined, null, 42, ["evt"], { id: 1, type: false }]) {
      expect(stripeVerifier.identify(requestOf({}, "x"), () => json)).toEqual({ eventType: "stripe" });
    }
  });

  it("keeps delivery ids for four days, a day past Stripe's retries", () => {
    expect(stripeVerifier.provider).toBe("stripe");
    expect(stripeVerifier.retryHorizonSeconds).toBe(4 * 86_400);
  });
});

// Properties on generated requests (see support/seeded-key-properties.ts).

describeSeededKeyProperties({
  name: "stripe",
  verifier: stripeVerifier,
  keyOf(seed) {
    const secret = `whsec_${Buffer.from(seed).toString("hex")}`;
    return { secret, sign: (m) => ({ "stripe-signature": signStripe({ ...m, secret }) }) };
  },
  tamperSecret: tamperUtf8,
  tamperSignature: (headers, position, bit) => ({
    "stripe-signature": tamperPrefixed(headers["stripe-signature"] ?? "", "v1=", "hex", position, bit),
  }),
  retime: (headers, timestamp) => ({
    "stripe-signature": (headers["stripe-signature"] ?? "").replace(/^t=\d+/, `t=${timestamp}`),
  }),
  headerNames: ["stripe-signature"],
});
