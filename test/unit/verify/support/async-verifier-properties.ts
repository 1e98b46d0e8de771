import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidRequestError,
  SignatureVerificationError,
  VerificationUnavailableError,
} from "../../../../shared/domain/errors.js";
import type { InboundRequest, VerifiedSignature } from "../../../../shared/verify/types.js";
import { flipBit } from "./verify-test-kit.js";

/**
 * Properties of the asynchronous verifiers whose keys come from generated seeds or small key pools (JWT,
 * Google Pub/Sub, SendGrid), checked on generated requests (each provider's test file defines its
 * `Scheme` and calls `describeAsyncVerifierProperties`):
 * - a correctly signed request within its window verifies, and reports the secret that matched;
 * - any single change to the body (where signed), the signature, the key, the signed timestamp, or a
 *   clock outside the window makes it fail with SignatureVerificationError;
 * - arbitrary header values, secrets and clocks never make verify throw anything but the typed errors,
 *   nor identify anything but InvalidRequestError.
 * Verification is async here, so runs are fewer than for the HMAC schemes.
 */

const RUNS = { numRuns: 50 };
/** The verifiers allow 30 s of clock skew. */
export const SKEW = 30;

export const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export interface Signed {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly url?: string;
}

export interface Draft {
  readonly body: Buffer;
  readonly id: string;
  /** The signed timestamp (`iat` or SendGrid's header). */
  readonly timestamp: number;
}

/** Key material from a generated seed: what the sender signs with and what the source configures. */
export interface Key {
  readonly secret: string;
  sign(draft: Draft): Signed;
  /** A well-formed secret of the same kind that must not verify this key's requests. */
  readonly otherSecret: string;
}

export interface Scheme {
  readonly name: string;
  readonly keyArb: fc.Arbitrary<Key>;
  /** A signed timestamp inside the window for `now`, as a fraction in [-1, 1] of its width. */
  validTimestamp(now: number, fraction: number): number;
  /** A clock at which `timestamp` is outside the window (delta > 0 picks how far). */
  clockOutside(timestamp: number, delta: number, later: boolean): number;
  verify(
    request: InboundRequest,
    secrets: readonly string[],
    now: number,
    tolerance: number,
  ): Promise<VerifiedSignature>;
  identify(request: InboundRequest, json: unknown): unknown;
  tamperSignature(signed: Signed, position: number, bit: number): Signed;
  /** The same signature over another signed timestamp. */
  retime(signed: Signed, delta: number): Signed;
  readonly bodySigned: boolean;
  /** When set, the window is the source's `toleranceSeconds` (SendGrid), not `validTimestamp`/`clockOutside`. */
  readonly toleranceWindow?: true;
  readonly headerNames: readonly string[];
}

// --- JWT helpers --------------------------------------------------------------------------------

function tokenHeader(signed: Signed, name: string): string {
  const value = signed.headers[name] ?? "";
  return value.startsWith("Bearer ") ? value.slice(7) : value;
}

function withToken(signed: Signed, name: string, token: string): Signed {
  const bearer = (signed.headers[name] ?? "").startsWith("Bearer ");
  return { ...signed, headers: { ...signed.headers, [name]: bearer ? `Bearer ${token}` : token } };
}

export function tamperJwtSignature(signed: Signed, name: string, position: number, bit: number): Signed {
  const [head, payload, signature] = tokenHeader(signed, name).split(".");
  const flipped = flipBit(Buffer.from(signature ?? "", "base64url"), position, bit).toString("base64url");
  return withToken(signed, name, `${head}.${payload}.${flipped}`);
}

export function retimeJwt(signed: Signed, name: string, delta: number): Signed {
  const [head, payload, signature] = tokenHeader(signed, name).split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Record<
    string,
    number
  >;
  const moved: Record<string, number> = { ...claims, iat: (claims.iat ?? 0) + delta };
  if (claims.exp !== undefined) moved.exp = claims.exp + delta;
  return withToken(signed, name, `${head}.${segment(moved)}.${signature}`);
}

