import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SignatureVerificationError } from "../../../shared/domain/errors.js";
import { parseProviderOptions } from "../../../shared/verify/catalog.js";
import { basicVerifier } from "../../../shared/verify/providers/basic.js";
import { hmacVerifier } from "../../../shared/verify/providers/hmac.js";
import { hubspotVerifier } from "../../../shared/verify/providers/hubspot.js";
import { lemonsqueezyVerifier } from "../../../shared/verify/providers/lemonsqueezy.js";
import { mailgunVerifier } from "../../../shared/verify/providers/mailgun.js";
import { tokenVerifier } from "../../../shared/verify/providers/token.js";
import { twitchVerifier } from "../../../shared/verify/providers/twitch.js";
import { zoomVerifier } from "../../../shared/verify/providers/zoom.js";

const groupBVerifiers = {
  basic: basicVerifier,
  hmac: hmacVerifier,
  hubspot: hubspotVerifier,
  lemonsqueezy: lemonsqueezyVerifier,
  mailgun: mailgunVerifier,
  token: tokenVerifier,
  twitch: twitchVerifier,
  zoom: zoomVerifier,
};

import type { InboundRequest, SyncProviderVerifier } from "../../../shared/verify/types.js";
import { clockArb, seedArb } from "./support/property-kit.js";
import { flipBit, tamperEncoded } from "./support/verify-test-kit.js";

/**
 * Properties of the group-B verifiers (HubSpot, Zoom, Twitch, Mailgun, Lemon Squeezy, generic HMAC,
 * token, basic), on generated requests signed by independent signers written here with node:crypto:
 * - a correctly signed request within the window verifies, and reports the matching secret;
 * - any single change to what is signed (or, for token/basic, to the credential) or to the secret
 *   makes it fail;
 * - arbitrary headers, bodies, secrets and clocks never make verify throw anything but
 *   SignatureVerificationError, and identify never throws anything but InvalidRequestError.
 */

const RUNS = { numRuns: 100 };

interface Draft {
  readonly id: string;
  readonly timestamp: number;
  readonly body: Buffer;
}

interface Signed {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly url: string;
  readonly method: string;
  /** Mailgun: the body's signature fields, and how to write a body from them again. */
  readonly fields?: Readonly<Record<string, string>>;
  readonly reencode?: (fields: Readonly<Record<string, string>>) => Signed;
}

interface Change {
  readonly position: number;
  readonly bit: number;
  /** Seconds; never zero. */
  readonly delta: number;
}

type Mutation = (signed: Signed, change: Change) => Signed;

interface Scheme {
  readonly name: string;
  readonly verifier: SyncProviderVerifier;
  readonly options?: unknown;
  secretOf(seed: Uint8Array): string;
  sign(draft: Draft, secret: string): Signed;
  tamperSecret(secret: string, position: number): string;
  /** Single changes to the request, each of which must make verification fail. */
  readonly mutations: readonly Mutation[];
  /** Header names worth fuzzing. */
  readonly headerNames: readonly string[];
}

const URL = "https://hooks.example.test/webhooks/src?next=a%3Ab%2Fc&q=%20";
/** `URL` as HubSpot signs it (its listed escapes decoded), written out by hand. */
const HUBSPOT_SIGNED_URL = "https://hooks.example.test/webhooks/src?next=a:b/c&q=%20";

const hex = (seed: Uint8Array) => Buffer.from(seed).toString("hex");
const hmacHex = (key: Buffer | string, ...parts: (string | Buffer)[]) =>
  parts.reduce((h, part) => h.update(part), createHmac("sha256", key)).digest("hex");

function request(signed: Signed): InboundRequest {
  return { headers: signed.headers, rawBody: signed.body, url: signed.url, method: signed.method };
}

function base(headers: Record<string, string>, body: Buffer): Signed {
  return { headers, body, url: URL, method: "POST" };
}

/** Secrets here are ASCII, so flipping bit 0 of one character keeps the length and changes the key bytes. */
function tamperUtf8(secret: string, position: number): string {
  return flipBit(Buffer.from(secret, "utf8"), position).toString("utf8");
}

