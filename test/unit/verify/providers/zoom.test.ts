import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { zoomEncryptedToken, zoomVerifier } from "../../../../shared/verify/providers/zoom.js";
import {
  base,
  describeMutationProperties,
  flipBody,
  hex,
  hmacHex,
  shiftSeconds,
  tamperSignature,
  tamperUtf8,
} from "../support/mutation-properties.js";
import {
  contextOf,
  failureOf,
  flipBit,
  requestOf,
  tamperEncoded,
  withoutHeader,
} from "../support/verify-test-kit.js";

const SECRET = "zoom_webhook_secret_token_1";
const OTHER_SECRET = "zoom_webhook_secret_token_2";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({
  event: "meeting.started",
  payload: { account_id: "acc_1", object: { id: "85746065432", uuid: "4444AAAiAAAAAiAiAiiAii==" } },
  event_ts: 1_700_000_000_123,
});

/** From Zoom's docs, independently of the verifier: `v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`. */
function handSigned(timestamp: number | string = NOW, body: string | Buffer = BODY, secret = SECRET): string {
  const hmac = createHmac("sha256", secret).update(`v0:${timestamp}:`);
  return `v0=${hmac.update(body).digest("hex")}`;
}

function headersFor(signature = handSigned(), timestamp: number | string = NOW): Record<string, string> {
  return {
    "x-zm-signature": signature,
    "x-zm-request-timestamp": String(timestamp),
    "content-type": "application/json; charset=utf-8",
  };
}

function verify(
  headers: Record<string, string>,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return zoomVerifier.verify(requestOf(headers, body), contextOf(secrets, now));
}

function reasonOf(
  headers: Record<string, string>,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return failureOf(() => verify(headers, secrets, body, now)).reason;
}