/** The scheme's own window, or the source's tolerance for schemes that use it (SendGrid). */
function windowOf(scheme: Scheme, tolerance: number) {
  if (!scheme.toleranceWindow) return scheme;
  return {
    validTimestamp: (now: number, fraction: number) => now + Math.trunc(fraction * tolerance),
    clockOutside: (timestamp: number, delta: number, later: boolean) =>
      later ? timestamp + tolerance + delta : timestamp - tolerance - delta,
  };
}

function requestOf(signed: Signed): InboundRequest {
  return {
    headers: signed.headers,
    rawBody: signed.body,
    ...(signed.url === undefined ? {} : { url: signed.url }),
  };
}

const draftArb = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  body: fc.uint8Array({ maxLength: 1024 }).map((bytes) => Buffer.from(bytes)),
});
const clockArb = fc.record({
  now: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
  tolerance: fc.integer({ min: 1, max: 3_600 }),
  fraction: fc.double({ min: -1, max: 1, noNaN: true }),
});

type Mutation =
  | { readonly kind: "body"; readonly position: number; readonly bit: number }
  | { readonly kind: "signature"; readonly position: number; readonly bit: number }
  | { readonly kind: "key" }
  | { readonly kind: "timestamp"; readonly delta: number }
  | { readonly kind: "clock"; readonly delta: number; readonly later: boolean };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("body"), position: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("signature"), position: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("key") }),
  fc.record({
    kind: fc.constant("timestamp"),
    delta: fc.oneof(fc.integer({ min: -7_200, max: -1 }), fc.integer({ min: 1, max: 7_200 })),
  }),
  fc.record({ kind: fc.constant("clock"), delta: fc.integer({ min: 1, max: 100_000 }), later: fc.boolean() }),
);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

