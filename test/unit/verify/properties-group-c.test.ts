import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import fc from "fast-check";
import { createLocalJWKSet } from "jose";
import { describe, expect, it } from "vitest";
import {
  InvalidRequestError,
  SignatureVerificationError,
  VerificationUnavailableError,
} from "../../../shared/domain/errors.js";
import type { GooglePubsubOptions, JwtOptions } from "../../../shared/verify/catalog.js";
import { createGooglePubsubVerifier } from "../../../shared/verify/providers/google-pubsub.js";
import { createJwtVerifier } from "../../../shared/verify/providers/jwt.js";
import {
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendgridVerifier,
} from "../../../shared/verify/providers/sendgrid.js";
import type { InboundRequest, ProviderVerifier, VerifiedSignature } from "../../../shared/verify/types.js";
import { publicJwk, signJws } from "../conformance/cases/group-c.js";
import { seedArb } from "./support/property-kit.js";
import { ed25519KeyPair, flipBit, tamperEncoded } from "./support/verify-test-kit.js";

/**
 * Properties of the JWT, Google Pub/Sub and SendGrid verifiers, checked on generated requests:
 * - a correctly signed request within its window verifies, and reports the secret that matched;
 * - any single change to the body (where signed), the signature, the key, the signed timestamp, or a
 *   clock outside the window makes it fail with SignatureVerificationError;
 * - arbitrary header values, secrets and clocks never make verify throw anything but the typed errors,
 *   nor identify anything but InvalidRequestError.
 * Verification is async here, so runs are fewer than for the HMAC schemes.
 */

const RUNS = { numRuns: 50 };
const AUDIENCE = "https://hooks.example.test/webhooks/pubsub";
const EMAIL = "push@example-project.iam.gserviceaccount.com";
/** JWT sources below bound `iat` to 300 s; the verifiers allow 30 s of clock skew. */
const MAX_AGE = 300;
const SKEW = 30;

const sha256Hex = (body: Buffer) => createHash("sha256").update(body).digest("hex");
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

interface Signed {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly url?: string;
}

interface Draft {
  readonly body: Buffer;
  readonly id: string;
  /** The signed timestamp (`iat` or SendGrid's header). */
  readonly timestamp: number;
}

/** Key material from a generated seed: what the sender signs with and what the source configures. */
interface Key {
  readonly secret: string;
  sign(draft: Draft): Signed;
  /** A well-formed secret of the same kind that must not verify this key's requests. */
  readonly otherSecret: string;
}

