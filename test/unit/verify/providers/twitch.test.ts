import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { twitchVerifier } from "../../../../shared/verify/providers/twitch.js";
import {
  base,
  describeMutationProperties,
  flipBody,
  flipChar,
  hex,
  hmacHex,
  setHeader,
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

const SECRET = "s3cre7-twitch-eventsub";
const OTHER_SECRET = "s3cre7-twitch-eventsuB";
const NOW = 1_700_000_000;
/** `NOW` as Twitch writes it: RFC 3339 with nanoseconds. */
const TIMESTAMP = "2023-11-14T22:13:20.123456789Z";
const ID = "e76c6bd4-55c9-4987-8304-da1588d8988b";
const BODY = JSON.stringify({
  subscription: { id: "f1c2a387", type: "channel.follow", version: "2", status: "enabled" },
  event: { user_id: "1234", user_login: "cool_user", broadcaster_user_id: "1337" },
});

/** From Twitch's docs, independently of the verifier: `sha256=` + hex HMAC-SHA256 of id + timestamp + body. */
function handSigned(
  input: { id?: string; timestamp?: string; body?: string | Buffer; secret?: string } = {},
) {
  const { id = ID, timestamp = TIMESTAMP, body = BODY, secret = SECRET } = input;
  return `sha256=${createHmac("sha256", secret)
    .update(id + timestamp)
    .update(body)
    .digest("hex")}`;
}

function headersFor(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    "twitch-eventsub-message-id": ID,
    "twitch-eventsub-message-timestamp": TIMESTAMP,
    "twitch-eventsub-message-signature": handSigned(),
    "twitch-eventsub-message-type": "notification",
    "twitch-eventsub-subscription-type": "channel.follow",
    "content-type": "application/json",
    ...overrides,
  };
}

function verify(
  headers: Record<string, string>,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return twitchVerifier.verify(requestOf(headers, body), contextOf(secrets, now, 600));
}

function reasonOf(
  headers: Record<string, string>,
  secrets: readonly string[] = [SECRET],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return failureOf(() => verify(headers, secrets, body, now)).reason;
}

