import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SignatureVerificationError } from "../../../../shared/domain/errors.js";
import type { InboundRequest, SyncProviderVerifier } from "../../../../shared/verify/types.js";
import { clockArb, mutationArb } from "./property-kit.js";
import { flipBit, tamperEncoded } from "./verify-test-kit.js";

/**
 * Properties of the verifiers that sign with an HMAC keyed by a UTF-8 secret and may cover the URL
 * (Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear, Intercom), on generated requests signed by
 * independent signers written with `node:crypto` alone (each provider's test file defines its `Scheme`
 * and calls `describeSignedRequestProperties`):
 * - a correctly signed request within the window verifies, and reports the matching secret;
 * - any single change to body, signature, secret or signed timestamp makes it fail;
 * - arbitrary header values, URLs, options, secrets and clocks never make it throw anything but
 *   SignatureVerificationError;
 * - identify never throws on a verified request's headers and body, whatever they hold (Slack's
 *   url_verification without a challenge is the one InvalidRequestError).
 */

const RUNS = { numRuns: 100 };
/** The public URL the generated requests are sent to (and URL-signing schemes sign). */
export const PROPERTY_URL = "https://hooks.example.test/webhooks/src?tenant=1";

export interface Message {
  readonly id: string;
  readonly timestamp: number;
  /** Sub-second part of a millisecond timestamp (Linear). */
  readonly millis: number;
  readonly body: Buffer;
  /** Form parameters (Twilio form bodies). */
  readonly params: readonly (readonly [string, string])[];
}

export interface SignedRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly url: string;
}

export interface Scheme {
  readonly name: string;
  readonly verifier: SyncProviderVerifier;
  readonly options?: unknown;
  sign(message: Message, secret: string): SignedRequest;
  /** The request with one bit of the (first) signature flipped. */
  tamperSignature(request: SignedRequest, position: number, bit: number): SignedRequest;
  /** The request claiming another timestamp with the old signature; undefined when none is signed. */
  retime?(request: SignedRequest, message: Message, timestamp: number): SignedRequest;
  readonly headerNames: readonly string[];
}

export const hmac = (algorithm: "sha1" | "sha256", secret: string, ...parts: (Buffer | string)[]) => {
  const mac = createHmac(algorithm, Buffer.from(secret, "utf8"));
  for (const part of parts) {
    mac.update(part);
  }
  return mac.digest();
};

export function withHeader(request: SignedRequest, name: string, value: string): SignedRequest {
  return { ...request, headers: { ...request.headers, [name]: value } };
}

/** Flips one bit of the encoded signature that follows `prefix` in header `name`. */
export function tamperHeader(name: string, prefix: string, encoding: "hex" | "base64") {
  return (request: SignedRequest, position: number, bit: number): SignedRequest => {
    const value = request.headers[name] ?? "";
    const at = value.indexOf(prefix) + prefix.length;
    const end = value.indexOf(";", at) < 0 ? value.length : value.indexOf(";", at);
    const tampered = tamperEncoded(value.slice(at, end), encoding, position, bit);
    return withHeader(request, name, `${value.slice(0, at)}${tampered}${value.slice(end)}`);
  };
}

/** Twilio's canonical parameter string: names sorted, each name's distinct values sorted. */
function inbound(request: SignedRequest, body: Buffer = request.body): InboundRequest {
  return { headers: request.headers, rawBody: body, url: request.url, method: "POST" };
}

function tamperSecret(secret: string, position: number): string {
  // Secrets here are ASCII, so flipping bit 0 of one byte keeps the length and changes the key bytes.
  return flipBit(Buffer.from(secret, "utf8"), position).toString("utf8");
}

const secretArb = fc
  .uint8Array({ minLength: 16, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString("hex"));
const nameArb = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
const messageArb = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  millis: fc.integer({ min: 0, max: 999 }),
  body: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  params: fc.array(fc.tuple(nameArb, fc.stringMatching(/^[A-Za-z0-9]{0,20}$/)), { maxLength: 12 }),
});

