import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { mailgunVerifier } from "../../../../shared/verify/providers/mailgun.js";
import {
  base,
  describeMutationProperties,
  editField,
  flipChar,
  hex,
  hmacHex,
  BOUNDARY as PROPERTY_BOUNDARY,
  type Scheme,
  type Signed,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
const OTHER_SECRET = "key-3ax6xnjp29jd6fds4gc373sgvjxteol1";
const NOW = 1_700_000_000;
const TOKEN = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0";
const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const BOUNDARY = "----MailgunBoundary7MA4YWxkTrZu0gW";
const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** From Mailgun's docs, independently of the verifier: hex HMAC-SHA256 of timestamp + token. */
function handSigned(timestamp: number | string = NOW, token = TOKEN, secret = SECRET): string {
  return createHmac("sha256", secret).update(`${timestamp}${token}`).digest("hex");
}

interface Triple {
  timestamp?: string;
  token?: string;
  signature?: string;
}

const valid = (): Required<Triple> => ({ timestamp: String(NOW), token: TOKEN, signature: handSigned() });

function jsonBody(triple: Triple = valid(), event = "delivered"): string {
  return JSON.stringify({
    signature: triple,
    "event-data": { event, id: "CPgfbmQMTCKtHW6uIWtuVe", timestamp: 1_521_472_262.908181 },
  });
}

function formBody(triple: Triple = valid(), extra = "&event=opened&recipient=alice%40example.com"): string {
  const fields = Object.entries(triple).map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
  return `${fields.join("&")}${extra}`;
}

function multipartBody(fields: readonly (readonly [string, string, string?])[]): string {
  const parts = fields.map(
    ([name, value, filename]) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n` +
      `${filename ? "Content-Type: text/plain\r\n" : ""}\r\n${value}\r\n`,
  );
  return `preamble\r\n${parts.join("")}--${BOUNDARY}--\r\n`;
}

const tripleFields = (triple: Triple = valid()) => Object.entries(triple) as [string, string][];

function verify(
  body: string | Buffer,
  contentType: string | undefined = JSON_TYPE,
  secrets: readonly string[] = [SECRET],
  now = NOW,
) {
  const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
  return mailgunVerifier.verify(requestOf(headers, body), contextOf(secrets, now));
}

function reasonOf(
  body: string | Buffer,
  contentType: string | undefined = JSON_TYPE,
  secrets: readonly string[] = [SECRET],
  now = NOW,
) {
  return failureOf(() => verify(body, contentType, secrets, now)).reason;
}

describe("mailgunVerifier.verify", () => {
  it("accepts the signature object of a JSON webhook", () => {
    expect(verify(jsonBody())).toEqual({ secretIndex: 0 });
    expect(verify(jsonBody(), "application/json; charset=utf-8")).toEqual({ secretIndex: 0 });
  });

  it("accepts the signature fields of a form-encoded webhook", () => {
    expect(verify(formBody(), FORM_TYPE)).toEqual({ secretIndex: 0 });
  });

  it("accepts the signature fields of a multipart body, ignoring files and preamble", () => {
    const body = multipartBody([
      ["recipient", "bob@example.com"],
      ["attachment-1", `timestamp=1\r\ntoken=x`, "notes.txt"],
      ...tripleFields(),
      ["body-plain", "Hi,\r\n--not-the-boundary\r\nBye"],
    ]);
    expect(verify(body, MULTIPART_TYPE)).toEqual({ secretIndex: 0 });
    expect(verify(body, `multipart/form-data; boundary="${BOUNDARY}"; charset=utf-8`)).toEqual({
      secretIndex: 0,
    });
  });

  it("rejects a tampered token, timestamp, signature or secret", () => {
    expect(reasonOf(jsonBody({ ...valid(), token: `${TOKEN.slice(0, -1)}1` }))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(jsonBody({ ...valid(), timestamp: String(NOW + 1) }))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(jsonBody({ ...valid(), signature: tamperEncoded(handSigned(), "hex", 4) }))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(jsonBody(), JSON_TYPE, [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(formBody({ ...valid(), token: "other" }), FORM_TYPE)).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("does not cover the rest of the body: Mailgun signs only timestamp + token", () => {
    // Why the token is the delivery id: a captured triple verifies with any body, but only once.
    expect(verify(jsonBody(valid(), "complained"))).toEqual({ secretIndex: 0 });
  });

  it("bounds the timestamp in both directions, inclusive", () => {
    const at = (t: number) => jsonBody({ timestamp: String(t), token: TOKEN, signature: handSigned(t) });
    expect(verify(at(NOW - 300)).secretIndex).toBe(0);
    expect(verify(at(NOW + 300)).secretIndex).toBe(0);
    expect(reasonOf(at(NOW - 301))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at(NOW + 301))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(jsonBody(), JSON_TYPE, [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports missing signature fields", () => {
    for (const name of ["timestamp", "token", "signature"] as const) {
      const triple: Triple = valid();
      delete triple[name];
      expect(reasonOf(jsonBody(triple))).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(reasonOf(formBody(triple), FORM_TYPE)).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(reasonOf(multipartBody(tripleFields(triple)), MULTIPART_TYPE)).toBe(
        SIGNATURE_FAILURES.missingHeader,
      );
    }
    expect(reasonOf(JSON.stringify({ "event-data": { event: "delivered" } }))).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
    expect(reasonOf(JSON.stringify({ signature: "abc" }))).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(reasonOf("")).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(reasonOf("not json")).toBe(SIGNATURE_FAILURES.missingHeader);
  });

  it("rejects malformed fields, unreadable multipart bodies and other media types", () => {
    expect(reasonOf(jsonBody({ ...valid(), signature: handSigned().toUpperCase() }))).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    expect(reasonOf(jsonBody({ ...valid(), timestamp: `${NOW}.5` }))).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    const numeric = JSON.stringify({ signature: { timestamp: NOW, token: TOKEN, signature: handSigned() } });
    expect(reasonOf(numeric)).toBe(SIGNATURE_FAILURES.malformedHeader);
    expect(reasonOf(multipartBody(tripleFields()), "multipart/form-data")).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    expect(reasonOf(multipartBody(tripleFields()).replace(`--${BOUNDARY}--`, ""), MULTIPART_TYPE)).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    expect(reasonOf(formBody(), "text/plain")).toBe(SIGNATURE_FAILURES.malformedHeader);
  });

  it("reports repeated form fields as duplicates", () => {
    expect(reasonOf(`${formBody()}&token=${TOKEN}`, FORM_TYPE)).toBe(SIGNATURE_FAILURES.duplicateHeader);
    const twice = multipartBody([...tripleFields(), ["signature", handSigned()]]);
    expect(reasonOf(twice, MULTIPART_TYPE)).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(jsonBody(), JSON_TYPE, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(jsonBody(), JSON_TYPE, ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("mailgunVerifier.identify", () => {
  const identify = (body: string, contentType: string, json: unknown = undefined) =>
    mailgunVerifier.identify(requestOf({ "content-type": contentType }, body), () => json);

  it("takes the token as delivery id and event-data.event as type from JSON", () => {
    const body = jsonBody();
    expect(identify(body, JSON_TYPE, JSON.parse(body))).toEqual({
      deliveryId: TOKEN,
      deliveryIdSigned: true,
      eventType: "delivered",
    });
  });

  it("reads the token and event of form and multipart bodies itself", () => {
    expect(identify(formBody(), FORM_TYPE)).toEqual({
      deliveryId: TOKEN,
      deliveryIdSigned: true,
      eventType: "opened",
    });
    const inbound = multipartBody([...tripleFields(), ["subject", "Hello"]]);
    expect(identify(inbound, MULTIPART_TYPE)).toEqual({
      deliveryId: TOKEN,
      deliveryIdSigned: true,
      eventType: "mailgun",
    });
  });

  it("falls back to 'mailgun' and no delivery id for unreadable bodies", () => {
    expect(identify("x", "text/plain")).toEqual({ eventType: "mailgun" });
    expect(identify("x", JSON_TYPE, null)).toEqual({ eventType: "mailgun" });
  });

  it("accepts only the media types Mailgun sends, and keeps tokens for one day", () => {
    expect(mailgunVerifier.contentTypes).toEqual([JSON_TYPE, FORM_TYPE, "multipart/form-data"]);
    expect(mailgunVerifier.provider).toBe("mailgun");
    expect(mailgunVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

type MailgunEncoding = "json" | "form" | "multipart";

function mailgunBody(
  encoding: MailgunEncoding,
  fields: Readonly<Record<string, string>>,
  extra: Buffer,
): Signed {
  const names = ["timestamp", "token", "signature"] as const;
  let body: string;
  let contentType: string;
  if (encoding === "json") {
    contentType = "application/json";
    body = JSON.stringify({
      signature: fields,
      "event-data": { event: "delivered", extra: extra.toString("base64") },
    });
  } else if (encoding === "form") {
    contentType = "application/x-www-form-urlencoded";
    const params = new URLSearchParams(names.map((name): [string, string] => [name, fields[name] ?? ""]));
    params.set("event", "opened");
    params.set("extra", extra.toString("base64"));
    body = params.toString();
  } else {
    contentType = `multipart/form-data; boundary=${PROPERTY_BOUNDARY}`;
    const part = (name: string, value: string) =>
      `--${PROPERTY_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    body = `${names.map((name) => part(name, fields[name] ?? "")).join("")}${part("body-plain", extra.toString("base64"))}--${PROPERTY_BOUNDARY}--\r\n`;
  }
  return {
    ...base({ "content-type": contentType }, Buffer.from(body)),
    fields,
    reencode: (next) => mailgunBody(encoding, next, extra),
  };
}

function mailgunScheme(encoding: MailgunEncoding): Scheme {
  return {
    name: `mailgun (${encoding})`,
    verifier: mailgunVerifier,
    secretOf: (seed) => `key-${hex(seed)}`,
    sign: (d, secret) => {
      const token = `tok${d.id}`;
      const fields = {
        timestamp: String(d.timestamp),
        token,
        signature: hmacHex(secret, `${d.timestamp}${token}`),
      };
      return mailgunBody(encoding, fields, d.body);
    },
    tamperSecret: tamperUtf8,
    mutations: [
      editField("token", flipChar),
      editField("timestamp", (old, c) => String(Math.max(0, Number(old) + c.delta))),
      editField("signature", (old, c) => tamperEncoded(old, "hex", c.position, c.bit)),
    ],
    headerNames: ["content-type"],
  };
}

describeMutationProperties(mailgunScheme("json"));
describeMutationProperties(mailgunScheme("form"));
describeMutationProperties(mailgunScheme("multipart"));
