import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { linearVerifier } from "../../../../shared/verify/providers/linear.js";
import {
  describeSignedRequestProperties,
  hmac,
  type Message,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "lin_wh_c2d3b7e2d0f94a1e8b1c6a3f0e9d8c7b";
const OTHER_SECRET = "lin_wh_c2d3b7e2d0f94a1e8b1c6a3f0e9d8c7B";
const NOW = 1_700_000_000;

function bodyAt(timestampMs: number | string | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    action: "create",
    type: "Issue",
    data: { id: "2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9", title: "Bug" },
    url: "https://linear.app/issue/LIN-1778/foo-bar",
    createdAt: "2020-01-23T12:53:18.084Z",
    organizationId: "f3d8ab1e-4c0c-4e86-8c4c-5b8e0f0a0a0a",
    webhookId: "000042e3-d123-4980-b49f-8e140eef9329",
    ...(timestampMs === undefined ? {} : { webhookTimestamp: timestampMs }),
    ...extra,
  });
}

const BODY = bodyAt(NOW * 1000 + 250);

/** Independent of the verifier: hex HMAC-SHA256 of the body. */
function linearSignature(body: Buffer | string, secret = SECRET): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

const SIGNATURE = linearSignature(BODY);

function verify(
  signature: string,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return linearVerifier.verify(requestOf({ "linear-signature": signature }, body), contextOf(secrets, now));
}

function reasonOf(
  signature: string,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return failureOf(() => verify(signature, secrets, body, now)).reason;
}

describe("linearVerifier.verify", () => {
  it("accepts the hex HMAC-SHA256 of the body with a fresh webhookTimestamp", () => {
    expect(verify(SIGNATURE)).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(SIGNATURE, [SECRET], flipBit(Buffer.from(BODY), 3))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(tamperEncoded(SIGNATURE, "hex", 30))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(SIGNATURE, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed webhookTimestamp, since it is signed as part of the body", () => {
    expect(reasonOf(SIGNATURE, [SECRET], bodyAt(NOW * 1000 + 251))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("checks the signed webhookTimestamp (ms) in both directions, inclusive bounds accepted", () => {
    expect(verify(SIGNATURE, [SECRET], BODY, NOW + 300).secretIndex).toBe(0);
    expect(verify(SIGNATURE, [SECRET], BODY, NOW - 300).secretIndex).toBe(0);
    expect(reasonOf(SIGNATURE, [SECRET], BODY, NOW + 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(SIGNATURE, [SECRET], BODY, NOW - 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    const tight = linearVerifier.verify(
      requestOf({ "linear-signature": SIGNATURE }, BODY),
      contextOf([SECRET], NOW + 60, 60),
    );
    expect(tight.secretIndex).toBe(0);
  });

  it("rejects an authentic body without a usable webhookTimestamp", () => {
    for (const body of [
      bodyAt(undefined),
      bodyAt(String(NOW * 1000)),
      bodyAt(-1),
      bodyAt(1.5),
      "not json",
      "[]",
    ]) {
      const failure = failureOf(() => verify(linearSignature(body), [SECRET], body));
      expect(failure.reason).toBe(SIGNATURE_FAILURES.malformedHeader);
      expect(failure.logDetail).toContain("webhookTimestamp");
    }
  });

  it("does not read the timestamp of a body whose signature fails", () => {
    const body = bodyAt(undefined);
    expect(reasonOf(SIGNATURE, [SECRET], body)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(SIGNATURE, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("rejects a request without the Linear-Signature header", () => {
    const failure = failureOf(() => linearVerifier.verify(requestOf({}, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("linear-signature");
  });

  it("rejects malformed signatures", () => {
    for (const value of [`sha256=${SIGNATURE}`, SIGNATURE.toUpperCase(), `${SIGNATURE}0`, "zz"]) {
      expect(reasonOf(value)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports a repeated signature header as a duplicate", () => {
    expect(reasonOf(`${SIGNATURE}, ${SIGNATURE}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(SIGNATURE, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(SIGNATURE, ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("linearVerifier.identify", () => {
  it("uses the Linear-Delivery header and {type}.{action} lower-cased", () => {
    const headers = { "linear-delivery": "234d1a4e-b617-4388-90fe-adc3633d6b72", "linear-event": "Issue" };
    expect(linearVerifier.identify(requestOf(headers, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "234d1a4e-b617-4388-90fe-adc3633d6b72",
      deliveryIdSigned: false,
      eventType: "issue.create",
    });
  });

  it("falls back to webhookId and webhookTimestamp for the delivery id", () => {
    expect(linearVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: `000042e3-d123-4980-b49f-8e140eef9329:${NOW * 1000 + 250}`,
      deliveryIdSigned: true,
      eventType: "issue.create",
    });
  });

  it("uses the type alone without an action, and 'linear' without a type", () => {
    expect(linearVerifier.identify(requestOf({}, ""), () => ({ type: "AppUserNotification" }))).toEqual({
      eventType: "appusernotification",
    });
    for (const json of [undefined, {}, { action: "create" }, { webhookId: "w" }]) {
      expect(linearVerifier.identify(requestOf({}, ""), () => json)).toEqual({ eventType: "linear" });
    }
  });

  it("keeps delivery ids for a day, past Linear's retries", () => {
    expect(linearVerifier.provider).toBe("linear");
    expect(linearVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

function linearBody(message: Message, timestamp: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      action: "update",
      type: "Issue",
      data: { payload: message.body.toString("base64") },
      webhookId: message.id,
      webhookTimestamp: timestamp * 1000 + message.millis,
    }),
  );
}

describeSignedRequestProperties({
  name: "linear",
  verifier: linearVerifier,
  sign: (m, secret) => {
    const body = linearBody(m, m.timestamp);
    return {
      headers: { "linear-signature": hmac("sha256", secret, body).toString("hex") },
      body,
      url: PROPERTY_URL,
    };
  },
  tamperSignature: tamperHeader("linear-signature", "", "hex"),
  retime: (r, m, timestamp) => ({ ...r, body: linearBody(m, timestamp) }),
  headerNames: ["linear-signature", "linear-delivery"],
});