export function describeSignedRequestProperties(scheme: Scheme): void {
  describe(`${scheme.name} verifier properties`, () => {
    const verify = (request: InboundRequest, secrets: readonly string[], now: number, tolerance: number) =>
      scheme.verifier.verify(request, {
        secrets,
        nowSeconds: now,
        toleranceSeconds: tolerance,
        options: scheme.options,
      });

    it("verifies every correctly signed request, reporting the secret that matched", () => {
      fc.assert(
        fc.property(
          secretArb,
          messageArb,
          clockArb,
          fc.array(secretArb, { maxLength: 3 }),
          fc.nat(),
          (secret, draft, clock, others, slot) => {
            fc.pre(!others.includes(secret));
            const timestamp = clock.now + Math.trunc(clock.skew * clock.tolerance);
            const request = scheme.sign({ ...draft, timestamp }, secret);
            const secrets = [...others];
            secrets.splice(slot % (secrets.length + 1), 0, secret);
            const result = verify(inbound(request), secrets, clock.now, clock.tolerance);
            expect(result.secretIndex).toBe(secrets.indexOf(secret));
          },
        ),
        RUNS,
      );
    });

    it("rejects any single change to the body, signature, secret or signed timestamp", () => {
      fc.assert(
        fc.property(secretArb, messageArb, clockArb, mutationArb, (key, draft, clock, mutation) => {
          const message = { ...draft, timestamp: clock.now + Math.trunc(clock.skew * clock.tolerance) };
          let request = scheme.sign(message, key);
          let body = request.body;
          let secret = key;
          switch (mutation.kind) {
            case "body":
              body =
                body.length === 0
                  ? Buffer.from([mutation.bit])
                  : flipBit(body, mutation.position, mutation.bit);
              break;
            case "signature":
              request = scheme.tamperSignature(request, mutation.position, mutation.bit);
              break;
            case "secret":
              secret = tamperSecret(secret, mutation.position);
              break;
            case "timestamp":
              if (scheme.retime === undefined) {
                // Nothing signed to change: change the body instead so the run still asserts.
                body = Buffer.concat([body, Buffer.from([0])]);
              } else {
                request = scheme.retime(request, message, Math.max(0, message.timestamp + mutation.delta));
                body = request.body;
              }
              break;
          }
          expect(() => verify(inbound(request, body), [secret], clock.now, clock.tolerance)).toThrow(
            SignatureVerificationError,
          );
        }),
        RUNS,
      );
    });

    it("throws nothing but SignatureVerificationError for arbitrary headers, URLs, options, secrets and clocks", () => {
      const valueArb = fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.constantFrom("", " ", ",", ";", "=", ", ", "v0=", "v1=", "sha1=", "ts=", "h1=", "1531420618"),
        fc
          .tuple(fc.constantFrom("v0=", "v1=", "sha1=", "ts=1;h1=", "h1=", ""), fc.base64String())
          .map(([prefix, text]) => `${prefix}${text}`),
        fc
          .tuple(fc.nat(), fc.string({ unit: fc.constantFrom(..."0123456789abcdef") }))
          .map(([t, sig]) => `ts=${t};h1=${sig}`),
      );
      const headersArb = fc.dictionary(
        fc.oneof(fc.constantFrom(...scheme.headerNames), fc.string()),
        valueArb,
        {
          maxKeys: 6,
        },
      );
      const urlArb = fc.oneof(
        fc.constant(undefined),
        fc.string(),
        fc.webUrl({ withQueryParameters: true, withFragments: true }),
        fc
          .tuple(
            fc.constantFrom("https://h", "https://h:443", "http://[::1]:80", "https://u:p@h"),
            fc.string(),
          )
          .map(([head, tail]) => `${head}/${tail}?bodySHA256=${tail}`),
      );
      const optionsArb = fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.record({ publicUrl: fc.oneof(fc.string(), fc.webUrl(), fc.integer()) }),
        fc.anything(),
      );
      const numberArb = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
      );
      let failures = 0;
      fc.assert(
        fc.property(
          headersArb,
          fc.oneof(
            fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes)),
            fc.jsonValue().map((json) => Buffer.from(JSON.stringify(json) ?? "")),
          ),
          urlArb,
          optionsArb,
          fc.array(fc.oneof(fc.string(), secretArb), { maxLength: 3 }),
          numberArb,
          numberArb,
          (headers, rawBody, url, options, secrets, nowSeconds, toleranceSeconds) => {
            try {
              scheme.verifier.verify(
                { headers, rawBody, ...(url === undefined ? {} : { url }) },
                { secrets, nowSeconds, toleranceSeconds, options },
              );
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

    it("identifies any request without throwing, whatever the headers and body hold", () => {
      fc.assert(
        fc.property(
          fc.dictionary(
            fc.constantFrom(
              ...scheme.headerNames,
              "x-shopify-topic",
              "x-shopify-event-id",
              "i-twilio-idempotency-token",
              "linear-delivery",
            ),
            fc.string(),
          ),
          fc.oneof(fc.jsonValue(), fc.object()),
          fc.oneof(fc.string(), fc.string({ unit: "binary" })),
          (headers, json, text) => {
            const request = { headers, rawBody: Buffer.from(text) };
            try {
              const identity = scheme.verifier.identify(request, () => json);
              expect(typeof identity.eventType).toBe("string");
              expect(identity.eventType.length).toBeGreaterThan(0);
              if (identity.deliveryId !== undefined) {
                expect(identity.deliveryId.length).toBeGreaterThan(0);
              }
            } catch (error) {
              expect(scheme.verifier.provider).toBe("slack");
              expect(error).toBeInstanceOf(InvalidRequestError);
            }
          },
        ),
        RUNS,
      );
    });
  });
}
