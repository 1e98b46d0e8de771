import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import {
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendgridVerifier,
} from "../../../../shared/verify/providers/sendgrid.js";
import { describeAsyncVerifierProperties, type Key } from "../support/async-verifier-properties.js";
import {
  contextOf,
  failureOf,
  flipBit,
  requestOf,
  tamperEncoded,
  withoutHeader,
} from "../support/verify-test-kit.js";

/** SendGrid's own SDK test vector (sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js). */
const VECTOR = {
  publicKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
  otherKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==",
  signature:
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
  timestamp: 1588788367,
  body: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
};

const NOW = 1_700_000_000;
const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherKeys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = (key: KeyObject) => key.export({ format: "der", type: "spki" }).toString("base64");
const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" }).toString();
const BODY = `${JSON.stringify([
  { email: "a@example.com", event: "delivered", sg_event_id: "evt-b", timestamp: NOW },
  { email: "b@example.com", event: "delivered", sg_event_id: "evt-a", timestamp: NOW },
])}\r\n`;

function signed(
  timestamp: number,
  body: string | Buffer,
  key: KeyObject = keys.privateKey,
): Record<string, string> {
  const signature = sign("sha256", Buffer.concat([Buffer.from(String(timestamp)), Buffer.from(body)]), {
    key,
    dsaEncoding: "der",
  });
  return {
    [SENDGRID_SIGNATURE_HEADER]: signature.toString("base64"),
    [SENDGRID_TIMESTAMP_HEADER]: String(timestamp),
  };
}

function verify(
  headers: Record<string, string>,
  secrets: readonly string[],
  body: Buffer | string = BODY,
  now = NOW,
  tolerance = 300,
) {
  return sendgridVerifier.verify(requestOf(headers, body), contextOf(secrets, now, tolerance));
}

function reasonOf(
  headers: Record<string, string>,
  secrets: readonly string[],
  body: Buffer | string = BODY,
  now = NOW,
) {
  return failureOf(() => verify(headers, secrets, body, now)).reason;
}

const vectorHeaders = {
  [SENDGRID_SIGNATURE_HEADER]: VECTOR.signature,
  [SENDGRID_TIMESTAMP_HEADER]: String(VECTOR.timestamp),
};

