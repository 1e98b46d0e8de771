import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SignatureVerificationError } from "../../../../shared/domain/errors.js";
import { parseProviderOptions } from "../../../../shared/verify/catalog.js";
import type { InboundRequest, SyncProviderVerifier } from "../../../../shared/verify/types.js";
import { clockArb, seedArb } from "./property-kit.js";
import { flipBit, tamperEncoded } from "./verify-test-kit.js";

/**
 * Properties of the verifiers whose schemes name their own single changes (`mutations`): HubSpot, Zoom,
 * Twitch, Mailgun, Lemon Squeezy, generic HMAC, token and basic, on generated requests signed by
 * independent signers written with node:crypto (each provider's test file defines its `Scheme` and
 * calls `describeMutationProperties`):
 * - a correctly signed request within the window verifies, and reports the matching secret;
 * - any single change to what is signed (or, for token/basic, to the credential) or to the secret
 *   makes it fail;
 * - arbitrary headers, bodies, secrets and clocks never make verify throw anything but
 *   SignatureVerificationError, and identify never throws anything but InvalidRequestError.
 */

const RUNS = { numRuns: 100 };

export interface Draft {
  readonly id: string;
  readonly timestamp: number;
  readonly body: Buffer;
}

export interface Signed {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly url: string;
  readonly method: string;
  /** Mailgun: the body's signature fields, and how to write a body from them again. */
  readonly fields?: Readonly<Record<string, string>>;
  readonly reencode?: (fields: Readonly<Record<string, string>>) => Signed;
}

export interface Change {
  readonly position: number;
  readonly bit: number;
  /** Seconds; never zero. */
  readonly delta: number;
}

export type Mutation = (signed: Signed, change: Change) => Signed;

export interface Scheme {
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

/** The public PROPERTY_URL the generated requests are sent to (and PROPERTY_URL-signing schemes sign). */
export const PROPERTY_URL = "https://hooks.example.test/webhooks/src?next=a%3Ab%2Fc&q=%20";

export const hex = (seed: Uint8Array) => Buffer.from(seed).toString("hex");
export const hmacHex = (key: Buffer | string, ...parts: (string | Buffer)[]) =>
  parts.reduce((h, part) => h.update(part), createHmac("sha256", key)).digest("hex");

function request(signed: Signed): InboundRequest {
  return { headers: signed.headers, rawBody: signed.body, url: signed.url, method: signed.method };
}

export function base(headers: Record<string, string>, body: Buffer): Signed {
  return { headers, body, url: PROPERTY_URL, method: "POST" };
}

/** Secrets here are ASCII, so flipping bit 0 of one character keeps the length and changes the key bytes. */
export function tamperUtf8(secret: string, position: number): string {
  return flipBit(Buffer.from(secret, "utf8"), position).toString("utf8");
}

export const flipBody: Mutation = (s, c) => ({
  ...s,
  body: s.body.length === 0 ? Buffer.from([c.bit]) : flipBit(s.body, c.position, c.bit),
});

export function setHeader(name: string, value: (old: string, c: Change) => string): Mutation {
  return (s, c) => ({ ...s, headers: { ...s.headers, [name]: value(s.headers[name] ?? "", c) } });
}

export function tamperSignature(name: string, prefix: string, encoding: "hex" | "base64"): Mutation {
  return setHeader(
    name,
    (old, c) => `${prefix}${tamperEncoded(old.slice(prefix.length), encoding, c.position, c.bit)}`,
  );
}

export function shiftSeconds(name: string): Mutation {
  return setHeader(name, (old, c) => String(Math.max(0, Number(old) + c.delta)));
}

export const flipChar = (text: string, c: Change) =>
  flipBit(Buffer.from(text, "latin1"), c.position).toString("latin1");

export function editField(name: string, edit: (old: string, c: Change) => string): Mutation {
  return (s, c) => {
    if (s.fields === undefined || s.reencode === undefined) {
      throw new Error("editField needs a request with body fields");
    }
    return s.reencode({ ...s.fields, [name]: edit(s.fields[name] ?? "", c) });
  };
}

/** The multipart boundary of Mailgun's generated bodies; the fuzzing below uses it too. */
export const BOUNDARY = "b0undary-mg";

const draftArb = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  body: fc.uint8Array({ maxLength: 1024 }).map((bytes) => Buffer.from(bytes)),
});
const changeArb: fc.Arbitrary<Change> = fc.record({
  position: fc.nat(),
  bit: fc.nat(7),
  delta: fc.oneof(fc.integer({ min: -7_200, max: -1 }), fc.integer({ min: 1, max: 7_200 })),
});

export function describeMutationProperties(scheme: Scheme): void {
  describe(`${scheme.name} verifier properties`, () => {
    const options =
      scheme.options === undefined
        ? undefined
        : parseProviderOptions(scheme.verifier.provider, scheme.options);

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
            expect(() => scheme.verifier.verify(request(signed), context)).toThrow(
              SignatureVerificationError,
            );
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
}