interface Scheme {
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

function tamperJwtSignature(signed: Signed, name: string, position: number, bit: number): Signed {
  const [head, payload, signature] = tokenHeader(signed, name).split(".");
  const flipped = flipBit(Buffer.from(signature ?? "", "base64url"), position, bit).toString("base64url");
  return withToken(signed, name, `${head}.${payload}.${flipped}`);
}

function retimeJwt(signed: Signed, name: string, delta: number): Signed {
  const [head, payload, signature] = tokenHeader(signed, name).split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Record<
    string,
    number
  >;
  const moved: Record<string, number> = { ...claims, iat: (claims.iat ?? 0) + delta };
  if (claims.exp !== undefined) moved.exp = claims.exp + delta;
  return withToken(signed, name, `${head}.${segment(moved)}.${signature}`);
}

const jwtWindow = {
  validTimestamp: (now: number, fraction: number) =>
    now - Math.round(((fraction + 1) / 2) * (MAX_AGE + SKEW)) + SKEW,
  clockOutside: (timestamp: number, delta: number, later: boolean) =>
    later ? timestamp + MAX_AGE + SKEW + delta : timestamp - SKEW - delta,
};

function jwtScheme(name: string, options: JwtOptions, keyArb: fc.Arbitrary<Key>): Scheme {
  const verifier: ProviderVerifier<JwtOptions> = createJwtVerifier();
  const header = (options.header ?? "authorization").toLowerCase();
  return {
    name,
    keyArb,
    ...jwtWindow,
    verify: async (request, secrets, now, tolerance) =>
      verifier.verify(request, { secrets, nowSeconds: now, toleranceSeconds: tolerance, options }),
    identify: (request, json) => verifier.identify(request, () => json, { secret: undefined, options }),
    tamperSignature: (signed, position, bit) => tamperJwtSignature(signed, header, position, bit),
    retime: (signed, delta) => retimeJwt(signed, header, delta),
    bodySigned: options.bodyHashClaim !== undefined,
    headerNames: [header, "authorization", "content-type"],
  };
}

// --- Key pools (RSA and P-256 keys cannot be derived from a seed; pick from a few) -----------------

const ecPool = Array.from({ length: 4 }, () => generateKeyPairSync("ec", { namedCurve: "P-256" }));
const rsaPool = Array.from({ length: 3 }, () => generateKeyPairSync("rsa", { modulusLength: 2048 }));
const indexArb = (length: number) => fc.nat(length - 1);

const plaidOptions: JwtOptions = {
  header: "plaid-verification",
  algorithms: ["ES256"],
  bodyHashClaim: "request_body_sha256",
  maxAgeSeconds: MAX_AGE,
};
const plaidKeyOf = (index: number): Key => {
  const pair = ecPool[index % ecPool.length];
  const other = ecPool[(index + 1) % ecPool.length];
  if (!pair || !other) throw new Error("empty pool");
  // The same kid on every key: the key itself, not the kid, must decide.
  const jwk = (key: KeyObject) => JSON.stringify(publicJwk(key, "plaid-kid", "ES256"));
  return {
    secret: jwk(pair.privateKey),
    otherSecret: jwk(other.privateKey),
    sign: (draft) => ({
      headers: {
        "plaid-verification": signJws(
          { alg: "ES256", kid: "plaid-kid" },
          { iat: draft.timestamp, request_body_sha256: sha256Hex(draft.body) },
          pair.privateKey,
        ),
      },
      body: draft.body,
    }),
  };
};

const hsOptions: JwtOptions = {
  algorithms: ["HS256", "RS256"],
  bodyHashClaim: "body_sha256",
  maxAgeSeconds: MAX_AGE,
};
const hsKeyOf = (seed: Uint8Array): Key => {
  const secret = Buffer.from(seed).toString("hex");
  return {
    secret,
    otherSecret: flipBit(Buffer.from(secret), 3).toString("utf8"),
    sign: (draft) => ({
      headers: {
        authorization: `Bearer ${signJws(
          { alg: "HS256", typ: "JWT" },
          {
            iat: draft.timestamp,
            exp: draft.timestamp + MAX_AGE,
            jti: draft.id,
            body_sha256: sha256Hex(draft.body),
          },
          Buffer.from(secret),
        )}`,
      },
      body: draft.body,
    }),
  };
};

const edOptions: JwtOptions = { algorithms: ["EdDSA", "HS256"], maxAgeSeconds: MAX_AGE, bodyHashClaim: "bh" };
const edKeyOf = (seed: Uint8Array): Key => {
  const { privateKey, publicKey } = ed25519KeyPair(seed);
  const other = ed25519KeyPair(flipBit(Buffer.from(seed), 0)).publicKey;
  const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" }).toString();
  return {
    secret: pem(publicKey),
    otherSecret: pem(other),
    sign: (draft) => ({
      headers: {
        authorization: `Bearer ${signJws(
          { alg: "EdDSA" },
          { iat: draft.timestamp, jti: draft.id, bh: sha256Hex(draft.body) },
          privateKey,
        )}`,
      },
      body: draft.body,
    }),
  };
};

// --- Google Pub/Sub: every pool key is in the (in-memory) key set under its own kid ---------------

const googleKeys = createLocalJWKSet({
  keys: rsaPool.map((pair, i) => publicJwk(pair.privateKey, `g-${i}`, "RS256")),
});
const pubsubOptions: GooglePubsubOptions = { audience: AUDIENCE, serviceAccountEmail: EMAIL };
const pubsubVerifier = createGooglePubsubVerifier({ jwks: { resolverFor: () => googleKeys } });
const pubsubScheme: Scheme = {
  name: "google-pubsub",
  keyArb: fc.tuple(indexArb(rsaPool.length), seedArb).map(([index, seed]): Key => {
    const pair = rsaPool[index];
    if (!pair) throw new Error("empty pool");
    const urlToken = Buffer.from(seed).toString("base64url");
    return {
      secret: urlToken,
      otherSecret: `${urlToken}x`,
      sign: (draft) => ({
        headers: {
          authorization: `Bearer ${signJws(
            { alg: "RS256", kid: `g-${index}`, typ: "JWT" },
            {
              aud: AUDIENCE,
              email: EMAIL,
              email_verified: true,
              iat: draft.timestamp,
              exp: draft.timestamp + 3600,
              iss: "https://accounts.google.com",
              sub: draft.id,
            },
            pair.privateKey,
          )}`,
        },
        body: draft.body,
        url: `${AUDIENCE}?token=${urlToken}`,
      }),
    };
  }),
  // Valid while exp (iat + 3600) is less than 30 s past; iat itself is not bounded.
  validTimestamp: (now, fraction) => now - Math.round(((fraction + 1) / 2) * (3600 + SKEW - 1)),
  clockOutside: (timestamp, delta) => timestamp + 3600 + SKEW + delta,
  verify: async (request, secrets, now, tolerance) =>
    pubsubVerifier.verify(request, {
      secrets,
      nowSeconds: now,
      toleranceSeconds: tolerance,
      options: pubsubOptions,
    }),
  identify: (request, json) => pubsubVerifier.identify(request, () => json),
  tamperSignature: (signed, position, bit) => tamperJwtSignature(signed, "authorization", position, bit),
  retime: (signed, delta) => retimeJwt(signed, "authorization", delta),
  bodySigned: false,
  headerNames: ["authorization", "x-goog-pubsub-message-id"],
};

// --- SendGrid ----------------------------------------------------------------------------------

const spki = (key: KeyObject) => key.export({ format: "der", type: "spki" }).toString("base64");
const sendgridScheme: Scheme = {
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
  validTimestamp: () => Number.NaN, // replaced below: SendGrid's window is the source's tolerance
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
};

const SCHEMES: readonly Scheme[] = [
  jwtScheme(
    "jwt ES256 (Plaid: static JWK, request_body_sha256)",
    plaidOptions,
    indexArb(ecPool.length).map(plaidKeyOf),
  ),
  jwtScheme("jwt HS256 (shared secret, body hash)", hsOptions, seedArb.map(hsKeyOf)),
  jwtScheme("jwt EdDSA (PEM key, body hash)", edOptions, seedArb.map(edKeyOf)),
  pubsubScheme,
  sendgridScheme,
];

/** SendGrid's window is the source's tolerance; the JWT schemes have their own. */
function windowOf(scheme: Scheme, tolerance: number) {
  if (scheme !== sendgridScheme) return scheme;
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

describe.each(SCHEMES)("$name verifier properties", (scheme) => {
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
          const signed = key.sign({ ...draft, timestamp: window.validTimestamp(clock.now, clock.fraction) });
          const secrets = others.map((other) => other.otherSecret).filter((secret) => secret !== key.secret);
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