describe("zoomVerifier.verify", () => {
  it("accepts a request signed over v0:{timestamp}:{body}", () => {
    expect(verify(headersFor())).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, signature or secret", () => {
    expect(reasonOf(headersFor(), [SECRET], flipBit(Buffer.from(BODY), 10))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const tampered = `v0=${tamperEncoded(handSigned().slice(3), "hex", 5)}`;
    expect(reasonOf(headersFor(tampered))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(headersFor(), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed timestamp inside the window, since the timestamp is signed", () => {
    expect(reasonOf(headersFor(handSigned(), NOW + 1))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("bounds the timestamp in both directions, inclusive", () => {
    const at = (t: number) => headersFor(handSigned(t), t);
    expect(verify(at(NOW - 300)).secretIndex).toBe(0);
    expect(verify(at(NOW + 300)).secretIndex).toBe(0);
    expect(reasonOf(at(NOW - 301))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at(NOW + 301))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersFor(), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports a missing signature or timestamp", () => {
    for (const name of ["x-zm-signature", "x-zm-request-timestamp"]) {
      expect(reasonOf(withoutHeader(headersFor(), name))).toBe(SIGNATURE_FAILURES.missingHeader);
    }
    expect(reasonOf({ ...headersFor(), "x-zm-signature": "" })).toBe(SIGNATURE_FAILURES.missingHeader);
  });

  it("rejects malformed signatures and timestamps", () => {
    const hex = handSigned().slice(3);
    for (const bad of [hex, `v1=${hex}`, `v0=${hex.toUpperCase()}`, `v0=${hex}0`, "v0=", `V0=${hex}`]) {
      expect(reasonOf(headersFor(bad))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    for (const bad of [`x${NOW}`, `${NOW}.0`, "-5", `0${NOW}`, `${NOW} `]) {
      expect(reasonOf(headersFor(handSigned(bad), bad))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports headers joined by the gateway as duplicates", () => {
    expect(reasonOf(headersFor(`${handSigned()}, ${handSigned()}`))).toBe(SIGNATURE_FAILURES.duplicateHeader);
    expect(reasonOf(headersFor(handSigned(), `${NOW}, ${NOW}`))).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(headersFor(), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(headersFor(), ["", SECRET])).toEqual({ secretIndex: 1 });
  });

  it("verifies endpoint.url_validation requests like any other, since Zoom signs them", () => {
    const body = JSON.stringify({
      payload: { plainToken: "qgg8vlvZRS6UdWjN5xM5Bg" },
      event_ts: 1_654_503_849_680,
      event: "endpoint.url_validation",
    });
    expect(verify(headersFor(handSigned(NOW, body)), [SECRET], body)).toEqual({ secretIndex: 0 });
    expect(reasonOf(headersFor(handSigned(NOW, body)), [OTHER_SECRET], body)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });
});

describe("zoomVerifier.identify", () => {
  const identify = (headers: Record<string, string>, json: unknown, secret?: string) =>
    zoomVerifier.identify(requestOf(headers, ""), () => json, { secret });

  it("answers the CRC with the plain token and its HMAC under the secret that verified", () => {
    const plainToken = "qgg8vlvZRS6UdWjN5xM5Bg";
    const json = { payload: { plainToken }, event_ts: 1_654_503_849_680, event: "endpoint.url_validation" };
    const identity = identify(headersFor(), json, OTHER_SECRET);
    // Computed by hand, as Zoom's docs describe: hex HMAC-SHA256 of the plain token, keyed by the secret.
    const encryptedToken = createHmac("sha256", OTHER_SECRET).update(plainToken).digest("hex");
    expect(identity.eventType).toBe("endpoint.url_validation");
    expect(identity.reply?.statusCode).toBe(200);
    expect(identity.reply?.contentType).toBe("application/json");
    expect(JSON.parse(identity.reply?.body ?? "")).toEqual({ plainToken, encryptedToken });
    expect(zoomEncryptedToken(OTHER_SECRET, plainToken)).toBe(encryptedToken);
  });

  it("refuses a CRC without a plain token as an invalid request", () => {
    expect(() => identify({}, { event: "endpoint.url_validation", payload: {} }, SECRET)).toThrow(
      InvalidRequestError,
    );
  });

  it("throws a TypeError when asked to answer a CRC without the secret (misuse)", () => {
    const json = { payload: { plainToken: "x" }, event: "endpoint.url_validation" };
    expect(() => identify({}, json)).toThrow(TypeError);
    expect(() => zoomEncryptedToken("", "x")).toThrow(TypeError);
  });

  it("returns no delivery id (the unsigned tracking header is ignored), so the body hash dedupes", () => {
    expect(identify({ "x-zm-trackingid": "v=2.0&trackid=abc" }, JSON.parse(BODY), SECRET)).toEqual({
      eventType: "meeting.started",
    });
    expect(identify({}, JSON.parse(BODY))).toEqual({ eventType: "meeting.started" });
    expect(identify({}, { event: "meeting.ended" })).toEqual({ eventType: "meeting.ended" });
    for (const json of [undefined, null, [], "x", { event: 5 }]) {
      expect(identify({}, json)).toEqual({ eventType: "zoom" });
    }
  });

  it("keeps delivery ids for one day, past Zoom's retries", () => {
    expect(zoomVerifier.provider).toBe("zoom");
    expect(zoomVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

describeMutationProperties({
  name: "zoom",
  verifier: zoomVerifier,
  secretOf: hex,
  sign: (d, secret) =>
    base(
      {
        "x-zm-signature": `v0=${hmacHex(secret, `v0:${d.timestamp}:`, d.body)}`,
        "x-zm-request-timestamp": String(d.timestamp),
      },
      d.body,
    ),
  tamperSecret: tamperUtf8,
  mutations: [
    flipBody,
    tamperSignature("x-zm-signature", "v0=", "hex"),
    shiftSeconds("x-zm-request-timestamp"),
  ],
  headerNames: ["x-zm-signature", "x-zm-request-timestamp", "x-zm-trackingid"],
});