const flipBody: Mutation = (s, c) => ({
  ...s,
  body: s.body.length === 0 ? Buffer.from([c.bit]) : flipBit(s.body, c.position, c.bit),
});

function setHeader(name: string, value: (old: string, c: Change) => string): Mutation {
  return (s, c) => ({ ...s, headers: { ...s.headers, [name]: value(s.headers[name] ?? "", c) } });
}

function tamperSignature(name: string, prefix: string, encoding: "hex" | "base64"): Mutation {
  return setHeader(
    name,
    (old, c) => `${prefix}${tamperEncoded(old.slice(prefix.length), encoding, c.position, c.bit)}`,
  );
}

function shiftSeconds(name: string): Mutation {
  return setHeader(name, (old, c) => String(Math.max(0, Number(old) + c.delta)));
}

const flipChar = (text: string, c: Change) =>
  flipBit(Buffer.from(text, "latin1"), c.position).toString("latin1");

function editField(name: string, edit: (old: string, c: Change) => string): Mutation {
  return (s, c) => {
    if (s.fields === undefined || s.reencode === undefined) {
      throw new Error("editField needs a request with body fields");
    }
    return s.reencode({ ...s.fields, [name]: edit(s.fields[name] ?? "", c) });
  };
}

// --- Mailgun body encodings, from its docs -----------------------------------------------------

const BOUNDARY = "b0undary-mg";
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
    contentType = `multipart/form-data; boundary=${BOUNDARY}`;
    const part = (name: string, value: string) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    body = `${names.map((name) => part(name, fields[name] ?? "")).join("")}${part("body-plain", extra.toString("base64"))}--${BOUNDARY}--\r\n`;
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
    verifier: groupBVerifiers.mailgun,
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

// --- Generic HMAC configurations -----------------------------------------------------------------

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

const SCHEMES: readonly Scheme[] = [
  {
    name: "hubspot",
    verifier: groupBVerifiers.hubspot,
    secretOf: hex,
    sign: (d, secret) => {
      const ms = String(d.timestamp * 1000);
      const signature = createHmac("sha256", secret)
        .update(`POST${HUBSPOT_SIGNED_URL}`)
        .update(d.body)
        .update(ms)
        .digest("base64");
      return base({ "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": ms }, d.body);
    },
    tamperSecret: tamperUtf8,
    mutations: [
      flipBody,
      tamperSignature("x-hubspot-signature-v3", "", "base64"),
      setHeader("x-hubspot-request-timestamp", (old, c) => String(Math.max(0, Number(old) + c.delta))),
      (s, c) => ({ ...s, url: `${s.url}${c.bit}` }),
      (s) => ({ ...s, method: "PUT" }),
    ],
    headerNames: ["x-hubspot-signature-v3", "x-hubspot-request-timestamp", "x-hubspot-signature"],
  },
  {
    name: "zoom",
    verifier: groupBVerifiers.zoom,
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
  },
  {
    name: "twitch",
    verifier: groupBVerifiers.twitch,
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
  },
  mailgunScheme("json"),
  mailgunScheme("form"),
  mailgunScheme("multipart"),
  {
    name: "lemonsqueezy",
    verifier: groupBVerifiers.lemonsqueezy,
    secretOf: hex,
    sign: (d, secret) => base({ "x-signature": hmacHex(secret, d.body) }, d.body),
    tamperSecret: tamperUtf8,
    mutations: [flipBody, tamperSignature("x-signature", "", "hex")],
    headerNames: ["x-signature"],
  },
  {
    name: "hmac (sha256, hex, prefix, body only)",
    verifier: groupBVerifiers.hmac,
    options: HMAC_SIMPLE,
    secretOf: hex,
    sign: (d, secret) => base({ "x-signature": `sha256=${hmacHex(secret, d.body)}` }, d.body),
    tamperSecret: tamperUtf8,
    mutations: [flipBody, tamperSignature("x-signature", "sha256=", "hex")],
    headerNames: ["x-signature"],
  },
  {
    name: "hmac (sha512, base64 key, template with id, timestamp, method, url)",
    verifier: groupBVerifiers.hmac,
    options: HMAC_FULL,
    secretOf: (seed) => Buffer.from(seed).toString("base64"),
    sign: (d, secret) => {
      const signature = createHmac("sha512", Buffer.from(secret, "base64"))
        .update(`${d.id}.${d.timestamp}.POST.${URL}.`)
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
  },
  {
    name: "token (Bearer)",
    verifier: groupBVerifiers.token,
    secretOf: hex,
    sign: (d, secret) => base({ authorization: `Bearer ${secret}` }, d.body),
    tamperSecret: tamperUtf8,
    mutations: [setHeader("authorization", (old, c) => `Bearer ${flipChar(old.slice("Bearer ".length), c)}`)],
    headerNames: ["authorization"],
  },
  {
    name: "basic",
    verifier: groupBVerifiers.basic,
    secretOf: (seed) => `u${hex(seed.slice(0, 4))}:${hex(seed)}`,
    sign: (d, secret) => base({ authorization: `Basic ${Buffer.from(secret).toString("base64")}` }, d.body),
    tamperSecret: tamperUtf8,
    mutations: [
      setHeader("authorization", (old, c) => {
        const credentials = Buffer.from(old.slice("Basic ".length), "base64");
        return `Basic ${flipBit(credentials, c.position, c.bit).toString("base64")}`;
      }),
    ],
    headerNames: ["authorization"],
  },
];

const draftArb = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  body: fc.uint8Array({ maxLength: 1024 }).map((bytes) => Buffer.from(bytes)),
});
const changeArb: fc.Arbitrary<Change> = fc.record({
  position: fc.nat(),
  bit: fc.nat(7),
  delta: fc.oneof(fc.integer({ min: -7_200, max: -1 }), fc.integer({ min: 1, max: 7_200 })),
});

