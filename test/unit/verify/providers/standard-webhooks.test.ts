import { createHmac } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import {
  standardWebhooksVerifier,
  svixVerifier,
} from "../../../../shared/verify/providers/standard-webhooks.js";
import {
  formatStandardWebhookPublicKey,
  signStandardWebhook,
  signStandardWebhookAsymmetric,
} from "../../../../shared/verify/sign.js";
import type { SyncProviderVerifier } from "../../../../shared/verify/types.js";
import {
  describeSeededKeyProperties,
  type Message,
  type Scheme,
  tamperPrefixed,
} from "../support/seeded-key-properties.js";
import {
  contextOf,
  ed25519KeyPair,
  failureOf,
  flipBit,
  requestOf,
  tamperEncoded,
  whsec,
} from "../support/verify-test-kit.js";

const NOW = 1_700_000_000;
const KEY = Buffer.from("0123456789abcdef0123456789abcdef", "utf8");
const SECRET = whsec(KEY);
const OTHER_SECRET = whsec(flipBit(KEY, 5));
const ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const BODY = '{"type":"invoice.paid","data":{"id":"in_1"}}';
const { privateKey, publicKey } = ed25519KeyPair(Buffer.alloc(32, 7));
const PUBLIC_KEY = formatStandardWebhookPublicKey(publicKey);

