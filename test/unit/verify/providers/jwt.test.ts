import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SIGNATURE_FAILURES,
  SignatureVerificationError,
  VerificationUnavailableError,
} from "../../../../shared/domain/errors.js";
import type { JwtOptions } from "../../../../shared/verify/catalog.js";
import { createJwtVerifier, jwtVerifier } from "../../../../shared/verify/providers/jwt.js";
import { createJwksKeys, unguardedJwksFetch } from "../../../../shared/verify/schemes/jwks.js";
import { parseJwtKey } from "../../../../shared/verify/schemes/jwt-keys.js";
import type { InboundRequest, ProviderVerifier, VerifiedSignature } from "../../../../shared/verify/types.js";
import { type LocalJwksServer, publicJwk, signJws, startJwksServer } from "../../../support/jws.js";
import {
  describeAsyncVerifierProperties,
  type Key,
  retimeJwt,
  type Scheme,
  SKEW,
  tamperJwtSignature,
} from "../support/async-verifier-properties.js";
import { seedArb } from "../support/property-kit.js";
import { ed25519KeyPair, flipBit, requestOf } from "../support/verify-test-kit.js";

const NOW = 1_700_000_000;
const BODY = JSON.stringify({ type: "order.created", order: { id: 42 } });

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherEc = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ed = generateKeyPairSync("ed25519");

/** A self-signed X.509 certificate (openssl, P-256) and its key: for certificate-form secrets. */
const X509_KEY = createPrivateKey(`-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnfSlBknZmg7AZzyL
z1PmyJJpoCX/KXSJiivP9MTM/y6hRANCAARN9/QyJwnzv5CF/vGao+PzPjMngcgx
jkBGvUQ2RxXcD9M1Fjh6I03V2PhPS6BKbblJrCxY7NlV5j8+IdKZmyGK
-----END PRIVATE KEY-----`);
const X509_CERT = `-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgIUbq+6no/iWz5qcGEqm5iG5OOWAz8wCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRand0LXZlcmlmaWVyLXRlc3QwIBcNMjYxMTI0MTEzMTQ1WhgP
MjEyNjEwMzExMTMxNDVaMBwxGjAYBgNVBAMMEWp3dC12ZXJpZmllci10ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETff0MicJ87+Qhf7xmqPj8z4zJ4HIMY5A
Rr1ENkcV3A/TNRY4eiNN1dj4T0ugSm25SawsWOzZVeY/PiHSmZshiqNTMFEwHQYD
VR0OBBYEFNWuMPbcl55nQZEAnmtuE1mN6uPZMB8GA1UdIwQYMBaAFNWuMPbcl55n
QZEAnmtuE1mN6uPZMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIg
H70WiIARvA08fh5bOG7lYI8dVPWCz8T4XvT0z3ZAnwsCIBx1306AhZgnHQd/NzcD
PjVR80gGM0GzQufWs12aW+ox
-----END CERTIFICATE-----`;

const pem = (key: KeyObject) => key.export({ format: "pem", type: "spki" }).toString();
const jwkText = (key: KeyObject, kid: string, alg: string) => JSON.stringify(publicJwk(key, kid, alg));
const sha256Hex = (body: string | Buffer) => createHash("sha256").update(body).digest("hex");

const claims = (extra: Record<string, unknown> = {}) => ({ iat: NOW, exp: NOW + 300, ...extra });

