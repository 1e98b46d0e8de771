import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { squareVerifier } from "../../../../shared/verify/providers/square.js";
import type { InboundRequest } from "../../../../shared/verify/types.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "Ibxx_5AKakO-3qeNVR61Dw";
const OTHER_SECRET = "Ibxx_5AKakO-3qeNVR61DW";
const NOW = 1_700_000_000;
const URL = "https://hooks.example.com/webhooks/square";
const BODY = JSON.stringify({
  merchant_id: "6SSW7HV8K2ST5",
  type: "payment.updated",
  event_id: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
  created_at: "2024-01-15T12:00:00Z",
  data: { type: "payment", id: "KkAkhdMsgzn59SM8A89WgKwekxLZY" },
});

/** Independent of the verifier: base64 HMAC-SHA256 of the notification URL followed by the body. */
function squareSignature(url: string, body: Buffer | string, secret = SECRET): string {
  return createHmac("sha256", secret).update(url).update(body).digest("base64");
}

const SIGNATURE = squareSignature(URL, BODY);

function requestOf(
  signature: string,
  body: Buffer | string = BODY,
  url: string | null = URL,
): InboundRequest {
  return {
    headers: { "x-square-hmacsha256-signature": signature, "content-type": "application/json" },
    rawBody: typeof body === "string" ? Buffer.from(body) : body,
    ...(url === null ? {} : { url }),
  };
}

function verify(request: InboundRequest, secrets: readonly string[] = [SECRET], options?: unknown) {
  return squareVerifier.verify(request, { ...contextOf(secrets, NOW), options });
}

function reasonOf(request: InboundRequest, secrets: readonly string[] = [SECRET], options?: unknown) {
  return failureOf(() => verify(request, secrets, options)).reason;
}

describe("squareVerifier.verify", () => {
  it("accepts the signature over URL + body", () => {
    expect(verify(requestOf(SIGNATURE))).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, URL, signature or secret", () => {
    expect(reasonOf(requestOf(SIGNATURE, flipBit(Buffer.from(BODY), 30)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(SIGNATURE, BODY, `${URL}?x=1`))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(requestOf(tamperEncoded(SIGNATURE, "base64", 3)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(SIGNATURE), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("uses options.publicUrl instead of the request's URL when it is set", () => {
    const internal = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/square";
    expect(verify(requestOf(SIGNATURE, BODY, internal), [SECRET], { publicUrl: URL })).toEqual({
      secretIndex: 0,
    });
    expect(reasonOf(requestOf(SIGNATURE, BODY, internal))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a request without a URL to check and no publicUrl", () => {
    const failure = failureOf(() => verify(requestOf(SIGNATURE, BODY, null)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(failure.logDetail).toContain("publicUrl");
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(requestOf(SIGNATURE), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("rejects a request without the signature header, and does not accept the legacy SHA-1 one", () => {
    const legacy = createHmac("sha1", SECRET).update(URL).update(BODY).digest("base64");
    const failure = failureOf(() =>
      verify({ headers: { "x-square-signature": legacy }, rawBody: Buffer.from(BODY), url: URL }),
    );
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("x-square-hmacsha256-signature");
    expect(reasonOf(requestOf(legacy))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects signatures that are not canonical base64", () => {
    for (const value of [SIGNATURE.slice(0, -1), "garbage", "%%%", `${SIGNATURE}=`]) {
      expect(reasonOf(requestOf(value))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports a repeated signature header as a duplicate", () => {
    expect(reasonOf(requestOf(`${SIGNATURE}, ${SIGNATURE}`))).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(requestOf(SIGNATURE), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(requestOf(SIGNATURE), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("squareVerifier.identify", () => {
  it("reads event_id and type from the body", () => {
    expect(squareVerifier.identify(requestOf(SIGNATURE), () => JSON.parse(BODY))).toEqual({
      deliveryId: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
      deliveryIdSigned: true,
      eventType: "payment.updated",
    });
  });

  it("falls back to 'square' and no id", () => {
    for (const json of [undefined, null, [], { event_id: 1, type: "" }]) {
      expect(squareVerifier.identify(requestOf(SIGNATURE), () => json)).toEqual({ eventType: "square" });
    }
  });

  it("keeps delivery ids for four days, a day past Square's retries", () => {
    expect(squareVerifier.provider).toBe("square");
    expect(squareVerifier.retryHorizonSeconds).toBe(4 * 86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "square",
  verifier: squareVerifier,
  options: { publicUrl: PROPERTY_URL },
  sign: (m, secret) => ({
    headers: {
      "x-square-hmacsha256-signature": hmac("sha256", secret, PROPERTY_URL, m.body).toString("base64"),
    },
    body: m.body,
    url: "https://internal.example.test/other",
  }),
  tamperSignature: tamperHeader("x-square-hmacsha256-signature", "", "base64"),
  headerNames: ["x-square-hmacsha256-signature"],
});