describe("sendgridVerifier.verify", () => {
  it("accepts SendGrid's published vector, and rejects it under the SDK test's other key", () => {
    expect(verify(vectorHeaders, [VECTOR.publicKey], VECTOR.body, VECTOR.timestamp)).toEqual({
      secretIndex: 0,
    });
    expect(reasonOf(vectorHeaders, [VECTOR.otherKey], VECTOR.body, VECTOR.timestamp)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("accepts the key as base64 SPKI or PEM, and reports the rotated key that verified", () => {
    const headers = signed(NOW, BODY);
    expect(verify(headers, [spki(keys.publicKey)])).toEqual({ secretIndex: 0 });
    expect(verify(headers, [`  ${pem(keys.publicKey)}\n`])).toEqual({ secretIndex: 0 });
    expect(verify(headers, [spki(otherKeys.publicKey), "not a key", pem(keys.publicKey)])).toEqual({
      secretIndex: 2,
    });
  });

  it("rejects a tampered body, a tampered signature, a changed timestamp and a wrong key", () => {
    const headers = signed(NOW, BODY);
    const secrets = [spki(keys.publicKey)];
    expect(reasonOf(headers, secrets, flipBit(Buffer.from(BODY), 20))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headers, secrets, BODY.trimEnd())).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    for (const position of [8, 40, 60]) {
      const tampered = {
        ...headers,
        [SENDGRID_SIGNATURE_HEADER]: tamperEncoded(
          headers[SENDGRID_SIGNATURE_HEADER] ?? "",
          "base64",
          position,
          1,
        ),
      };
      expect(reasonOf(tampered, secrets)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    }
    expect(reasonOf({ ...headers, [SENDGRID_TIMESTAMP_HEADER]: String(NOW + 1) }, secrets)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(headers, [spki(otherKeys.publicKey)])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a timestamp outside the window in either direction, unlike SendGrid's SDK", () => {
    const secrets = [spki(keys.publicKey)];
    expect(verify(signed(NOW - 300, BODY), secrets)).toEqual({ secretIndex: 0 });
    expect(verify(signed(NOW + 300, BODY), secrets)).toEqual({ secretIndex: 0 });
    expect(reasonOf(signed(NOW - 301, BODY), secrets)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(signed(NOW + 301, BODY), secrets)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(vectorHeaders, [VECTOR.publicKey], VECTOR.body, NOW)).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
  });

  it("rejects missing headers", () => {
    const headers = signed(NOW, BODY);
    const secrets = [spki(keys.publicKey)];
    expect(reasonOf(withoutHeader(headers, SENDGRID_SIGNATURE_HEADER), secrets)).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(reasonOf(withoutHeader(headers, SENDGRID_TIMESTAMP_HEADER), secrets)).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(reasonOf({ ...headers, [SENDGRID_SIGNATURE_HEADER]: "" }, secrets)).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
  });

  it("rejects malformed base64 signatures and timestamps", () => {
    const headers = signed(NOW, BODY);
    const secrets = [spki(keys.publicKey)];
    const signature = headers[SENDGRID_SIGNATURE_HEADER] ?? "";
    for (const value of [
      "not base64!",
      signature.replace(/=+$/, ""),
      signature.replaceAll("+", "-").replaceAll("/", "_"),
      ` ${signature}`,
      `${signature},${signature}`,
      "A".repeat(400),
    ]) {
      if (value === signature) continue;
      expect(reasonOf({ ...headers, [SENDGRID_SIGNATURE_HEADER]: value }, secrets)).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
    for (const value of ["soon", "1.5", "-1", "0x10", `${NOW} `, "01700000000"]) {
      expect(reasonOf({ ...headers, [SENDGRID_TIMESTAMP_HEADER]: value }, secrets)).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
  });

  it("rejects well-formed base64 that is not a DER signature", () => {
    const headers = signed(NOW, BODY);
    for (const bytes of [
      Buffer.alloc(0),
      Buffer.from("30", "hex"),
      Buffer.alloc(64, 7),
      Buffer.from("3006020101020101", "hex"),
    ]) {
      const value = bytes.toString("base64");
      const expected =
        value === "" ? SIGNATURE_FAILURES.missingHeader : SIGNATURE_FAILURES.noMatchingSignature;
      expect(reasonOf({ ...headers, [SENDGRID_SIGNATURE_HEADER]: value }, [spki(keys.publicKey)])).toBe(
        expected,
      );
    }
  });

  it("reports an unusable secret when no key is a P-256 public key", () => {
    const headers = signed(NOW, BODY);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey;
    const ed = generateKeyPairSync("ed25519").publicKey;
    const privatePem = keys.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(reasonOf(headers, [])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf(headers, ["", "bm90IGEga2V5", spki(p384), pem(ed), privatePem])).toBe(
      SIGNATURE_FAILURES.unusableSecret,
    );
  });
});

describe("sendgridVerifier.identify", () => {
  const identify = (body: unknown) => sendgridVerifier.identify(requestOf({}, ""), () => body);

  it("joins the sorted sg_event_ids and reads the event type shared by the batch", () => {
    expect(identify(JSON.parse(BODY))).toEqual({
      deliveryId: "evt-a,evt-b",
      deliveryIdSigned: true,
      eventType: "delivered",
    });
  });

  it("reads sendgrid.batch for mixed events, and omits the id when an event lacks one", () => {
    expect(
      identify([
        { event: "open", sg_event_id: "2" },
        { event: "click", sg_event_id: "1" },
      ]),
    ).toEqual({ deliveryId: "1,2", deliveryIdSigned: true, eventType: "sendgrid.batch" });
    expect(identify([{ event: "open", sg_event_id: "2" }, { event: "open" }])).toEqual({ eventType: "open" });
    expect(identify([{ sg_event_id: "1" }])).toEqual({
      deliveryId: "1",
      deliveryIdSigned: true,
      eventType: "sendgrid.batch",
    });
  });

  it("replaces a delivery id too long for a dedupe key by its digest, stable under reordering", () => {
    const events = Array.from({ length: 200 }, (_, i) => ({
      event: "processed",
      sg_event_id: `id-${1000 + i}`,
    }));
    const forward = identify(events);
    const backward = identify([...events].reverse());
    expect(forward.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(backward).toEqual(forward);
  });

  it("reads a lone event object as a batch of one", () => {
    expect(identify(JSON.parse(VECTOR.body))).toEqual({ eventType: "test_event" });
  });

  it("throws InvalidRequestError for a body that is not events", () => {
    for (const body of [undefined, [], "text", 3, null]) {
      expect(() => identify(body)).toThrow(InvalidRequestError);
    }
  });

  it("declares a 3-day retry horizon", () => {
    expect(sendgridVerifier.retryHorizonSeconds).toBe(3 * 86_400);
  });
});

// Properties on generated requests (see support/async-verifier-properties.ts).

// Key pool: P-256 keys cannot be derived from a seed; pick from a few.
const ecPool = Array.from({ length: 4 }, () => generateKeyPairSync("ec", { namedCurve: "P-256" }));
const indexArb = (length: number) => fc.nat(length - 1);
describeAsyncVerifierProperties({
  name: "sendgrid",
  keyArb: indexArb(ecPool.length).map((index): Key => {
    const pair = ecPool[index];
    const other = ecPool[(index + 1) % ecPool.length];
    if (!pair || !other) throw new Error("empty pool");
    return {
      secret: spki(pair.publicKey),
      otherSecret: spki(other.publicKey),
      sign: (draft) => {
        const timestamp = String(draft.timestamp);
        const signature = sign("sha256", Buffer.concat([Buffer.from(timestamp), draft.body]), {
          key: pair.privateKey,
          dsaEncoding: "der",
        });
        return {
          headers: {
            [SENDGRID_SIGNATURE_HEADER]: signature.toString("base64"),
            [SENDGRID_TIMESTAMP_HEADER]: timestamp,
          },
          body: draft.body,
        };
      },
    };
  }),
  toleranceWindow: true,
  validTimestamp: () => Number.NaN, // not used: SendGrid's window is the source's tolerance
  clockOutside: () => Number.NaN,
  // async: a synchronous throw becomes a rejection, as for the other schemes.
  verify: async (request, secrets, now, tolerance) =>
    sendgridVerifier.verify(request, { secrets, nowSeconds: now, toleranceSeconds: tolerance }),
  identify: (request, json) => sendgridVerifier.identify(request, () => json),
  tamperSignature: (signed, position, bit) => ({
    ...signed,
    headers: {
      ...signed.headers,
      [SENDGRID_SIGNATURE_HEADER]: tamperEncoded(
        signed.headers[SENDGRID_SIGNATURE_HEADER] ?? "",
        "base64",
        position,
        bit,
      ),
    },
  }),
  retime: (signed, delta) => ({
    ...signed,
    headers: {
      ...signed.headers,
      [SENDGRID_TIMESTAMP_HEADER]: String(Number(signed.headers[SENDGRID_TIMESTAMP_HEADER]) + delta),
    },
  }),
  bodySigned: true,
  headerNames: [SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER],
});