function options(overrides: Partial<JwtOptions> = {}): JwtOptions {
  return { algorithms: ["RS256"], ...overrides };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function verifyWith(
  verifier: ProviderVerifier<JwtOptions>,
  request: InboundRequest,
  secrets: readonly string[],
  opts: JwtOptions,
  now = NOW,
): Promise<VerifiedSignature> {
  return Promise.resolve(
    verifier.verify(request, { secrets, nowSeconds: now, toleranceSeconds: 300, options: opts }),
  );
}

function verify(
  headers: Record<string, string>,
  secrets: readonly string[],
  opts: JwtOptions = options(),
  body: Buffer | string = BODY,
  now = NOW,
): Promise<VerifiedSignature> {
  return verifyWith(jwtVerifier, requestOf(headers, body), secrets, opts, now);
}

/** The SignatureVerificationError `promise` rejects with; anything else fails the test. */
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

const rs256 = (payload: Record<string, unknown> = claims(), header: Record<string, unknown> = {}) =>
  signJws({ alg: "RS256", typ: "JWT", ...header }, payload, rsa.privateKey);

describe("jwtVerifier.verify with static keys", () => {
  it("accepts tokens under each key form: PEM SPKI, X.509 certificate, base64 SPKI, JWK, HMAC secret", async () => {
    expect(await verify(bearer(rs256()), [pem(rsa.publicKey)])).toEqual({ secretIndex: 0 });
    const es = signJws({ alg: "ES256" }, claims(), X509_KEY);
    expect(await verify(bearer(es), [X509_CERT], options({ algorithms: ["ES256"] }))).toEqual({
      secretIndex: 0,
    });
    const spki = ec.publicKey.export({ format: "der", type: "spki" }).toString("base64");
    const es2 = signJws({ alg: "ES256" }, claims(), ec.privateKey);
    expect(await verify(bearer(es2), [spki], options({ algorithms: ["ES256"] }))).toEqual({ secretIndex: 0 });
    const eddsa = signJws({ alg: "EdDSA", kid: "ed-1" }, claims(), ed.privateKey);
    expect(
      await verify(
        bearer(eddsa),
        [jwkText(ed.privateKey, "ed-1", "EdDSA")],
        options({ algorithms: ["EdDSA"] }),
      ),
    ).toEqual({ secretIndex: 0 });
    const ps = signJws({ alg: "PS256" }, claims(), rsa.privateKey);
    expect(await verify(bearer(ps), [pem(rsa.publicKey)], options({ algorithms: ["PS256"] }))).toEqual({
      secretIndex: 0,
    });
    const hs = signJws({ alg: "HS256" }, claims(), Buffer.from("shared-secret"));
    expect(await verify(bearer(hs), ["shared-secret"], options({ algorithms: ["HS256"] }))).toEqual({
      secretIndex: 0,
    });
    const oct = JSON.stringify({ kty: "oct", k: Buffer.from("oct-secret").toString("base64url") });
    const hsOct = signJws({ alg: "HS384" }, claims(), Buffer.from("oct-secret"));
    expect(await verify(bearer(hsOct), [oct], options({ algorithms: ["HS384"] }))).toEqual({
      secretIndex: 0,
    });
  });

  it("reports which rotated key verified, skipping keys of another kind or kid", async () => {
    const secrets = [
      "not a key, and no HS* pinned",
      pem(otherRsa.publicKey),
      jwkText(ec.publicKey, "ec-1", "ES256"),
      pem(rsa.publicKey),
    ];
    expect(await verify(bearer(rs256()), secrets, options({ algorithms: ["RS256", "ES256"] }))).toEqual({
      secretIndex: 3,
    });
    const es = signJws({ alg: "ES256", kid: "ec-1" }, claims(), ec.privateKey);
    expect(await verify(bearer(es), secrets, options({ algorithms: ["RS256", "ES256"] }))).toEqual({
      secretIndex: 2,
    });
  });

  it("strips a Bearer scheme in any case and reads another header when configured (Plaid)", async () => {
    expect(await verify({ authorization: `bearer ${rs256()}` }, [pem(rsa.publicKey)])).toEqual({
      secretIndex: 0,
    });
    const plaid = options({ header: "Plaid-Verification", algorithms: ["RS256"] });
    expect(await verify({ "plaid-verification": rs256() }, [pem(rsa.publicKey)], plaid)).toEqual({
      secretIndex: 0,
    });
    expect(await reasonOf(verify(bearer(rs256()), [pem(rsa.publicKey)], plaid))).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
  });

  it("rejects a missing, repeated or malformed token header", async () => {
    const key = [pem(rsa.publicKey)];
    expect(await reasonOf(verify({}, key))).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(await reasonOf(verify({ authorization: `Bearer ${rs256()}, Bearer ${rs256()}` }, key))).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
    for (const value of ["Bearer", "Bearer a.b", "Basic dXNlcjpwYXNz", `Bearer ${rs256()}.x`, "a.b.c d"]) {
      expect(await reasonOf(verify({ authorization: value }, key))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    expect(await reasonOf(verify({ authorization: `Bearer ${"a".repeat(20_000)}.b.c` }, key))).toBe(
      SIGNATURE_FAILURES.malformedHeader,
    );
    const notJson = `${Buffer.from("not json").toString("base64url")}.e30.c2ln`;
    expect(await reasonOf(verify(bearer(notJson), key))).toBe(SIGNATURE_FAILURES.malformedHeader);
  });

  it("never accepts alg none, with or without a signature part", async () => {
    const secrets = [pem(rsa.publicKey), "shared-secret"];
    const opts = options({ algorithms: ["RS256", "HS256"] });
    const unsigned = signJws({ alg: "none" }, claims(), undefined);
    expect(unsigned.endsWith(".")).toBe(true);
    expect(await reasonOf(verify(bearer(unsigned), secrets, opts))).toBe(SIGNATURE_FAILURES.malformedHeader);
    const withJunk = `${unsigned}c2lnbmF0dXJl`;
    expect(await reasonOf(verify(bearer(withJunk), secrets, opts))).toBe(SIGNATURE_FAILURES.invalidToken);
    for (const alg of ["None", "NONE", "nOnE"]) {
      const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const token = `${segment({ alg })}.${segment(claims())}.c2ln`;
      expect(await reasonOf(verify(bearer(token), secrets, opts))).toBe(SIGNATURE_FAILURES.invalidToken);
    }
  });

  it("rejects an algorithm that is not pinned, even when the key would verify it", async () => {
    const ps = signJws({ alg: "PS256" }, claims(), rsa.privateKey);
    expect(await reasonOf(verify(bearer(ps), [pem(rsa.publicKey)]))).toBe(SIGNATURE_FAILURES.invalidToken);
    const hs = signJws({ alg: "HS256" }, claims(), Buffer.from("shared-secret"));
    expect(await reasonOf(verify(bearer(hs), ["shared-secret"]))).toBe(SIGNATURE_FAILURES.invalidToken);
  });

  describe("HMAC algorithm against an asymmetric key (key confusion)", () => {
    const mixed = options({ algorithms: ["RS256", "ES256", "HS256"] });
    const forms: readonly (readonly [string, string, KeyObject])[] = [
      ["PEM SPKI", pem(rsa.publicKey), rsa.privateKey],
      ["PEM with surrounding whitespace", `\n  ${pem(rsa.publicKey)}\n`, rsa.privateKey],
      ["X.509 certificate", X509_CERT, X509_KEY],
      [
        "base64 DER SPKI",
        ec.publicKey.export({ format: "der", type: "spki" }).toString("base64"),
        ec.privateKey,
      ],
      ["public JWK", jwkText(rsa.publicKey, "rsa-1", "RS256"), rsa.privateKey],
    ];

    it("the forged token is real: jose accepts it if handed the key's text as an HMAC secret", async () => {
      const publicPem = pem(rsa.publicKey);
      const forged = signJws({ alg: "HS256" }, claims(), Buffer.from(publicPem));
      const { payload } = await jwtVerify(forged, Buffer.from(publicPem), {
        algorithms: ["HS256"],
        currentDate: new Date(NOW * 1000),
      });
      expect(payload.exp).toBe(NOW + 300);
    });

    it.each(forms)(
      "rejects an HS256 token signed with the %s text as HMAC secret",
      async (_, secret, privateKey) => {
        const forged = signJws({ alg: "HS256" }, claims(), Buffer.from(secret));
        const failure = await failureOf(verify(bearer(forged), [secret], mixed));
        expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
        expect(failure.logDetail).toContain("no configured key can verify an HS256 token");
        // The same key still verifies what its private half signed.
        const alg = privateKey.asymmetricKeyType === "ec" ? "ES256" : "RS256";
        const genuine = signJws({ alg, kid: "rsa-1" }, claims(), privateKey);
        expect(await verify(bearer(genuine), [secret], mixed)).toEqual({ secretIndex: 0 });
      },
    );

    it("classifies public key material as public, never as an HMAC secret", () => {
      for (const [, secret] of forms) {
        expect(parseJwtKey(secret).kind).toBe("public");
      }
      expect(parseJwtKey("-----BEGIN PUBLIC KEY-----\nbroken\n-----END PUBLIC KEY-----").kind).toBe(
        "unusable",
      );
      expect(parseJwtKey('{"kty":"RSA","n":"broken"').kind).toBe("unusable");
    });

    it("refuses private keys and private JWKs as configuration", async () => {
      const privatePem = rsa.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
      const privateJwk = JSON.stringify(rsa.privateKey.export({ format: "jwk" }));
      expect(parseJwtKey(privatePem).kind).toBe("unusable");
      expect(parseJwtKey(privateJwk).kind).toBe("unusable");
      expect(await reasonOf(verify(bearer(rs256()), [privatePem, privateJwk]))).toBe(
        SIGNATURE_FAILURES.unusableSecret,
      );
    });
  });

  it("rejects a wrong signature, a wrong key and a token signed for another kid", async () => {
    const token = rs256();
    const [head, payload, signature] = token.split(".");
    const tampered = `${head}.${payload}.${flipBit(Buffer.from(signature ?? "", "base64url"), 10).toString("base64url")}`;
    expect(await reasonOf(verify(bearer(tampered), [pem(rsa.publicKey)]))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(await reasonOf(verify(bearer(token), [pem(otherRsa.publicKey)]))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const secrets = [jwkText(ec.publicKey, "ec-1", "ES256")];
    const es = (kid?: string) =>
      signJws(kid === undefined ? { alg: "ES256" } : { alg: "ES256", kid }, claims(), ec.privateKey);
    const esOptions = options({ algorithms: ["ES256"] });
    expect(await reasonOf(verify(bearer(es("ec-2")), secrets, esOptions))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    // No kid: every key of the right type is tried.
    expect(await verify(bearer(es()), secrets, esOptions)).toEqual({ secretIndex: 0 });
    const otherSigned = signJws({ alg: "ES256" }, claims(), otherEc.privateKey);
    expect(await reasonOf(verify(bearer(otherSigned), secrets, esOptions))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a JWK whose alg differs from the token's", async () => {
    const secrets = [jwkText(rsa.publicKey, "rsa-1", "PS256")];
    const token = rs256(claims(), { kid: "rsa-1" });
    expect(await reasonOf(verify(bearer(token), secrets, options({ algorithms: ["RS256", "PS256"] })))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("reports unusable configuration: no secrets, none a key, or no options", async () => {
    expect(await reasonOf(verify(bearer(rs256()), []))).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(await reasonOf(verify(bearer(rs256()), ["", "{not json"]))).toBe(
      SIGNATURE_FAILURES.unusableSecret,
    );
    // Without options (the config schema requires them; the verifier still fails closed).
    const withoutOptions = jwtVerifier.verify(requestOf(bearer(rs256()), BODY), {
      secrets: [pem(rsa.publicKey)],
      nowSeconds: NOW,
      toleranceSeconds: 300,
    });
    expect(await reasonOf(Promise.resolve(withoutOptions))).toBe(SIGNATURE_FAILURES.unusableSecret);
  });
});

describe("jwtVerifier.verify claims", () => {
  const key = [pem(rsa.publicKey)];

  it("accepts exp and nbf within 30 s of skew and rejects them beyond", async () => {
    expect(await verify(bearer(rs256({ exp: NOW - 20 })), key)).toEqual({ secretIndex: 0 });
    expect(await reasonOf(verify(bearer(rs256({ exp: NOW - 40 })), key))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
    expect(await verify(bearer(rs256(claims({ nbf: NOW + 20 }))), key)).toEqual({ secretIndex: 0 });
    expect(await reasonOf(verify(bearer(rs256(claims({ nbf: NOW + 40 }))), key))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
  });

  it("uses the injected clock, not the wall clock", async () => {
    const token = rs256(claims());
    expect(await verify(bearer(token), key, options(), BODY, NOW + 250)).toEqual({ secretIndex: 0 });
    expect(await reasonOf(verify(bearer(token), key, options(), BODY, NOW + 400))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
  });

  it("requires exp unless maxAgeSeconds bounds iat", async () => {
    const noExp = rs256({ iat: NOW });
    const failure = await failureOf(verify(bearer(noExp), key));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.invalidToken);
    expect(failure.logDetail).toContain("'exp'");
    expect(await verify(bearer(noExp), key, options({ maxAgeSeconds: 300 }))).toEqual({ secretIndex: 0 });
  });

  it("rejects an iat older than maxAgeSeconds, in the future, or missing", async () => {
    const maxAge = options({ maxAgeSeconds: 300 });
    expect(await reasonOf(verify(bearer(rs256({ iat: NOW - 400 })), key, maxAge))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
    expect(await reasonOf(verify(bearer(rs256({ iat: NOW + 120 })), key, maxAge))).toBe(
      SIGNATURE_FAILURES.timestampOutOfWindow,
    );
    expect(await reasonOf(verify(bearer(rs256({ exp: NOW + 60 })), key, maxAge))).toBe(
      SIGNATURE_FAILURES.invalidToken,
    );
    expect(await verify(bearer(rs256({ iat: NOW - 290 })), key, maxAge)).toEqual({ secretIndex: 0 });
  });

  it("checks iss and aud when configured", async () => {
    const opts = options({ issuer: "https://issuer.test", audience: ["a", "b"] });
    expect(await verify(bearer(rs256(claims({ iss: "https://issuer.test", aud: "b" }))), key, opts)).toEqual({
      secretIndex: 0,
    });
    expect(
      await verify(bearer(rs256(claims({ iss: "https://issuer.test", aud: ["x", "a"] }))), key, opts),
    ).toEqual({ secretIndex: 0 });
    for (const bad of [
      { iss: "https://evil.test", aud: "a" },
      { iss: "https://issuer.test", aud: "c" },
      { aud: "a" },
      { iss: "https://issuer.test" },
    ]) {
      expect(await reasonOf(verify(bearer(rs256(claims(bad))), key, opts))).toBe(
        SIGNATURE_FAILURES.invalidToken,
      );
    }
  });

  describe("body hash claim (Plaid style)", () => {
    const plaidOptions = options({
      header: "plaid-verification",
      algorithms: ["ES256"],
      bodyHashClaim: "request_body_sha256",
      maxAgeSeconds: 300,
    });
    const plaidKey = [jwkText(ec.publicKey, "plaid-kid", "ES256")];
    const plaidBody = JSON.stringify({ webhook_type: "ITEM", webhook_code: "ERROR", item_id: "it_1" });
    const token = (hash: unknown) =>
      signJws({ alg: "ES256", kid: "plaid-kid" }, { iat: NOW, request_body_sha256: hash }, ec.privateKey);

    it("accepts the token when the claim is the body's hex SHA-256", async () => {
      const headers = { "plaid-verification": token(sha256Hex(plaidBody)) };
      expect(await verify(headers, plaidKey, plaidOptions, plaidBody)).toEqual({ secretIndex: 0 });
    });

    it("rejects a changed body, a missing claim and a non-canonical hash", async () => {
      const headers = { "plaid-verification": token(sha256Hex(plaidBody)) };
      expect(await reasonOf(verify(headers, plaidKey, plaidOptions, `${plaidBody} `))).toBe(
        SIGNATURE_FAILURES.noMatchingSignature,
      );
      expect(
        await reasonOf(verify(headers, plaidKey, plaidOptions, flipBit(Buffer.from(plaidBody), 5))),
      ).toBe(SIGNATURE_FAILURES.noMatchingSignature);
      for (const hash of [undefined, 42, sha256Hex(plaidBody).toUpperCase(), "", "zz"]) {
        const reason = await reasonOf(
          verify({ "plaid-verification": token(hash) }, plaidKey, plaidOptions, plaidBody),
        );
        expect([SIGNATURE_FAILURES.invalidToken, SIGNATURE_FAILURES.noMatchingSignature]).toContain(reason);
      }
    });
  });
});

describe("jwtVerifier.identify", () => {
  const key = [pem(rsa.publicKey)];

  async function identify(token: string, body: string, opts: JwtOptions = options()) {
    const request = requestOf(bearer(token), body);
    await verifyWith(jwtVerifier, request, key, opts);
    return jwtVerifier.identify(request, () => JSON.parse(body), { secret: key[0], options: opts });
  }

  it("reads the delivery id from jti and the type from the body", async () => {
    expect(await identify(rs256(claims({ jti: "evt_1" })), BODY)).toEqual({
      deliveryId: "evt_1",
      deliveryIdSigned: true,
      eventType: "order.created",
    });
  });

  it("reads idClaim and typeClaim when configured, falling back to the body", async () => {
    const opts = options({ idClaim: "webhook_id", typeClaim: "event" });
    expect(await identify(rs256(claims({ webhook_id: "wh_9", event: "user.deleted" })), BODY, opts)).toEqual({
      deliveryId: "wh_9",
      deliveryIdSigned: true,
      eventType: "user.deleted",
    });
    expect(await identify(rs256(claims({ webhook_id: 77 })), BODY, opts)).toEqual({
      deliveryId: "77",
      deliveryIdSigned: true,
      eventType: "order.created",
    });
  });

  it("reads Plaid's webhook_type.webhook_code, and defaults to jwt without a delivery id", async () => {
    const plaidBody = JSON.stringify({
      webhook_type: "TRANSACTIONS",
      webhook_code: "SYNC_UPDATES_AVAILABLE",
    });
    expect(await identify(rs256(), plaidBody)).toEqual({ eventType: "TRANSACTIONS.SYNC_UPDATES_AVAILABLE" });
    expect(await identify(rs256(), "[1,2]")).toEqual({ eventType: "jwt" });
  });

  it("reads nothing from a token that was not verified for this request", () => {
    const request = requestOf(bearer(rs256(claims({ jti: "evt_1" }))), BODY);
    expect(jwtVerifier.identify(request, () => JSON.parse(BODY))).toEqual({ eventType: "order.created" });
  });
});

describe("jwtVerifier with a remote JWKS (real HTTP server on 127.0.0.1)", () => {
  let server: LocalJwksServer;
  const KID = "k-2024";
  const token = (kid: string | undefined, key: KeyObject = rsa.privateKey, extra = {}) =>
    signJws(kid === undefined ? { alg: "RS256" } : { alg: "RS256", kid }, claims(extra), key);

  beforeAll(async () => {
    server = await startJwksServer([publicJwk(rsa.privateKey, KID, "RS256")]);
  });
  afterAll(async () => {
    await server.close();
  });

  /** A verifier with its own cache, fetching on every request (no max age, no cooldown, no backoff). */
  const eager = () =>
    createJwtVerifier({
      jwks: createJwksKeys({
        fetch: unguardedJwksFetch,
        timeoutMs: 300,
        cooldownMs: 0,
        maxAgeMs: 0,
        failureBackoffMs: 0,
      }),
    });
  const jwksOptions = () => options({ jwksUrl: server.url, algorithms: ["RS256", "ES256", "HS256"] });
  const run = (verifier: ProviderVerifier<JwtOptions>, jwt: string) =>
    verifyWith(verifier, requestOf(bearer(jwt), BODY), [], jwksOptions());

  async function unavailable(promise: Promise<unknown>): Promise<VerificationUnavailableError> {
    const error = await promise.then(
      () => new Error("expected VerificationUnavailableError, but verification succeeded"),
      (e: unknown) => e,
    );
    if (error instanceof VerificationUnavailableError) return error;
    throw error;
  }

  it("verifies with the key named by kid, fetching the set once while it is fresh", async () => {
    server.mode = "serve";
    const verifier = createJwtVerifier({ jwks: createJwksKeys({ fetch: unguardedJwksFetch }) });
    const before = server.requests;
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    expect(server.requests - before).toBe(1);
  });

  it("rejects an unknown kid as a bad signature while the set is fresh and cooling down", async () => {
    server.mode = "serve";
    const verifier = createJwtVerifier({ jwks: createJwksKeys({ fetch: unguardedJwksFetch }) });
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    expect(await reasonOf(run(verifier, token("k-unknown")))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(await reasonOf(run(verifier, token(KID, otherRsa.privateKey)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("never lets an HS256 token verify against a key set, whatever its key", async () => {
    server.mode = "serve";
    const jwk = JSON.stringify(publicJwk(rsa.privateKey, KID, "RS256"));
    for (const secret of [jwk, pem(rsa.publicKey)]) {
      const forged = signJws({ alg: "HS256", kid: KID }, claims(), Buffer.from(secret));
      expect(await reasonOf(run(eager(), forged))).toBe(SIGNATURE_FAILURES.invalidToken);
    }
  });

  it("tries every key of the right type for a token without kid", async () => {
    server.mode = "serve";
    server.keys = [
      publicJwk(otherRsa.privateKey, "k-other", "RS256"),
      publicJwk(rsa.privateKey, KID, "RS256"),
    ];
    try {
      expect(await run(eager(), token(undefined))).toEqual({ secretIndex: 0 });
      expect(await run(eager(), token(undefined, otherRsa.privateKey))).toEqual({ secretIndex: 0 });
      const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      expect(await reasonOf(run(eager(), token(undefined, stranger)))).toBe(
        SIGNATURE_FAILURES.noMatchingSignature,
      );
    } finally {
      server.keys = [publicJwk(rsa.privateKey, KID, "RS256")];
    }
  });

  it("keeps verifying with cached keys while the endpoint answers 500, and asks to retry for unknown kids", async () => {
    server.mode = "serve";
    const verifier = eager();
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    server.mode = "error";
    const before = server.requests;
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    expect(server.requests).toBeGreaterThan(before);
    const failure = await unavailable(run(verifier, token("k-rotated-in")));
    expect(failure.logDetail).toContain("no cached key matches");
    // A token that is not authentic is still a 401, outage or not.
    expect(await reasonOf(run(verifier, token(KID, otherRsa.privateKey)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    server.mode = "serve";
  });

  it("bounds the wait on a slow endpoint: cached keys verify, unknown kids get VerificationUnavailableError", async () => {
    server.mode = "serve";
    const verifier = eager();
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    server.mode = "slow";
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    await unavailable(run(verifier, token("k-rotated-in")));
    server.mode = "serve";
  });

  it("answers VerificationUnavailableError when the set was never fetched and the endpoint fails", async () => {
    server.mode = "error";
    await unavailable(run(eager(), token(KID)));
    server.mode = "slow";
    await unavailable(run(eager(), token(KID)));
    server.mode = "serve";
  });

  it("backs off after a failed fetch instead of waiting on the endpoint for every request", async () => {
    server.mode = "serve";
    const verifier = createJwtVerifier({
      jwks: createJwksKeys({
        fetch: unguardedJwksFetch,
        timeoutMs: 300,
        cooldownMs: 0,
        maxAgeMs: 0,
        failureBackoffMs: 60_000,
      }),
    });
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    server.mode = "error";
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    const afterFailure = server.requests;
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
    await unavailable(run(verifier, token("k-rotated-in")));
    expect(server.requests).toBe(afterFailure);
    server.mode = "serve";
  });

  it("picks up a key rotated in once the endpoint is back", async () => {
    server.mode = "error";
    const verifier = eager();
    await unavailable(run(verifier, token(KID)));
    server.mode = "serve";
    server.keys = [publicJwk(rsa.privateKey, KID, "RS256"), publicJwk(otherRsa.privateKey, "k-new", "RS256")];
    try {
      expect(await run(verifier, token("k-new", otherRsa.privateKey))).toEqual({ secretIndex: 0 });
    } finally {
      server.keys = [publicJwk(rsa.privateKey, KID, "RS256")];
    }
  });

  it("treats an answer that is not a key set as an outage, not as a bad token", async () => {
    const verifier = eager();
    server.mode = "garbage";
    await unavailable(run(verifier, token(KID)));
    server.mode = "serve";
    expect(await run(verifier, token(KID))).toEqual({ secretIndex: 0 });
  });

  it("needs an asymmetric algorithm pinned to use a key set", async () => {
    const failure = await failureOf(
      verifyWith(
        jwtVerifier,
        requestOf(bearer(token(KID)), BODY),
        [],
        options({ jwksUrl: server.url, algorithms: ["HS256"] }),
      ),
    );
    expect(failure.reason).toBe(SIGNATURE_FAILURES.unusableSecret);
  });

  it("the default verifier shares one cache per URL: cached keys verify after the endpoint is closed", async () => {
    const own = await startJwksServer([publicJwk(ec.privateKey, "ec-shared", "ES256")]);
    const opts = options({ jwksUrl: own.url, algorithms: ["ES256"] });
    const es = (kid: string) => signJws({ alg: "ES256", kid }, claims(), ec.privateKey);
    expect(await verifyWith(jwtVerifier, requestOf(bearer(es("ec-shared")), BODY), [], opts)).toEqual({
      secretIndex: 0,
    });
    await own.close();
    expect(await verifyWith(jwtVerifier, requestOf(bearer(es("ec-shared")), BODY), [], opts)).toEqual({
      secretIndex: 0,
    });
    // Within the 30 s cooldown after a successful fetch, an unknown kid is not refetched: a bad token.
    expect(await reasonOf(verifyWith(jwtVerifier, requestOf(bearer(es("ec-unknown")), BODY), [], opts))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });
});

// Properties on generated requests (see support/async-verifier-properties.ts).

/** JWT sources below bound `iat` to 300 s. */
const MAX_AGE = 300;

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

// Key pools: P-256 keys cannot be derived from a seed; pick from a few.
const ecPool = Array.from({ length: 4 }, () => generateKeyPairSync("ec", { namedCurve: "P-256" }));
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

describeAsyncVerifierProperties(
  jwtScheme(
    "jwt ES256 (Plaid: static JWK, request_body_sha256)",
    plaidOptions,
    indexArb(ecPool.length).map(plaidKeyOf),
  ),
);
describeAsyncVerifierProperties(
  jwtScheme("jwt HS256 (shared secret, body hash)", hsOptions, seedArb.map(hsKeyOf)),
);
describeAsyncVerifierProperties(jwtScheme("jwt EdDSA (PEM key, body hash)", edOptions, seedArb.map(edKeyOf)));