function headersOf(signature: string, timestamp = NOW, id = ID): Record<string, string> {
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

const v1 = signStandardWebhook({ id: ID, timestamp: NOW, body: BODY, secret: SECRET });
const v1a = signStandardWebhookAsymmetric({ id: ID, timestamp: NOW, body: BODY, privateKey });

function verify(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return standardWebhooksVerifier.verify(requestOf(headers, body), contextOf(secrets, NOW));
}

function reasonOf(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return failureOf(() => verify(headers, secrets, body)).reason;
}

describe("signStandardWebhook", () => {
  it("signs {id}.{timestamp}.{body} with HMAC-SHA256 keyed by the base64 after whsec_", () => {
    const expected = createHmac("sha256", KEY).update(`${ID}.${NOW}.${BODY}`).digest("base64");
    expect(v1).toBe(`v1,${expected}`);
  });

  it("treats a secret without the whsec_ prefix as the same base64 key", () => {
    const bare = SECRET.slice("whsec_".length);
    expect(signStandardWebhook({ id: ID, timestamp: NOW, body: BODY, secret: bare })).toBe(v1);
  });

  it("throws a TypeError for a public key, a non-base64 secret or a fractional timestamp", () => {
    expect(() => signStandardWebhook({ id: ID, timestamp: NOW, body: BODY, secret: PUBLIC_KEY })).toThrow(
      TypeError,
    );
    expect(() => signStandardWebhook({ id: ID, timestamp: NOW, body: BODY, secret: "whsec_!!" })).toThrow(
      TypeError,
    );
    expect(() => signStandardWebhook({ id: ID, timestamp: NOW + 0.5, body: BODY, secret: SECRET })).toThrow(
      TypeError,
    );
  });

  it("signs v1a with an ed25519 key that verifies against its whpk_ public key", () => {
    expect(v1a).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(PUBLIC_KEY).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(verify(headersOf(v1a), [PUBLIC_KEY])).toEqual({ secretIndex: 0 });
  });

  it("refuses to sign v1a with a public key", () => {
    expect(() =>
      signStandardWebhookAsymmetric({ id: ID, timestamp: NOW, body: BODY, privateKey: publicKey }),
    ).toThrow(TypeError);
  });
});

describe("standardWebhooksVerifier.verify", () => {
  it("accepts a v1 signature over the exact bytes", () => {
    expect(verify(headersOf(v1), [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("accepts a bare base64 secret as well as a whsec_ one", () => {
    expect(verify(headersOf(v1), [SECRET.slice("whsec_".length)])).toEqual({ secretIndex: 0 });
  });

  it("verifies binary bodies that are not valid UTF-8", () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
    const signature = signStandardWebhook({ id: ID, timestamp: NOW, body, secret: SECRET });
    expect(verify(headersOf(signature), [SECRET], body)).toEqual({ secretIndex: 0 });
    expect(reasonOf(headersOf(signature), [SECRET], flipBit(body, 4))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a body with one byte changed", () => {
    expect(reasonOf(headersOf(v1), [SECRET], flipBit(Buffer.from(BODY), 10))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a changed id, since the id is signed", () => {
    expect(reasonOf(headersOf(v1, NOW, `${ID}x`), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed timestamp inside the window, since the timestamp is signed", () => {
    expect(reasonOf(headersOf(v1, NOW + 1), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a tampered signature and a wrong secret", () => {
    expect(reasonOf(headersOf(`v1,${tamperEncoded(v1.slice(3), "base64", 20)}`), [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headersOf(v1), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a truncated signature without throwing anything else", () => {
    const truncated = Buffer.from(v1.slice(3), "base64").subarray(0, 16).toString("base64");
    expect(reasonOf(headersOf(`v1,${truncated}`), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersOf(v1), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
    expect(verify(headersOf(v1a), [SECRET, PUBLIC_KEY])).toEqual({ secretIndex: 1 });
  });

  it("accepts any one of several space-separated signatures", () => {
    const stale = signStandardWebhook({ id: ID, timestamp: NOW, body: BODY, secret: OTHER_SECRET });
    expect(verify(headersOf(`${stale} ${v1}`), [SECRET])).toEqual({ secretIndex: 0 });
    expect(verify(headersOf(`${v1a} ${stale}`), [OTHER_SECRET])).toEqual({ secretIndex: 0 });
    expect(verify(headersOf(`v2,somethingnew  ${v1}`), [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("checks v1 only against whsec_ secrets and v1a only against whpk_ keys", () => {
    expect(reasonOf(headersOf(v1a), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(headersOf(v1), [PUBLIC_KEY])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    // The v1a bytes decoded as an HMAC key must not make a v1 entry verify either.
    expect(reasonOf(headersOf(`v1,${v1a.slice(4)}`), [PUBLIC_KEY])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a v1a signature made with another ed25519 key", () => {
    const other = ed25519KeyPair(Buffer.alloc(32, 8));
    const forged = signStandardWebhookAsymmetric({
      id: ID,
      timestamp: NOW,
      body: BODY,
      privateKey: other.privateKey,
    });
    expect(reasonOf(headersOf(forged), [PUBLIC_KEY])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects timestamps too old or too far in the future, inclusive bounds accepted", () => {
    const signedAt = (timestamp: number) =>
      headersOf(signStandardWebhook({ id: ID, timestamp, body: BODY, secret: SECRET }), timestamp);
    expect(verify(signedAt(NOW - 300), [SECRET]).secretIndex).toBe(0);
    expect(verify(signedAt(NOW + 300), [SECRET]).secretIndex).toBe(0);
    expect(reasonOf(signedAt(NOW - 301), [SECRET])).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(signedAt(NOW + 301), [SECRET])).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("fails closed when the clock or tolerance is not a number", () => {
    const request = requestOf(headersOf(v1), BODY);
    const reason = (nowSeconds: number, toleranceSeconds: number) =>
      failureOf(() =>
        standardWebhooksVerifier.verify(request, { secrets: [SECRET], nowSeconds, toleranceSeconds }),
      ).reason;
    expect(reason(Number.NaN, 300)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reason(NOW, Number.NaN)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("names the missing header", () => {
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const headers = { ...headersOf(v1), [name]: "" };
      const failure = failureOf(() => verify(headers, [SECRET]));
      expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(failure.logDetail).toContain(name);
    }
  });

  it("rejects malformed signature and timestamp headers", () => {
    const malformed = [
      headersOf("v1"),
      headersOf(",abc"),
      headersOf("v1,"),
      headersOf("v1,not base64!"),
      headersOf(`v1,${v1.slice(3, -1)}`), // padding removed: not canonical base64
      headersOf(`v1,${v1.slice(3).replaceAll("+", "-").replaceAll("/", "_")}A`),
      headersOf("v2,only-unknown-versions"),
      headersOf("   "),
      headersOf(Array.from({ length: 17 }, () => v1).join(" ")),
      { ...headersOf(v1), "webhook-timestamp": "1700000000.5" },
      { ...headersOf(v1), "webhook-timestamp": "-1700000000" },
      { ...headersOf(v1), "webhook-timestamp": "01700000000" },
      { ...headersOf(v1), "webhook-timestamp": "2023-11-14T22:13:20Z" },
      { ...headersOf(v1), "webhook-timestamp": "1e9" },
    ];
    for (const headers of malformed) {
      expect(reasonOf(headers, [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports two signature headers joined by the gateway as a duplicate", () => {
    expect(reasonOf(headersOf(`${v1}, ${v1}`), [SECRET])).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when no secret is usable", () => {
    expect(reasonOf(headersOf(v1), [])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf(headersOf(v1), ["whsec_", "whsec_***", "whpk_AAAA", "whsk_abc"])).toBe(
      SIGNATURE_FAILURES.unusableSecret,
    );
    expect(verify(headersOf(v1), ["whsec_***", SECRET])).toEqual({ secretIndex: 1 });
  });

  it("does not read svix-* headers", () => {
    const headers = { "svix-id": ID, "svix-timestamp": String(NOW), "svix-signature": v1 };
    expect(reasonOf(headers, [SECRET])).toBe(SIGNATURE_FAILURES.missingHeader);
  });
});

describe("svixVerifier", () => {
  const svixHeaders = { "svix-id": ID, "svix-timestamp": String(NOW), "svix-signature": v1 };

  it("accepts the scheme under svix-* headers", () => {
    expect(svixVerifier.verify(requestOf(svixHeaders, BODY), contextOf([SECRET], NOW))).toEqual({
      secretIndex: 0,
    });
  });

  it("accepts the scheme under webhook-* headers too", () => {
    expect(svixVerifier.verify(requestOf(headersOf(v1), BODY), contextOf([SECRET], NOW))).toEqual({
      secretIndex: 0,
    });
  });

  it("reads one header family, and names the missing svix header", () => {
    const mixed = { "svix-id": ID, "webhook-timestamp": String(NOW), "webhook-signature": v1 };
    const failure = failureOf(() => svixVerifier.verify(requestOf(mixed, BODY), contextOf([SECRET], NOW)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("svix-timestamp");
  });

  it("identifies the delivery by svix-id", () => {
    expect(svixVerifier.identify(requestOf(svixHeaders, BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: ID,
      deliveryIdSigned: true,
      eventType: "invoice.paid",
    });
  });

  it("remembers delivery ids for six days", () => {
    expect(svixVerifier.provider).toBe("svix");
    expect(svixVerifier.retryHorizonSeconds).toBe(6 * 86_400);
  });
});

describe("standardWebhooksVerifier.identify", () => {
  it("takes the delivery id from webhook-id and the event type from the body's type", () => {
    expect(standardWebhooksVerifier.identify(requestOf(headersOf(v1), BODY), () => JSON.parse(BODY))).toEqual(
      {
        deliveryId: ID,
        deliveryIdSigned: true,
        eventType: "invoice.paid",
      },
    );
  });

  it("falls back to 'webhook' when the body has no string type", () => {
    for (const json of [undefined, null, [], "text", { type: 7 }, { type: "" }]) {
      expect(standardWebhooksVerifier.identify(requestOf(headersOf(v1), "x"), () => json).eventType).toBe(
        "webhook",
      );
    }
  });

  it("leaves the delivery id out when there is none", () => {
    expect(standardWebhooksVerifier.identify(requestOf({}, "x"), () => undefined)).toEqual({
      eventType: "webhook",
    });
  });

  it("keeps the delivery id for six days, a day past Svix disabling the endpoint", () => {
    expect(standardWebhooksVerifier.provider).toBe("standard-webhooks");
    expect(standardWebhooksVerifier.retryHorizonSeconds).toBe(518_400);
  });
});

describe("standardWebhooksVerifier against the standardwebhooks package", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const libraryId = fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/);
  // The package signs `payload.toString()`, so only UTF-8 text round-trips through it.
  const libraryBody = fc.string({ unit: "grapheme", maxLength: 300 });
  const libraryKey = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => whsec(Buffer.from(bytes)));

  it("verifies what the package signs", () => {
    fc.assert(
      fc.property(libraryId, libraryBody, libraryKey, (id, body, secret) => {
        const signature = new Webhook(secret).sign(id, new Date(NOW * 1000), body);
        const headers = headersOf(signature, NOW, id);
        expect(standardWebhooksVerifier.verify(requestOf(headers, body), contextOf([secret], NOW))).toEqual({
          secretIndex: 0,
        });
      }),
      { numRuns: 200 },
    );
  });

  it("produces signatures the package verifies", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW * 1000);
    fc.assert(
      fc.property(libraryId, libraryBody, libraryKey, (id, body, secret) => {
        const signature = signStandardWebhook({ id, timestamp: NOW, body, secret });
        expect(signature).toBe(new Webhook(secret).sign(id, new Date(NOW * 1000), body));
        expect(() =>
          new Webhook(secret).verify(body, headersOf(signature, NOW, id), { jsonParse: false }),
        ).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with the package that a changed body does not verify", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW * 1000);
    const headers = headersOf(v1);
    expect(() => new Webhook(SECRET).verify(`${BODY} `, headers)).toThrow();
    expect(reasonOf(headers, [SECRET], `${BODY} `)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });
});

// Properties on generated requests (see support/seeded-key-properties.ts).

function standardHeaders(message: Message, signature: string, family = "webhook"): Record<string, string> {
  return {
    [`${family}-id`]: message.id,
    [`${family}-timestamp`]: String(message.timestamp),
    [`${family}-signature`]: signature,
  };
}

function tamperWhsec(secret: string, position: number): string {
  return whsec(flipBit(Buffer.from(secret.slice("whsec_".length), "base64"), position));
}

const standardV1 = (verifier: SyncProviderVerifier, family: string): Scheme => ({
  name: `${verifier.provider} v1 (${family}-*)`,
  verifier,
  keyOf(seed) {
    const secret = whsec(Buffer.from(seed));
    return { secret, sign: (m) => standardHeaders(m, signStandardWebhook({ ...m, secret }), family) };
  },
  tamperSecret: tamperWhsec,
  tamperSignature: (headers, position, bit) => ({
    ...headers,
    [`${family}-signature`]: tamperPrefixed(
      headers[`${family}-signature`] ?? "",
      ",",
      "base64",
      position,
      bit,
    ),
  }),
  retime: (headers, timestamp) => ({ ...headers, [`${family}-timestamp`]: String(timestamp) }),
  headerNames: [`${family}-id`, `${family}-timestamp`, `${family}-signature`],
});

describeSeededKeyProperties(standardV1(standardWebhooksVerifier, "webhook"));
describeSeededKeyProperties(standardV1(svixVerifier, "svix"));
describeSeededKeyProperties({
  name: "standard-webhooks v1a",
  verifier: standardWebhooksVerifier,
  keyOf(seed) {
    const { privateKey, publicKey } = ed25519KeyPair(seed);
    return {
      secret: formatStandardWebhookPublicKey(publicKey),
      sign: (m) => standardHeaders(m, signStandardWebhookAsymmetric({ ...m, privateKey })),
    };
  },
  tamperSecret: (secret, position) =>
    `whpk_${flipBit(Buffer.from(secret.slice("whpk_".length), "base64"), position).toString("base64")}`,
  tamperSignature: (headers, position, bit) => ({
    ...headers,
    "webhook-signature": tamperPrefixed(headers["webhook-signature"] ?? "", ",", "base64", position, bit),
  }),
  retime: (headers, timestamp) => ({ ...headers, "webhook-timestamp": String(timestamp) }),
  headerNames: ["webhook-id", "webhook-timestamp", "webhook-signature"],
});
