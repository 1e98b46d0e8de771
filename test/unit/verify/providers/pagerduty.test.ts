import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { pagerdutyVerifier } from "../../../../shared/verify/providers/pagerduty.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "Jm3fMJ/TzF0cLn1Dfb3NqbuW6uUR1qT3mMN2ALm8V6iVZCuAhqYaxLEGZ3cmh8gU";
const OTHER_SECRET = "Jm3fMJ/TzF0cLn1Dfb3NqbuW6uUR1qT3mMN2ALm8V6iVZCuAhqYaxLEGZ3cmh8gu";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  event: {
    id: "01DEN1HNLBC1VITYQ8JJ2CNVL5",
    event_type: "incident.triggered",
    resource_type: "incident",
    occurred_at: "2020-10-02T18:45:22.169Z",
    data: { id: "PGR0VU2", type: "incident", title: "A little bump in the road" },
  },
});

/** Independent of the verifier: `v1=` + hex HMAC-SHA256 of the body. */
function v1(body: Buffer | string, secret = SECRET): string {
  return `v1=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

const V1 = v1(BODY);

function verify(header: string, secrets: readonly string[] = [SECRET], body: Buffer | string = BODY) {
  return pagerdutyVerifier.verify(
    requestOf({ "x-pagerduty-signature": header }, body),
    contextOf(secrets, NOW),
  );
}

function reasonOf(header: string, secrets: readonly string[] = [SECRET], body: Buffer | string = BODY) {
  return failureOf(() => verify(header, secrets, body)).reason;
}

describe("pagerdutyVerifier.verify", () => {
  it("accepts v1=<hex HMAC-SHA256 of the body>, whatever the clock says", () => {
    expect(verify(V1)).toEqual({ secretIndex: 0 });
    expect(
      pagerdutyVerifier.verify(requestOf({ "x-pagerduty-signature": V1 }, BODY), contextOf([SECRET], 0)),
    ).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(V1, [SECRET], flipBit(Buffer.from(BODY), 40))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`v1=${tamperEncoded(V1.slice(3), "hex", 2)}`)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(V1, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret, and accepts any of several v1 signatures", () => {
    expect(verify(V1, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
    expect(verify(`${v1(BODY, OTHER_SECRET)},${V1}`)).toEqual({ secretIndex: 0 });
    expect(verify(`v2=${"ab".repeat(32)},${V1}`)).toEqual({ secretIndex: 0 });
  });

  it("reads a repeated header joined by the gateway as one list, which still needs a valid signature", () => {
    expect(verify(`${V1}, ${V1}`)).toEqual({ secretIndex: 0 });
    expect(verify(`${v1(BODY, OTHER_SECRET)}, ${V1}`)).toEqual({ secretIndex: 0 });
    expect(reasonOf(`${v1(BODY, OTHER_SECRET)}, ${v1(BODY, OTHER_SECRET)}`)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a request without the signature header", () => {
    const failure = failureOf(() => pagerdutyVerifier.verify(requestOf({}, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("x-pagerduty-signature");
  });

  it("rejects malformed headers", () => {
    const hex = V1.slice(3);
    for (const header of [
      hex,
      "v1=",
      `v1=${hex.toUpperCase()}`,
      `v1=${hex}0`,
      `v2=${hex}`,
      `${V1},`,
      `${V1};v1=${hex}`,
      Array.from({ length: 17 }, () => V1).join(","),
    ]) {
      expect(reasonOf(header)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(V1, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(V1, ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("pagerdutyVerifier.identify", () => {
  it("reads event.id and event.event_type", () => {
    expect(pagerdutyVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "01DEN1HNLBC1VITYQ8JJ2CNVL5",
      deliveryIdSigned: true,
      eventType: "incident.triggered",
    });
  });

  it("falls back to 'pagerduty' and no id", () => {
    for (const json of [
      undefined,
      {},
      { event: "x" },
      { event: { id: 1, event_type: null } },
      { id: "a", event_type: "b" },
    ]) {
      expect(pagerdutyVerifier.identify(requestOf({}, ""), () => json)).toEqual({ eventType: "pagerduty" });
    }
  });

  it("keeps delivery ids for a day", () => {
    expect(pagerdutyVerifier.provider).toBe("pagerduty");
    expect(pagerdutyVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "pagerduty",
  verifier: pagerdutyVerifier,
  sign: (m, secret) => ({
    headers: { "x-pagerduty-signature": `v1=${hmac("sha256", secret, m.body).toString("hex")}` },
    body: m.body,
    url: PROPERTY_URL,
  }),
  tamperSignature: tamperHeader("x-pagerduty-signature", "v1=", "hex"),
  headerNames: ["x-pagerduty-signature"],
});