export function describeAsyncVerifierProperties(scheme: Scheme): void {
  describe(`${scheme.name} verifier properties`, () => {
    it("verifies every correctly signed request, reporting the secret that matched", async () => {
      await fc.assert(
        fc.asyncProperty(
          scheme.keyArb,
          draftArb,
          clockArb,
          fc.array(scheme.keyArb, { maxLength: 2 }),
          fc.nat(),
          async (key, draft, clock, others, slot) => {
            const window = windowOf(scheme, clock.tolerance);
            const signed = key.sign({
              ...draft,
              timestamp: window.validTimestamp(clock.now, clock.fraction),
            });
            const secrets = others
              .map((other) => other.otherSecret)
              .filter((secret) => secret !== key.secret);
            secrets.splice(slot % (secrets.length + 1), 0, key.secret);
            const result = await scheme.verify(requestOf(signed), secrets, clock.now, clock.tolerance);
            expect(result.secretIndex).toBe(secrets.indexOf(key.secret));
          },
        ),
        RUNS,
      );
    });

    it("rejects any single change to the body, signature, key, signed timestamp or clock", async () => {
      await fc.assert(
        fc.asyncProperty(
          scheme.keyArb,
          draftArb,
          clockArb,
          mutationArb,
          async (key, draft, clock, mutation) => {
            const window = windowOf(scheme, clock.tolerance);
            const timestamp = window.validTimestamp(clock.now, clock.fraction);
            let signed = key.sign({ ...draft, timestamp });
            let secret = key.secret;
            let now = clock.now;
            switch (mutation.kind) {
              case "body":
                if (scheme.bodySigned) {
                  const body =
                    signed.body.length === 0
                      ? Buffer.from([mutation.bit])
                      : flipBit(signed.body, mutation.position, mutation.bit);
                  signed = { ...signed, body };
                } else {
                  // The body is not covered (Pub/Sub): change what the token does cover instead.
                  signed = scheme.tamperSignature(signed, mutation.position, mutation.bit);
                }
                break;
              case "signature":
                signed = scheme.tamperSignature(signed, mutation.position, mutation.bit);
                break;
              case "key":
                secret = key.otherSecret;
                break;
              case "timestamp":
                signed = scheme.retime(signed, mutation.delta);
                break;
              case "clock":
                now = window.clockOutside(timestamp, mutation.delta, mutation.later);
                break;
            }
            const error = await rejection(scheme.verify(requestOf(signed), [secret], now, clock.tolerance));
            expect(error).toBeInstanceOf(SignatureVerificationError);
          },
        ),
        RUNS,
      );
    });

    it("throws nothing but the typed errors for arbitrary headers, secrets and clocks", async () => {
      const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 5,
      });
      const forgedJwt = fc
        .tuple(
          fc.oneof(
            jsonObject,
            fc.record({
              alg: fc.constantFrom("none", "HS256", "RS256", "ES256", "EdDSA", "PS256", "", "None"),
              kid: fc.option(fc.constantFrom("plaid-kid", "g-0", "g-1", "x"), { nil: undefined }),
              crit: fc.option(fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), { nil: undefined }),
              b64: fc.option(fc.boolean(), { nil: undefined }),
            }),
          ),
          fc.oneof(jsonObject, fc.jsonValue({ maxDepth: 2 })),
          fc.uint8Array({ maxLength: 300 }),
        )
        .map(
          ([head, payload, signature]) =>
            `${segment(head)}.${segment(payload)}.${Buffer.from(signature).toString("base64url")}`,
        );
      const valueArb = fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.constantFrom("", " ", ",", "Bearer", "Bearer ", "bearer a.b.c", "1588788367", "MEUCIQ=="),
        forgedJwt,
        forgedJwt.map((token) => `Bearer ${token}`),
        fc.base64String(),
      );
      const headersArb = fc.dictionary(
        fc.oneof(fc.constantFrom(...scheme.headerNames), fc.string()),
        valueArb,
        {
          maxKeys: 5,
        },
      );
      const secretArb = fc.oneof(
        fc.string(),
        fc.constantFrom(
          "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
          "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
          '{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}',
          '{"kty":"oct"}',
          '{"kty":"RSA","n":"AQAB","e":"AQAB"}',
          "{",
        ),
        fc.base64String(),
        scheme.keyArb.map((key) => key.secret),
      );
      const numberArb = fc.oneof(
        fc.integer(),
        fc.double(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
      );
      const urlArb = fc.option(fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string()), {
        nil: undefined,
      });
      let failures = 0;
      await fc.assert(
        fc.asyncProperty(
          headersArb,
          fc.uint8Array({ maxLength: 256 }),
          fc.array(secretArb, { maxLength: 3 }),
          numberArb,
          numberArb,
          urlArb,
          async (headers, body, secrets, now, tolerance, url) => {
            const request: InboundRequest = {
              headers,
              rawBody: Buffer.from(body),
              ...(url === undefined ? {} : { url }),
            };
            const error = await rejection(scheme.verify(request, secrets, now, tolerance));
            if (error !== undefined) {
              failures += 1;
              expect(
                error instanceof SignatureVerificationError || error instanceof VerificationUnavailableError,
              ).toBe(true);
            }
          },
        ),
        RUNS,
      );
      expect(failures).toBeGreaterThan(0);
    });

    it("identifies any body without throwing anything but InvalidRequestError", () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.constantFrom(...scheme.headerNames), fc.string(), { maxKeys: 3 }),
          fc.jsonValue(),
          (headers, json) => {
            try {
              const identity = scheme.identify({ headers, rawBody: Buffer.alloc(0) }, json) as {
                eventType: string;
              };
              expect(typeof identity.eventType).toBe("string");
              expect(identity.eventType.length).toBeGreaterThan(0);
            } catch (error) {
              expect(error).toBeInstanceOf(InvalidRequestError);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}