describe("twitchVerifier.verify", () => {
  it("accepts a message signed over id + timestamp + body", () => {
    expect(verify(headersFor())).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, signature, secret or message id", () => {
    expect(reasonOf(headersFor(), [SECRET], flipBit(Buffer.from(BODY), 30))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const tampered = `sha256=${tamperEncoded(handSigned().slice(7), "hex", 9)}`;
    expect(reasonOf(headersFor({ "twitch-eventsub-message-signature": tampered }))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headersFor(), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(headersFor({ "twitch-eventsub-message-id": `${ID}x` }))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a changed timestamp inside the window, even one naming the same instant", () => {
    expect(
      reasonOf(headersFor({ "twitch-eventsub-message-timestamp": "2023-11-14T22:13:21.123456789Z" })),
    ).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(
      reasonOf(headersFor({ "twitch-eventsub-message-timestamp": "2023-11-14T22:13:20.123456789+00:00" })),
    ).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("bounds the timestamp in both directions by the tolerance", () => {
    const at = (timestamp: string) =>
      headersFor({
        "twitch-eventsub-message-timestamp": timestamp,
        "twitch-eventsub-message-signature": handSigned({ timestamp }),
      });
    expect(verify(at("2023-11-14T22:03:20Z")).secretIndex).toBe(0); // 600 s old
    expect(verify(at("2023-11-14T22:23:20Z")).secretIndex).toBe(0); // 600 s ahead
    expect(reasonOf(at("2023-11-14T22:03:19Z"))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at("2023-11-14T22:23:20.5Z"))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at("2023-11-14T23:13:20+01:00"), [SECRET], BODY, NOW + 3600)).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersFor(), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports a missing id, timestamp or signature", () => {
    for (const name of [
      "twitch-eventsub-message-id",
      "twitch-eventsub-message-timestamp",
      "twitch-eventsub-message-signature",
    ]) {
      expect(reasonOf(withoutHeader(headersFor(), name))).toBe(SIGNATURE_FAILURES.missingHeader);
    }
  });

  it("rejects malformed signatures and timestamps", () => {
    const hex = handSigned().slice(7);
    for (const bad of [hex, `sha1=${hex}`, `sha256=${hex.toUpperCase()}`, `sha256=${hex}f`, "sha256="]) {
      expect(reasonOf(headersFor({ "twitch-eventsub-message-signature": bad }))).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
    for (const bad of [String(NOW), "2023-11-14T22:13:20", "2023-11-14 22:13:20Z", "2023-02-30T22:13:20Z"]) {
      const headers = headersFor({
        "twitch-eventsub-message-timestamp": bad,
        "twitch-eventsub-message-signature": handSigned({ timestamp: bad }),
      });
      expect(reasonOf(headers)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports headers joined by the gateway as duplicates", () => {
    for (const [name, value] of Object.entries(headersFor()).slice(0, 3)) {
      expect(reasonOf(headersFor({ [name]: `${value}, ${value}` }))).toBe(SIGNATURE_FAILURES.duplicateHeader);
    }
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(headersFor(), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(headersFor(), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("twitchVerifier.identify", () => {
  const identify = (headers: Record<string, string>, json: unknown) =>
    twitchVerifier.identify(requestOf(headers, ""), () => json);

  it("answers the callback verification with the challenge as text/plain", () => {
    const json = {
      challenge: "pogchamp-kappa-360noscope-vohiyo",
      subscription: {
        id: "f1c2a387",
        type: "channel.follow",
        status: "webhook_callback_verification_pending",
      },
    };
    const identity = identify(
      headersFor({ "twitch-eventsub-message-type": "webhook_callback_verification" }),
      json,
    );
    expect(identity).toEqual({
      deliveryId: ID,
      deliveryIdSigned: true,
      eventType: "webhook_callback_verification",
      reply: { statusCode: 200, contentType: "text/plain", body: "pogchamp-kappa-360noscope-vohiyo" },
    });
  });

  it("refuses a callback verification without a challenge as an invalid request", () => {
    expect(() =>
      identify(headersFor({ "twitch-eventsub-message-type": "webhook_callback_verification" }), {}),
    ).toThrow(InvalidRequestError);
  });

  it("names revocations 'revocation'", () => {
    const json = { subscription: { type: "channel.follow", status: "authorization_revoked" } };
    expect(identify(headersFor({ "twitch-eventsub-message-type": "revocation" }), json)).toEqual({
      deliveryId: ID,
      deliveryIdSigned: true,
      eventType: "revocation",
    });
  });

  it("takes a notification's type from the signed body, then the header, then 'twitch'", () => {
    expect(identify(headersFor(), JSON.parse(BODY))).toEqual({
      deliveryId: ID,
      deliveryIdSigned: true,
      eventType: "channel.follow",
    });
    expect(identify(headersFor({ "twitch-eventsub-subscription-type": "stream.online" }), {})).toEqual({
      deliveryId: ID,
      deliveryIdSigned: true,
      eventType: "stream.online",
    });
    expect(identify({}, null)).toEqual({ eventType: "twitch" });
  });

  it("keeps delivery ids for one day", () => {
    expect(twitchVerifier.provider).toBe("twitch");
    expect(twitchVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

describeMutationProperties({
  name: "twitch",
  verifier: twitchVerifier,
  secretOf: hex,
  sign: (d, secret) => {
    const timestamp = new Date(d.timestamp * 1000).toISOString();
    return base(
      {
        "twitch-eventsub-message-id": d.id,
        "twitch-eventsub-message-timestamp": timestamp,
        "twitch-eventsub-message-signature": `sha256=${hmacHex(secret, d.id, timestamp, d.body)}`,
        "twitch-eventsub-message-type": "notification",
      },
      d.body,
    );
  },
  tamperSecret: tamperUtf8,
  mutations: [
    flipBody,
    tamperSignature("twitch-eventsub-message-signature", "sha256=", "hex"),
    setHeader("twitch-eventsub-message-timestamp", (old, c) =>
      new Date(Math.max(0, Date.parse(old) + c.delta * 1000)).toISOString(),
    ),
    setHeader("twitch-eventsub-message-id", flipChar),
  ],
  headerNames: [
    "twitch-eventsub-message-id",
    "twitch-eventsub-message-timestamp",
    "twitch-eventsub-message-signature",
    "twitch-eventsub-message-type",
  ],
});