describe.each(SCHEMES)("$name verifier properties", (scheme) => {
  const options =
    scheme.options === undefined ? undefined : parseProviderOptions(scheme.verifier.provider, scheme.options);

  it("verifies every correctly signed request, reporting the secret that matched", () => {
    fc.assert(
      fc.property(
        seedArb,
        draftArb,
        clockArb,
        fc.array(seedArb, { maxLength: 3 }),
        fc.nat(),
        (seed, draft, clock, others, slot) => {
          const secret = scheme.secretOf(seed);
          const timestamp = clock.now + Math.trunc(clock.skew * clock.tolerance);
          const signed = scheme.sign({ ...draft, timestamp }, secret);
          const secrets = others.map((other) => scheme.secretOf(other));
          secrets.splice(slot % (secrets.length + 1), 0, secret);
          const result = scheme.verifier.verify(request(signed), {
            secrets,
            nowSeconds: clock.now,
            toleranceSeconds: clock.tolerance,
            options,
          });
          expect(result.secretIndex).toBe(secrets.indexOf(secret));
        },
      ),
      RUNS,
    );
  });

  it("rejects any single change to the signed request, the credential or the secret", () => {
    const kinds = scheme.mutations.length + 1; // the last kind changes the secret
    fc.assert(
      fc.property(
        seedArb,
        draftArb,
        clockArb,
        fc.nat(kinds - 1),
        changeArb,
        (seed, draft, clock, kind, change) => {
          let secret = scheme.secretOf(seed);
          const timestamp = clock.now + Math.trunc(clock.skew * clock.tolerance);
          let signed = scheme.sign({ ...draft, timestamp }, secret);
          const mutation = scheme.mutations[kind];
          if (mutation === undefined) {
            secret = scheme.tamperSecret(secret, change.position);
          } else {
            signed = mutation(signed, change);
          }
          const context = {
            secrets: [secret],
            nowSeconds: clock.now,
            toleranceSeconds: clock.tolerance,
            options,
          };
          expect(() => scheme.verifier.verify(request(signed), context)).toThrow(SignatureVerificationError);
        },
      ),
      RUNS,
    );
  });

  it("throws nothing but SignatureVerificationError for arbitrary requests, secrets and clocks", () => {
    const valueArb = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc.constantFrom(
        "",
        " ",
        ",",
        ", ",
        "=",
        "v0=",
        "sha256=",
        "Bearer ",
        "Basic ",
        "Basic Og==",
        "1700000000",
        "1700000000000",
        "2023-11-14T22:13:20Z",
        "application/json",
        "application/x-www-form-urlencoded",
        `multipart/form-data; boundary=${BOUNDARY}`,
        'multipart/form-data; boundary=""',
      ),
      fc
        .tuple(fc.constantFrom("v0=", "sha256=", "Bearer ", "Basic ", ""), fc.base64String())
        .map(([p, t]) => `${p}${t}`),
      fc
        .tuple(
          fc.constantFrom("v0=", "sha256=", ""),
          fc.string({ unit: fc.constantFrom(..."0123456789abcdef") }),
        )
        .map(([p, t]) => `${p}${t}`),
    );
    const headersArb = fc.dictionary(
      fc.oneof(fc.constantFrom(...scheme.headerNames, "content-type"), fc.string()),
      valueArb,
      {
        maxKeys: 6,
      },
    );
    const fragmentArb = fc.constantFrom(
      `--${BOUNDARY}`,
      "\r\n",
      "\r\n\r\n",
      'Content-Disposition: form-data; name="token"',
      'Content-Disposition: form-data; name="timestamp"; filename="x"',
      "--",
      "{",
      '"signature":{"timestamp":"1700000000","token":"t","signature":"00"}',
      "}",
      "timestamp=1700000000&token=t&signature=00",
      "&",
    );
    const bodyArb = fc.oneof(
      fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
      fc
        .array(fc.oneof(fragmentArb, fc.string({ maxLength: 8 })), { maxLength: 12 })
        .map((parts) => Buffer.from(parts.join(""))),
    );
    const secretArb = fc.oneof(
      fc.string(),
      fc.base64String(),
      seedArb.map((seed) => scheme.secretOf(seed)),
    );
    const numberArb = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
    );
    const urlArb = fc.option(fc.oneof(fc.webUrl(), fc.string()), { nil: undefined });
    let failures = 0;
    fc.assert(
      fc.property(
        headersArb,
        bodyArb,
        urlArb,
        fc.option(fc.constantFrom("POST", "GET", ""), { nil: undefined }),
        fc.array(secretArb, { maxLength: 3 }),
        numberArb,
        numberArb,
        (headers, body, url, method, secrets, nowSeconds, toleranceSeconds) => {
          const inbound: InboundRequest = {
            headers,
            rawBody: body,
            ...(url === undefined ? {} : { url }),
            ...(method === undefined ? {} : { method }),
          };
          try {
            scheme.verifier.verify(inbound, { secrets, nowSeconds, toleranceSeconds, options });
          } catch (error) {
            expect(error).toBeInstanceOf(SignatureVerificationError);
            failures += 1;
          }
        },
      ),
      RUNS,
    );
    expect(failures).toBeGreaterThan(0);
  });

  it("identifies any request without throwing, except InvalidRequestError for a broken handshake", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...scheme.headerNames, "content-type"), fc.string()),
        fc.oneof(
          fc.jsonValue(),
          fc.constant({ event: "endpoint.url_validation", payload: { plainToken: "abc" } }),
          fc.constant({ event: "endpoint.url_validation" }),
        ),
        fc.uint8Array({ maxLength: 128 }),
        (headers, json, body) => {
          try {
            const identity = scheme.verifier.identify({ headers, rawBody: Buffer.from(body) }, () => json, {
              secret: "s3cret",
              options,
            });
            expect(typeof identity.eventType).toBe("string");
            expect(identity.eventType.length).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidRequestError);
          }
        },
      ),
      RUNS,
    );
  });
});
