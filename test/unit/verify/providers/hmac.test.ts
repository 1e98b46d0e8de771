import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { type HmacOptions, parseProviderOptions } from "../../../../shared/verify/catalog.js";
import { hmacVerifier } from "../../../../shared/verify/providers/hmac.js";
import type { InboundRequest } from "../../../../shared/verify/types.js";
import {
  base,
  describeMutationProperties,
  flipBody,
  flipChar,
  hex,
  hmacHex,
  PROPERTY_URL,
  setHeader,
  shiftSeconds,
  tamperSignature,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, flipBit, tamperEncoded, withoutHeader } from "../support/verify-test-kit.js";

const SECRET = "generic-hmac-secret";
const OTHER_SECRET = "generic-hmac-secreT";
const NOW = 1_700_000_000;
const URL = "https://hooks.example.test/webhooks/generic?x=1";
const BODY = JSON.stringify({ type: "thing.happened", id: "evt_1" });

/** Options as a config file states them, parsed by the real schema. */
function optionsOf(raw: Record<string, unknown>): HmacOptions {
  return parseProviderOptions("hmac", raw) as HmacOptions;
}

const SIMPLE = optionsOf({ algorithm: "sha256", header: "X-Signature", prefix: "sha256=", encoding: "hex" });
const FULL = optionsOf({
  algorithm: "sha512",
  header: "X-Webhook-Signature",
  encoding: "base64",
  secretEncoding: "base64",
  timestampHeader: "X-Webhook-Timestamp",
  idHeader: "X-Webhook-Id",
  eventTypeHeader: "X-Webhook-Event",
  signedContent: "{id}.{timestamp}.{method} {url}\n{body}",
});
const KEY_BYTES = Buffer.from("00112233445566778899aabbccddeeff", "hex");
const FULL_SECRET = KEY_BYTES.toString("base64");

/** Independent signer: HMAC of the content the test spells out, keyed by the given bytes or string. */
function mac(algorithm: string, key: Buffer | string, content: string | Buffer, encoding: "hex" | "base64") {
  return createHmac(algorithm, key).update(content).digest(encoding);
}

function request(
  headers: Record<string, string>,
  body: string | Buffer = BODY,
  extra: Partial<InboundRequest> = {},
) {
  return {
    headers,
    rawBody: typeof body === "string" ? Buffer.from(body) : body,
    url: URL,
    method: "POST",
    ...extra,
  };
}

function fullHeaders(overrides: { id?: string; timestamp?: number; body?: string; key?: Buffer } = {}) {
  const { id = "msg_42", timestamp = NOW, body = BODY, key = KEY_BYTES } = overrides;
  const signature = mac("sha512", key, `${id}.${timestamp}.POST ${URL}\n${body}`, "base64");
  return {
    "x-webhook-signature": signature,
    "x-webhook-timestamp": String(timestamp),
    "x-webhook-id": id,
    "x-webhook-event": "thing.happened",
  };
}

function verify(
  req: InboundRequest,
  options: HmacOptions | undefined,
  secrets: readonly string[],
  now = NOW,
) {
  return hmacVerifier.verify(req, { ...contextOf(secrets, now), options });
}

function reasonOf(
  req: InboundRequest,
  options: HmacOptions | undefined,
  secrets: readonly string[],
  now = NOW,
) {
  return failureOf(() => verify(req, options, secrets, now)).reason;
}

