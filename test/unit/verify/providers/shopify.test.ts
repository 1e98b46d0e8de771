import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { shopifyVerifier } from "../../../../shared/verify/providers/shopify.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "shpss_0123456789abcdef0123456789abcdef";
const OTHER_SECRET = "shpss_0123456789abcdef0123456789abcdeF";
const NOW = 1_700_000_000;
const BODY = '{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00"}';

/** Independent of the verifier: base64 HMAC-SHA256 of the raw body keyed by the client secret. */
function shopifySignature(body: Buffer | string, secret = SECRET): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

const SIGNATURE = shopifySignature(BODY);

function headersOf(signature: string): Record<string, string> {
  return {
    "x-shopify-hmac-sha256": signature,
    "x-shopify-topic": "orders/create",
    "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    "x-shopify-shop-domain": "example.myshopify.com",
  };
}

function verify(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return shopifyVerifier.verify(requestOf(headers, body), contextOf(secrets, NOW));
}

function reasonOf(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return failureOf(() => verify(headers, secrets, body)).reason;
}

describe("shopifyVerifier.verify", () => {
  it("accepts the base64 signature over the exact bytes, whatever the clock says", () => {
    expect(verify(headersOf(SIGNATURE), [SECRET])).toEqual({ secretIndex: 0 });
    expect(shopifyVerifier.verify(requestOf(headersOf(SIGNATURE), BODY), contextOf([SECRET], 0))).toEqual({
      secretIndex: 0,
    });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(headersOf(SIGNATURE), [SECRET], flipBit(Buffer.from(BODY), 10))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headersOf(tamperEncoded(SIGNATURE, "base64", 31, 7)), [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headersOf(SIGNATURE), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersOf(SIGNATURE), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("rejects a request without the signature header", () => {
    const failure = failureOf(() => verify({ "x-shopify-topic": "orders/create" }, [SECRET]));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("x-shopify-hmac-sha256");
  });

  it("rejects signatures that are not canonical base64", () => {
    const hex = createHmac("sha256", SECRET).update(BODY).digest("hex");
    const urlSafe = SIGNATURE.replaceAll("+", "-").replaceAll("/", "_");
    // Hex is in the base64 alphabet: it decodes, to the wrong digest.
    expect(reasonOf(headersOf(hex), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    for (const value of [
      SIGNATURE.slice(0, -1),
      `${SIGNATURE}=`,
      "sha256=abc",
      "%%%",
      ...(urlSafe === SIGNATURE ? [] : [urlSafe]),
    ]) {
      expect(reasonOf(headersOf(value), [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports a repeated signature header as a duplicate", () => {
    expect(reasonOf(headersOf(`${SIGNATURE}, ${SIGNATURE}`), [SECRET])).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(headersOf(SIGNATURE), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(headersOf(SIGNATURE), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("shopifyVerifier.identify", () => {
  it("reads the webhook id and topic headers", () => {
    expect(shopifyVerifier.identify(requestOf(headersOf(SIGNATURE), BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
      deliveryIdSigned: false,
      eventType: "orders/create",
    });
  });

  it("falls back to the event id, then to no id and 'shopify'", () => {
    const eventOnly = { "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5" };
    expect(shopifyVerifier.identify(requestOf(eventOnly, BODY), () => undefined)).toEqual({
      deliveryId: "98880550-7158-44d4-b7cd-2c97c8a091b5",
      deliveryIdSigned: false,
      eventType: "shopify",
    });
    expect(shopifyVerifier.identify(requestOf({}, BODY), () => undefined)).toEqual({ eventType: "shopify" });
  });

  it("keeps delivery ids for three days, past Shopify's retries", () => {
    expect(shopifyVerifier.provider).toBe("shopify");
    expect(shopifyVerifier.retryHorizonSeconds).toBe(3 * 86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "shopify",
  verifier: shopifyVerifier,
  sign: (m, secret) => ({
    headers: { "x-shopify-hmac-sha256": hmac("sha256", secret, m.body).toString("base64") },
    body: m.body,
    url: PROPERTY_URL,
  }),
  tamperSignature: tamperHeader("x-shopify-hmac-sha256", "", "base64"),
  headerNames: ["x-shopify-hmac-sha256", "x-shopify-topic", "x-shopify-webhook-id"],
});
