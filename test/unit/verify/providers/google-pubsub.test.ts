import { generateKeyPairSync, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { createLocalJWKSet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidRequestError,
  SIGNATURE_FAILURES,
  SignatureVerificationError,
  VerificationUnavailableError,
} from "../../../../shared/domain/errors.js";
import type { GooglePubsubOptions } from "../../../../shared/verify/catalog.js";
import {
  createGooglePubsubVerifier,
  GOOGLE_CERTS_URL,
  googlePubsubVerifier,
} from "../../../../shared/verify/providers/google-pubsub.js";
import { createJwksKeys, type JwksKeys, unguardedJwksFetch } from "../../../../shared/verify/schemes/jwks.js";
import type { InboundRequest, ProviderVerifier, VerifiedSignature } from "../../../../shared/verify/types.js";
import { type LocalJwksServer, publicJwk, signJws, startJwksServer } from "../../../support/jws.js";
import {
  describeAsyncVerifierProperties,
  type Key,
  retimeJwt,
  SKEW,
  tamperJwtSignature,
} from "../support/async-verifier-properties.js";
import { seedArb } from "../support/property-kit.js";
import { requestOf } from "../support/verify-test-kit.js";

const NOW = 1_700_000_000;
const KID = "google-key-1";
const AUDIENCE = "https://hooks.example.test/webhooks/pubsub";
const EMAIL = "push@example-project.iam.gserviceaccount.com";
const google = generateKeyPairSync("rsa", { modulusLength: 2048 });
const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
const BODY = JSON.stringify({
  message: {
    attributes: { eventType: "OBJECT_FINALIZE" },
    data: Buffer.from("hello").toString("base64"),
    messageId: "1234567890",
    publishTime: "2024-01-01T00:00:00.000Z",
  },
  subscription: "projects/p/subscriptions/s",
});

const googleClaims = (extra: Record<string, unknown> = {}) => ({
  aud: AUDIENCE,
  email: EMAIL,
  email_verified: true,
  exp: NOW + 3600,
  iat: NOW,
  iss: "https://accounts.google.com",
  sub: "1234",
  ...extra,
});

const oidc = (
  extra: Record<string, unknown> = {},
  key: KeyObject = google.privateKey,
  header: Record<string, unknown> = {},
) => signJws({ alg: "RS256", kid: KID, typ: "JWT", ...header }, googleClaims(extra), key);

async function failureOf(promise: Promise<unknown>): Promise<SignatureVerificationError> {
  const error = await promise.then(
    () => new Error("expected a SignatureVerificationError, but verification succeeded"),
    (e: unknown) => e,
  );
  if (error instanceof SignatureVerificationError) return error;
  throw error;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return (await failureOf(promise)).reason;
}

/** A key "set" served from memory: the verifier logic without HTTP. */
function localKeys(keys = [publicJwk(google.privateKey, KID, "RS256")]): JwksKeys & { urls: string[] } {
  const urls: string[] = [];
  const set = createLocalJWKSet({ keys });
  return {
    urls,
    resolverFor: (url) => {
      urls.push(url);
      return set;
    },
  };
}

describe("googlePubsubVerifier.verify (keys from memory)", () => {
  const keys = localKeys();
  const verifier = createGooglePubsubVerifier({ jwks: keys });
  const options: GooglePubsubOptions = { audience: AUDIENCE, serviceAccountEmail: EMAIL };

  function verify(
    headers: Record<string, string>,
    opts: GooglePubsubOptions = options,
    secrets: readonly string[] = [],
    url?: string,
  ): Promise<VerifiedSignature> {
    const request: InboundRequest = { ...requestOf(headers, BODY), ...(url === undefined ? {} : { url }) };
    return Promise.resolve(
      verifier.verify(request, {
        secrets,
        nowSeconds: NOW,
        toleranceSeconds: 300,
        options: opts,
      }),
    );
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("accepts Google's token for the configured audience and service account, from Google's JWKS by default", async () => {
    expect(await verify(bearer(oidc()))).toEqual({ secretIndex: 0 });
    expect(await verify(bearer(oidc({ iss: "accounts.google.com" })))).toEqual({ secretIndex: 0 });
    expect(keys.urls.at(-1)).toBe(GOOGLE_CERTS_URL);
    await verify(bearer(oidc()), { ...options, jwksUrl: "http://127.0.0.1:1/certs" });
    expect(keys.urls.at(-1)).toBe("http://127.0.0.1:1/certs");
  });

  it("rejects another issuer, audience or service account", async () => {
    for (const extra of [
      { iss: "https://evil.example" },
      { iss: "https://accounts.google.com/" },
      { aud: "https://other.example/push" },
      { email: "attacker@evil-project.iam.gserviceaccount.com" },
      { email: EMAIL.toUpperCase() },
    ]) {
      expect(await reasonOf(verify(bearer(oidc(extra))))).toBe(SIGNATURE_FAILURES.invalidToken);
    }
  });

  it("requires email_verified to be exactly true", async () => {
    for (const value of [false, "true", 1, undefined]) {
      expect(await reasonOf(verify(bearer(oidc({ email_verified: value }))))).toBe(
        SIGNATURE_FAILURES.invalidToken,
      );
    }
  });

  it("checks exp with 30 s of skew, and requires it", async () => {
    expect(await verify(bearer(oidc({ exp: NOW - 20 })))).toEqual({ secretIndex: 0 });
    expect(await reasonOf(verify(bearer(oidc({ exp: NOW - 40 }))))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
    expect(await reasonOf(verify(bearer(oidc({ exp: undefined }))))).toBe(SIGNATURE_FAILURES.invalidToken);
  });

  it("rejects a token signed by another key, for another kid, or with another algorithm", async () => {
    expect(await reasonOf(verify(bearer(oidc({}, stranger.privateKey))))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(await reasonOf(verify(bearer(oidc({}, google.privateKey, { kid: "other" }))))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const ps = signJws({ alg: "PS256", kid: KID }, googleClaims(), google.privateKey);
    expect(await reasonOf(verify(bearer(ps)))).toBe(SIGNATURE_FAILURES.invalidToken);
    const publicPem = google.publicKey.export({ format: "pem", type: "spki" }).toString();
    const forged = signJws({ alg: "HS256", kid: KID }, googleClaims(), Buffer.from(publicPem));
    expect(await reasonOf(verify(bearer(forged)))).toBe(SIGNATURE_FAILURES.invalidToken);
  });

  it("requires Authorization: Bearer", async () => {
    expect(await reasonOf(verify({}))).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(await reasonOf(verify({ authorization: oidc() }))).toBe(SIGNATURE_FAILURES.malformedHeader);
    expect(await reasonOf(verify({ authorization: "Bearer not-a-jwt" }))).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
  });

  it("fails closed without options", async () => {
    const withoutOptions = verifier.verify(requestOf(bearer(oidc()), BODY), {
      secrets: [],
      nowSeconds: NOW,
      toleranceSeconds: 300,
    });
    expect(await reasonOf(Promise.resolve(withoutOptions))).toBe(SIGNATURE_FAILURES.unusableSecret);
  });

  describe("with secrets: the push URL's verification token", () => {
    const secrets = ["token-old", "token-new"];

    it("reports which secret the URL's token matched", async () => {
      expect(await verify(bearer(oidc()), options, secrets, `${AUDIENCE}?token=token-new`)).toEqual({
        secretIndex: 1,
      });
      expect(await verify(bearer(oidc()), options, secrets, `${AUDIENCE}?a=1&token=token-old`)).toEqual({
        secretIndex: 0,
      });
    });

    it("rejects a missing, wrong, empty or repeated token, even with a valid OIDC token", async () => {
      expect(await reasonOf(verify(bearer(oidc()), options, secrets))).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(await reasonOf(verify(bearer(oidc()), options, secrets, AUDIENCE))).toBe(
        SIGNATURE_FAILURES.missingHeader,
      );
      expect(await reasonOf(verify(bearer(oidc()), options, secrets, `${AUDIENCE}?token=`))).toBe(
        SIGNATURE_FAILURES.missingHeader,
      );
      expect(
        await reasonOf(verify(bearer(oidc()), options, secrets, `${AUDIENCE}?token=token-new&token=x`)),
      ).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(await reasonOf(verify(bearer(oidc()), options, secrets, `${AUDIENCE}?token=token-ne`))).toBe(
        SIGNATURE_FAILURES.noMatchingSignature,
      );
    });

    it("still requires the OIDC token when the URL token matches", async () => {
      const url = `${AUDIENCE}?token=token-new`;
      expect(await reasonOf(verify({}, options, secrets, url))).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(await reasonOf(verify(bearer(oidc({ aud: "x" })), options, secrets, url))).toBe(
        SIGNATURE_FAILURES.invalidToken,
      );
    });
  });
});

describe("googlePubsubVerifier with a JWKS endpoint (real HTTP server on 127.0.0.1)", () => {
  let server: LocalJwksServer;
  beforeAll(async () => {
    server = await startJwksServer([publicJwk(google.privateKey, KID, "RS256")]);
  });
  afterAll(async () => {
    await server.close();
  });

  const verifyWith = (verifier: ProviderVerifier<GooglePubsubOptions>, token: string) =>
    Promise.resolve(
      verifier.verify(requestOf({ authorization: `Bearer ${token}` }, BODY), {
        secrets: [],
        nowSeconds: NOW,
        toleranceSeconds: 300,
        options: { audience: AUDIENCE, serviceAccountEmail: EMAIL, jwksUrl: server.url },
      }),
    );

  async function unavailable(promise: Promise<unknown>): Promise<void> {
    const error = await promise.then(
      () => new Error("expected VerificationUnavailableError"),
      (e: unknown) => e,
    );
    if (!(error instanceof VerificationUnavailableError)) throw error;
  }

  it("verifies through the process-wide cache", async () => {
    server.mode = "serve";
    expect(await verifyWith(googlePubsubVerifier, oidc())).toEqual({ secretIndex: 0 });
  });

  it("serves cached keys while Google's endpoint is down or slow, and asks for a retry for unknown kids", async () => {
    server.mode = "serve";
    const verifier = createGooglePubsubVerifier({
      jwks: createJwksKeys({
        fetch: unguardedJwksFetch,
        timeoutMs: 250,
        cooldownMs: 0,
        maxAgeMs: 0,
        failureBackoffMs: 0,
      }),
    });
    expect(await verifyWith(verifier, oidc())).toEqual({ secretIndex: 0 });
    for (const mode of ["error", "slow"] as const) {
      server.mode = mode;
      expect(await verifyWith(verifier, oidc())).toEqual({ secretIndex: 0 });
      await unavailable(verifyWith(verifier, oidc({}, google.privateKey, { kid: "rotated" })));
      expect(await reasonOf(verifyWith(verifier, oidc({ aud: "x" })))).toBe(SIGNATURE_FAILURES.invalidToken);
    }
    server.mode = "serve";
  });

  it("answers VerificationUnavailableError when the keys were never fetched and the endpoint is closed", async () => {
    const closed = await startJwksServer([]);
    await closed.close();
    const verifier = createGooglePubsubVerifier({
      jwks: createJwksKeys({ fetch: unguardedJwksFetch, timeoutMs: 250 }),
    });
    const error = await Promise.resolve(
      verifier.verify(requestOf({ authorization: `Bearer ${oidc()}` }, BODY), {
        secrets: [],
        nowSeconds: NOW,
        toleranceSeconds: 300,
        options: { audience: AUDIENCE, serviceAccountEmail: EMAIL, jwksUrl: closed.url },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VerificationUnavailableError);
  });
});

describe("googlePubsubVerifier.identify", () => {
  const identify = (body: unknown, headers: Record<string, string> = {}) =>
    googlePubsubVerifier.identify(requestOf(headers, ""), () => body);

  it("reads message.messageId and the eventType or type attribute", () => {
    expect(identify(JSON.parse(BODY))).toEqual({
      deliveryId: "1234567890",
      deliveryIdSigned: false,
      eventType: "OBJECT_FINALIZE",
    });
    expect(identify({ message: { messageId: "9", attributes: { type: "user.created" } } })).toEqual({
      deliveryId: "9",
      deliveryIdSigned: false,
      eventType: "user.created",
    });
    expect(identify({ message: { messageId: "9", attributes: { eventType: 3 } } })).toEqual({
      deliveryId: "9",
      deliveryIdSigned: false,
      eventType: "pubsub.message",
    });
    expect(identify({ message: { message_id: "10" } })).toEqual({
      deliveryId: "10",
      deliveryIdSigned: false,
      eventType: "pubsub.message",
    });
  });

  it("reads the message id header of an unwrapped push", () => {
    expect(identify(undefined, { "x-goog-pubsub-message-id": "77" })).toEqual({
      deliveryId: "77",
      deliveryIdSigned: false,
      eventType: "pubsub.message",
    });
  });

  it("throws InvalidRequestError when the message id is missing", () => {
    for (const body of [undefined, {}, { message: {} }, { message: { messageId: "" } }, [], "text"]) {
      expect(() => identify(body)).toThrow(InvalidRequestError);
    }
  });

  it("declares a 7-day retry horizon", () => {
    expect(googlePubsubVerifier.retryHorizonSeconds).toBe(7 * 86_400);
  });
});

// Properties on generated requests (see support/async-verifier-properties.ts).

// Google's key set: every pool key, in memory, under its own kid. RSA keys cannot be derived from a seed.
const rsaPool = Array.from({ length: 3 }, () => generateKeyPairSync("rsa", { modulusLength: 2048 }));
const indexArb = (length: number) => fc.nat(length - 1);
const googleKeys = createLocalJWKSet({
  keys: rsaPool.map((pair, i) => publicJwk(pair.privateKey, `g-${i}`, "RS256")),
});
const pubsubOptions: GooglePubsubOptions = { audience: AUDIENCE, serviceAccountEmail: EMAIL };
const pubsubVerifier = createGooglePubsubVerifier({ jwks: { resolverFor: () => googleKeys } });

describeAsyncVerifierProperties({
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
});
