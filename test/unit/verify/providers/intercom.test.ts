import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { intercomVerifier } from "../../../../shared/verify/providers/intercom.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "c3f1a7d2-8b4e-4f6a-9d0c-2e5b7a1f3c9d";
const OTHER_SECRET = "c3f1a7d2-8b4e-4f6a-9d0c-2e5b7a1f3c9e";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  type: "notification_event",
  app_id: "ecahpwf5",
  data: { type: "notification_event_data", item: { type: "conversation", id: "147" } },
  id: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
  topic: "conversation.user.created",
  delivery_status: "pending",
  delivery_attempts: 1,
  created_at: 1392731331,
});

/** Independent of the verifier: `sha1=` + hex HMAC-SHA1 of the body keyed by the client secret. */
function intercomSignature(body: Buffer | string, secret = SECRET): string {
  return `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`;
}

const SIGNATURE = intercomSignature(BODY);

function verify(signature: string, secrets: readonly string[] = [SECRET], body: Buffer | string = BODY) {
  return intercomVerifier.verify(requestOf({ "x-hub-signature": signature }, body), contextOf(secrets, NOW));
}

function reasonOf(signature: string, secrets: readonly string[] = [SECRET], body: Buffer | string = BODY) {
  return failureOf(() => verify(signature, secrets, body)).reason;
}

describe("intercomVerifier.verify", () => {
  it("accepts sha1=<hex HMAC-SHA1 of the body>", () => {
    expect(verify(SIGNATURE)).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(SIGNATURE, [SECRET], flipBit(Buffer.from(BODY), 60))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`sha1=${tamperEncoded(SIGNATURE.slice(5), "hex", 19)}`)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(SIGNATURE, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("does not accept a SHA-256 signature in its place", () => {
    const sha256 = createHmac("sha256", SECRET).update(BODY).digest("hex");
    expect(reasonOf(`sha1=${sha256}`)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(`sha256=${sha256}`)).toBe(SIGNATURE_FAILURES.malformedHeader);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(SIGNATURE, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("rejects a request without the X-Hub-Signature header", () => {
    const failure = failureOf(() => intercomVerifier.verify(requestOf({}, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("x-hub-signature");
  });

  it("rejects malformed signatures", () => {
    const hex = SIGNATURE.slice(5);
    for (const value of [hex, "sha1=", `sha1=${hex.toUpperCase()}`, `sha1=${hex}0`, `sha1:${hex}`]) {
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

describe("intercomVerifier.identify", () => {
  it("reads the notification id and topic", () => {
    expect(intercomVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
      deliveryIdSigned: true,
      eventType: "conversation.user.created",
    });
  });

  it("falls back to 'intercom' and no id", () => {
    for (const json of [undefined, {}, { id: 5, topic: [] }]) {
      expect(intercomVerifier.identify(requestOf({}, ""), () => json)).toEqual({ eventType: "intercom" });
    }
  });

  it("keeps delivery ids for a day", () => {
    expect(intercomVerifier.provider).toBe("intercom");
    expect(intercomVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "intercom",
  verifier: intercomVerifier,
  sign: (m, secret) => ({
    headers: { "x-hub-signature": `sha1=${hmac("sha1", secret, m.body).toString("hex")}` },
    body: m.body,
    url: PROPERTY_URL,
  }),
  tamperSignature: tamperHeader("x-hub-signature", "sha1=", "hex"),
  headerNames: ["x-hub-signature"],
});
