import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { paddleVerifier } from "../../../../shared/verify/providers/paddle.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
  withHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI";
const OTHER_SECRET = "pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEi";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  event_id: "evt_01h8bzakzx3hm2fmen703n5q45",
  event_type: "transaction.completed",
  occurred_at: "2023-08-21T11:57:47.390028Z",
  notification_id: "ntf_01h8bzam1z32agrxjwhjgqk8w6",
  data: { id: "txn_01h8bx69629a16wwm9z8rjmak3" },
});

/** Independent of the verifier: hex HMAC-SHA256 of `{ts}:{body}`. */
function h1(timestamp: number, body: Buffer | string, secret = SECRET): string {
  return createHmac("sha256", secret).update(`${timestamp}:`).update(body).digest("hex");
}

const H1 = h1(NOW, BODY);

function verify(
  header: string,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return paddleVerifier.verify(requestOf({ "paddle-signature": header }, body), contextOf(secrets, now));
}

function reasonOf(
  header: string,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return failureOf(() => verify(header, secrets, body, now)).reason;
}

describe("paddleVerifier.verify", () => {
  it("accepts ts=…;h1=… over {ts}:{body}", () => {
    expect(verify(`ts=${NOW};h1=${H1}`)).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(`ts=${NOW};h1=${H1}`, [SECRET], flipBit(Buffer.from(BODY), 12))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`ts=${NOW};h1=${tamperEncoded(H1, "hex", 9)}`)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(`ts=${NOW};h1=${H1}`, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed ts inside the window, since the timestamp is signed", () => {
    expect(reasonOf(`ts=${NOW - 1};h1=${H1}`)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects timestamps too old or too far in the future, inclusive bounds accepted", () => {
    const header = `ts=${NOW};h1=${H1}`;
    expect(verify(header, [SECRET], BODY, NOW + 300).secretIndex).toBe(0);
    expect(verify(header, [SECRET], BODY, NOW - 300).secretIndex).toBe(0);
    expect(reasonOf(header, [SECRET], BODY, NOW + 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(header, [SECRET], BODY, NOW - 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("returns the index of the rotated secret, and accepts any of several h1 signatures", () => {
    expect(verify(`ts=${NOW};h1=${H1}`, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
    const stale = h1(NOW, BODY, OTHER_SECRET);
    expect(verify(`ts=${NOW};h1=${stale};h1=${H1}`)).toEqual({ secretIndex: 0 });
    expect(verify(`h1=${H1};ts=${NOW};h2=future`)).toEqual({ secretIndex: 0 });
  });

  it("rejects a request without the Paddle-Signature header", () => {
    const failure = failureOf(() => paddleVerifier.verify(requestOf({}, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("paddle-signature");
  });

  it("rejects malformed headers", () => {
    for (const header of [
      `ts=${NOW}`,
      `h1=${H1}`,
      `ts=abc;h1=${H1}`,
      `ts=;h1=${H1}`,
      `ts=${NOW};h1=`,
      `ts=${NOW};h1=${H1.toUpperCase()}`,
      `ts=${NOW};h1=${H1}z`,
      `ts=${NOW};h1=${H1};`,
      `ts=${NOW}&h1=${H1}`,
      `ts=${NOW};${H1}`,
      `ts=${NOW};${Array.from({ length: 17 }, () => `h1=${H1}`).join(";")}`,
    ]) {
      expect(reasonOf(header)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports a repeated header, or ts given twice, as a duplicate", () => {
    expect(reasonOf(`ts=${NOW};h1=${H1}, ts=${NOW};h1=${H1}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
    expect(reasonOf(`ts=${NOW};ts=${NOW};h1=${H1}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(`ts=${NOW};h1=${H1}`, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(`ts=${NOW};h1=${H1}`, ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("paddleVerifier.identify", () => {
  it("reads event_id and event_type from the body", () => {
    expect(paddleVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "evt_01h8bzakzx3hm2fmen703n5q45",
      deliveryIdSigned: true,
      eventType: "transaction.completed",
    });
  });

  it("falls back to notification_id, then to no id and 'paddle'", () => {
    expect(paddleVerifier.identify(requestOf({}, ""), () => ({ notification_id: "ntf_1" }))).toEqual({
      deliveryId: "ntf_1",
      deliveryIdSigned: true,
      eventType: "paddle",
    });
    for (const json of [undefined, "x", { event_id: 5 }]) {
      expect(paddleVerifier.identify(requestOf({}, ""), () => json)).toEqual({ eventType: "paddle" });
    }
  });

  it("keeps delivery ids for four days, a day past Paddle's retries", () => {
    expect(paddleVerifier.provider).toBe("paddle");
    expect(paddleVerifier.retryHorizonSeconds).toBe(4 * 86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "paddle",
  verifier: paddleVerifier,
  sign: (m, secret) => ({
    headers: {
      "paddle-signature": `ts=${m.timestamp};h1=${hmac("sha256", secret, `${m.timestamp}:`, m.body).toString("hex")}`,
    },
    body: m.body,
    url: PROPERTY_URL,
  }),
  tamperSignature: tamperHeader("paddle-signature", "h1=", "hex"),
  retime: (r, _m, timestamp) =>
    withHeader(
      r,
      "paddle-signature",
      (r.headers["paddle-signature"] ?? "").replace(/^ts=\d+/, `ts=${timestamp}`),
    ),
  headerNames: ["paddle-signature"],
});