describe("hmacVerifier.verify with a body-only scheme", () => {
  const signed = (body: string | Buffer = BODY, key = SECRET) => `sha256=${mac("sha256", key, body, "hex")}`;

  it("accepts the prefixed hex HMAC of the body, the header named in any case", () => {
    expect(verify(request({ "x-signature": signed() }), SIMPLE, [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, signature or secret", () => {
    const headers = { "x-signature": signed() };
    expect(reasonOf(request(headers, flipBit(Buffer.from(BODY), 3)), SIMPLE, [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const tampered = `sha256=${tamperEncoded(signed().slice(7), "hex", 2)}`;
    expect(reasonOf(request({ "x-signature": tampered }), SIMPLE, [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(request(headers), SIMPLE, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(request({ "x-signature": signed() }), SIMPLE, [OTHER_SECRET, SECRET])).toEqual({
      secretIndex: 1,
    });
  });

  it("reports missing, malformed and repeated signature headers", () => {
    expect(reasonOf(request({}), SIMPLE, [SECRET])).toBe(SIGNATURE_FAILURES.missingHeader);
    const hex = signed().slice(7);
    for (const bad of [hex, `sha1=${hex}`, `sha256=${hex.toUpperCase()}`, `sha256=${hex}a`, "sha256="]) {
      expect(reasonOf(request({ "x-signature": bad }), SIMPLE, [SECRET])).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
    expect(reasonOf(request({ "x-signature": `${signed()}, ${signed()}` }), SIMPLE, [SECRET])).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("supports every algorithm and both encodings", () => {
    for (const algorithm of ["sha1", "sha256", "sha384", "sha512"] as const) {
      for (const encoding of ["hex", "base64"] as const) {
        const options = optionsOf({ algorithm, header: "sig", encoding });
        const req = request({ sig: mac(algorithm, SECRET, BODY, encoding) });
        expect(verify(req, options, [SECRET])).toEqual({ secretIndex: 0 });
        const other = optionsOf({
          algorithm: algorithm === "sha1" ? "sha256" : "sha1",
          header: "sig",
          encoding,
        });
        expect(reasonOf(req, other, [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
      }
    }
  });

  it("decodes secrets as hex or base64 when told to, skipping ones that do not decode", () => {
    const hexOptions = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      secretEncoding: "hex",
    });
    const req = request({ sig: mac("sha256", KEY_BYTES, BODY, "hex") });
    expect(verify(req, hexOptions, [KEY_BYTES.toString("hex")])).toEqual({ secretIndex: 0 });
    expect(verify(req, hexOptions, [KEY_BYTES.toString("hex").toUpperCase()])).toEqual({ secretIndex: 0 });
    expect(reasonOf(req, hexOptions, ["xyz", "abc", ""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(req, hexOptions, ["xyz", KEY_BYTES.toString("hex")])).toEqual({ secretIndex: 1 });
    const b64Options = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      secretEncoding: "base64",
    });
    expect(verify(req, b64Options, [FULL_SECRET])).toEqual({ secretIndex: 0 });
    expect(verify(req, b64Options, [FULL_SECRET.replace(/=+$/, "")])).toEqual({ secretIndex: 0 });
    expect(reasonOf(req, b64Options, ["not base64!"])).toBe(SIGNATURE_FAILURES.unusableSecret);
    // The same text as a UTF-8 key is a different key.
    const utf8Options = optionsOf({ algorithm: "sha256", header: "sig", encoding: "hex" });
    expect(reasonOf(req, utf8Options, [FULL_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("fails closed without options", () => {
    expect(reasonOf(request({ "x-signature": signed() }), undefined, [SECRET])).toBe(
      SIGNATURE_FAILURES.unusableSecret,
    );
  });
});

describe("hmacVerifier.verify with a templated, timestamped scheme", () => {
  it("streams the template's parts: id, timestamp, method, URL and body", () => {
    expect(verify(request(fullHeaders()), FULL, [FULL_SECRET])).toEqual({ secretIndex: 0 });
  });

  it("rejects a change to any signed part", () => {
    const headers = fullHeaders();
    expect(reasonOf(request({ ...headers, "x-webhook-id": "msg_43" }), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(
      reasonOf(request({ ...headers, "x-webhook-timestamp": String(NOW + 1) }), FULL, [FULL_SECRET]),
    ).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(request(headers, BODY, { method: "PUT" }), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(request(headers, BODY, { url: `${URL}&y=2` }), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(request(headers, `${BODY} `), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(request(headers), FULL, [flipBit(KEY_BYTES, 5).toString("base64")])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("bounds the timestamp in both directions, inclusive", () => {
    const at = (t: number) => request(fullHeaders({ timestamp: t }));
    expect(verify(at(NOW - 300), FULL, [FULL_SECRET]).secretIndex).toBe(0);
    expect(verify(at(NOW + 300), FULL, [FULL_SECRET]).secretIndex).toBe(0);
    expect(reasonOf(at(NOW - 301), FULL, [FULL_SECRET])).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at(NOW + 301), FULL, [FULL_SECRET])).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("reports missing, malformed and repeated timestamp and id headers", () => {
    expect(reasonOf(request(withoutHeader(fullHeaders(), "x-webhook-timestamp")), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(reasonOf(request(withoutHeader(fullHeaders(), "x-webhook-id")), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(reasonOf(request({ ...fullHeaders(), "x-webhook-timestamp": "soon" }), FULL, [FULL_SECRET])).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    expect(
      reasonOf(request({ ...fullHeaders(), "x-webhook-timestamp": `${NOW}, ${NOW}` }), FULL, [FULL_SECRET]),
    ).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("treats a template naming {timestamp} or {id} without the header option as a missing header", () => {
    const req = request({ sig: mac("sha256", SECRET, `${NOW}.${BODY}`, "hex"), "x-timestamp": String(NOW) });
    const noTimestamp = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      signedContent: "{timestamp}.{body}",
    });
    expect(failureOf(() => verify(req, noTimestamp, [SECRET])).logDetail).toContain("timestampHeader");
    const noId = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      signedContent: "{id}.{body}",
    });
    expect(reasonOf(req, noId, [SECRET])).toBe(SIGNATURE_FAILURES.missingHeader);
    const fixed = optionsOf({ ...noTimestamp, timestampHeader: "x-timestamp" });
    expect(verify(req, fixed, [SECRET])).toEqual({ secretIndex: 0 });
  });

  it("treats an unknown method or URL named by the template as missing", () => {
    const options = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      signedContent: "{method}{url}{body}",
    });
    const headers = { sig: mac("sha256", SECRET, `POST${URL}${BODY}`, "hex") };
    expect(verify(request(headers), options, [SECRET])).toEqual({ secretIndex: 0 });
    const noUrl: InboundRequest = { headers, rawBody: Buffer.from(BODY), method: "POST" };
    expect(reasonOf(noUrl, options, [SECRET])).toBe(SIGNATURE_FAILURES.missingHeader);
    const noMethod: InboundRequest = { headers, rawBody: Buffer.from(BODY), url: URL };
    expect(reasonOf(noMethod, options, [SECRET])).toBe(SIGNATURE_FAILURES.missingHeader);
  });

  it("keeps unknown braces and repeated placeholders literally", () => {
    const options = optionsOf({
      algorithm: "sha256",
      header: "sig",
      encoding: "hex",
      signedContent: "{other}{body}|{body}",
    });
    const req = request({ sig: mac("sha256", SECRET, `{other}${BODY}|${BODY}`, "hex") });
    expect(verify(req, options, [SECRET])).toEqual({ secretIndex: 0 });
  });
});

describe("hmacVerifier.identify", () => {
  const identify = (headers: Record<string, string>, json: unknown, options?: HmacOptions) =>
    hmacVerifier.identify(request(headers), () => json, { secret: SECRET, options });

  it("reads the delivery id and event type from the configured headers", () => {
    expect(identify(fullHeaders(), { type: "body.type" }, FULL)).toEqual({
      deliveryId: "msg_42",
      deliveryIdSigned: true,
      eventType: "thing.happened",
    });
  });

  it("marks the id header signed only when the signed content template holds {id}", () => {
    const unsigned = optionsOf({ ...FULL, signedContent: "{timestamp}.{body}" });
    expect(identify(fullHeaders(), {}, unsigned)).toMatchObject({
      deliveryId: "msg_42",
      deliveryIdSigned: false,
    });
    const byDefault = optionsOf({ ...SIMPLE, idHeader: "X-Webhook-Id" });
    expect(identify(fullHeaders(), {}, byDefault)).toMatchObject({
      deliveryId: "msg_42",
      deliveryIdSigned: false,
    });
  });

  it("falls back to the body's type, then 'webhook', with no delivery id", () => {
    expect(identify(withoutHeader(fullHeaders(), "x-webhook-event"), { type: "body.type" }, FULL)).toEqual({
      deliveryId: "msg_42",
      deliveryIdSigned: true,
      eventType: "body.type",
    });
    expect(identify({}, { type: "body.type" }, SIMPLE)).toEqual({ eventType: "body.type" });
    expect(identify({}, [1], SIMPLE)).toEqual({ eventType: "webhook" });
    expect(identify(fullHeaders(), null)).toEqual({ eventType: "webhook" });
  });

  it("keeps delivery ids for three days", () => {
    expect(hmacVerifier.provider).toBe("hmac");
    expect(hmacVerifier.retryHorizonSeconds).toBe(3 * 86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

const HMAC_SIMPLE = { algorithm: "sha256", header: "X-Signature", prefix: "sha256=", encoding: "hex" };
const HMAC_FULL = {
  algorithm: "sha512",
  header: "X-Webhook-Signature",
  encoding: "base64",
  secretEncoding: "base64",
  timestampHeader: "X-Webhook-Timestamp",
  idHeader: "X-Webhook-Id",
  signedContent: "{id}.{timestamp}.{method}.{url}.{body}",
};

describeMutationProperties({
  name: "hmac (sha256, hex, prefix, body only)",
  verifier: hmacVerifier,
  options: HMAC_SIMPLE,
  secretOf: hex,
  sign: (d, secret) => base({ "x-signature": `sha256=${hmacHex(secret, d.body)}` }, d.body),
  tamperSecret: tamperUtf8,
  mutations: [flipBody, tamperSignature("x-signature", "sha256=", "hex")],
  headerNames: ["x-signature"],
});

describeMutationProperties({
  name: "hmac (sha512, base64 key, template with id, timestamp, method, url)",
  verifier: hmacVerifier,
  options: HMAC_FULL,
  secretOf: (seed) => Buffer.from(seed).toString("base64"),
  sign: (d, secret) => {
    const signature = createHmac("sha512", Buffer.from(secret, "base64"))
      .update(`${d.id}.${d.timestamp}.POST.${PROPERTY_URL}.`)
      .update(d.body)
      .digest("base64");
    return base(
      {
        "x-webhook-signature": signature,
        "x-webhook-timestamp": String(d.timestamp),
        "x-webhook-id": d.id,
      },
      d.body,
    );
  },
  tamperSecret: (secret, position) => flipBit(Buffer.from(secret, "base64"), position).toString("base64"),
  mutations: [
    flipBody,
    tamperSignature("x-webhook-signature", "", "base64"),
    shiftSeconds("x-webhook-timestamp"),
    setHeader("x-webhook-id", flipChar),
    (s) => ({ ...s, method: "PATCH" }),
    (s, c) => ({ ...s, url: `${s.url}&${c.bit}` }),
  ],
  headerNames: ["x-webhook-signature", "x-webhook-timestamp", "x-webhook-id"],
});
