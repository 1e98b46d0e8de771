import { createHash } from "node:crypto";
import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { type JwtOptions, RETRY_HORIZON_SECONDS } from "../catalog.js";
import { jsonStringAt } from "../parsing/json.js";
import { type JwksKeys, sharedJwksKeys } from "../schemes/jwks.js";
import {
  CLOCK_SKEW_SECONDS,
  claimText,
  readToken,
  verificationFailure,
  verifyWithKeySet,
} from "../schemes/jwt-core.js";
import { isHmacAlgorithm, jwtKey, keyFits } from "../schemes/jwt-keys.js";
import { requireOptions } from "../schemes/secrets.js";
import { decodeSignature, digestsEqual } from "../schemes/signature-encoding.js";
import type { InboundRequest, ProviderVerifier, VerifiedSignature } from "../types.js";

/**
 * Generic JWT webhooks (Plaid's `Plaid-Verification` among them): a compact JWS in a header (default
 * `Authorization: Bearer …`), verified with jose against either a remote key set (`options.jwksUrl`)
 * or the source's `secrets` as static keys (see `schemes/jwt-keys.ts`; rotation = several, the one that
 * verified is reported). The accepted algorithms are pinned per source, `none` never verifies, and
 * HMAC algorithms only ever meet HMAC secrets.
 *
 * Claims: `iss`/`aud` when configured; `exp`/`nbf` with 30 s of skew against the injected clock; `iat`
 * no older than `maxAgeSeconds` when set. A token must be bounded in time: without `maxAgeSeconds`, it
 * must carry `exp` (a token with neither could be replayed forever). With `bodyHashClaim`, the token
 * covers the body: the claim must be the hex SHA-256 of the exact bytes received (Plaid).
 */

const DEFAULT_HEADER = "authorization";
const DEFAULT_ID_CLAIM = "jti";

/** Verified claims, from `verify` to `identify` of the same request. */
const verifiedPayloads = new WeakMap<InboundRequest, JWTPayload>();

function claimOptions(options: JwtOptions, nowSeconds: number): JWTVerifyOptions {
  return {
    currentDate: new Date(nowSeconds * 1000),
    clockTolerance: CLOCK_SKEW_SECONDS,
    requiredClaims: options.maxAgeSeconds === undefined ? ["exp"] : [],
    ...(options.maxAgeSeconds === undefined ? {} : { maxTokenAge: options.maxAgeSeconds }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
}

async function verifyWithStaticKeys(
  token: string,
  secrets: readonly string[],
  algorithms: readonly string[],
  claims: JWTVerifyOptions,
): Promise<{ payload: JWTPayload; secretIndex: number }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.malformedHeader,
      "jwt: the token's header is not JSON",
    );
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !algorithms.includes(alg)) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.invalidToken,
      `jwt: the token's alg ${JSON.stringify(String(alg).slice(0, 32))} is not among the pinned ${algorithms.join(", ")}`,
    );
  }
  const kid = typeof header.kid === "string" ? header.kid : undefined;
  let usable = 0;
  let tried = 0;
  for (const [secretIndex, secret] of secrets.entries()) {
    const key = jwtKey(secret);
    if (key.kind === "unusable") {
      continue;
    }
    usable += 1;
    if (!keyFits(key, alg) || (kid !== undefined && key.kid !== undefined && key.kid !== kid)) {
      continue;
    }
    tried += 1;
    try {
      const { payload } = await jwtVerify(token, key.key, { ...claims, algorithms: [alg] });
      return { payload, secretIndex };
    } catch (error) {
      // A claim failure means this key verified the signature: that is the answer. A TypeError is
      // jose refusing this key (an RSA key under 2048 bits): try the next one.
      if (!(error instanceof errors.JWSSignatureVerificationFailed || error instanceof TypeError)) {
        throw error;
      }
    }
  }
  if (usable === 0) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.unusableSecret,
      "jwt: no configured secret is a usable key (PEM, JWK, or an HMAC secret)",
    );
  }
  throw new SignatureVerificationError(
    SIGNATURE_FAILURES.noMatchingSignature,
    tried === 0
      ? `jwt: no configured key can verify an ${alg} token${kid === undefined ? "" : ` with kid ${JSON.stringify(kid.slice(0, 64))}`}`
      : `jwt: the token matches none of the ${tried} configured key(s) for ${alg}`,
  );
}

function checkBodyHash(payload: JWTPayload, claim: string, rawBody: Buffer): void {
  const value = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
  if (typeof value !== "string") {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.invalidToken,
      `jwt: the token has no '${claim}' body hash`,
    );
  }
  const candidate = decodeSignature(value, "hex");
  if (candidate === undefined || !digestsEqual(createHash("sha256").update(rawBody).digest(), candidate)) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.noMatchingSignature,
      `jwt: claim '${claim}' is not the SHA-256 of the body received`,
    );
  }
}

/** Event type from the body: `type`, else Plaid's `webhook_type.webhook_code`. */
function bodyEventType(body: unknown): string | undefined {
  const type = jsonStringAt(body, "type");
  if (type !== undefined) {
    return type;
  }
  const webhookType = jsonStringAt(body, "webhook_type");
  const webhookCode = jsonStringAt(body, "webhook_code");
  if (webhookType === undefined) {
    return undefined;
  }
  return webhookCode === undefined ? webhookType : `${webhookType}.${webhookCode}`;
}

export interface JwtVerifierDeps {
  /** Remote key sets (default: the process-wide cache). */
  readonly jwks?: JwksKeys;
}

export function createJwtVerifier(deps: JwtVerifierDeps = {}): ProviderVerifier<JwtOptions> {
  const jwks = deps.jwks ?? sharedJwksKeys;
  return {
    provider: "jwt",
    retryHorizonSeconds: RETRY_HORIZON_SECONDS.jwt,
    signsContent: true,

    async verify(request, context): Promise<VerifiedSignature> {
      try {
        const options = requireOptions("jwt", context.options, "algorithms are required");
        const token = readToken(
          request.headers,
          (options.header ?? DEFAULT_HEADER).toLowerCase(),
          "optional",
        );
        const claims = claimOptions(options, context.nowSeconds);
        let verified: { payload: JWTPayload; secretIndex: number };
        if (options.jwksUrl === undefined) {
          verified = await verifyWithStaticKeys(token, context.secrets, options.algorithms, claims);
        } else {
          // A key set holds public keys: HS* cannot be verified from one.
          const algorithms = options.algorithms.filter((alg) => !isHmacAlgorithm(alg));
          if (algorithms.length === 0) {
            throw new SignatureVerificationError(
              SIGNATURE_FAILURES.unusableSecret,
              "jwt: a jwksUrl needs at least one asymmetric algorithm pinned",
            );
          }
          const keys = jwks.resolverFor(options.jwksUrl);
          verified = {
            payload: await verifyWithKeySet(token, keys, { ...claims, algorithms }),
            secretIndex: 0,
          };
        }
        if (options.bodyHashClaim !== undefined) {
          checkBodyHash(verified.payload, options.bodyHashClaim, request.rawBody);
        }
        verifiedPayloads.set(request, verified.payload);
        return { secretIndex: verified.secretIndex };
      } catch (error) {
        throw verificationFailure("jwt", error);
      }
    },

    identify(request, json, context) {
      const options = context?.options;
      const payload = verifiedPayloads.get(request);
      const deliveryId = claimText(payload, options?.idClaim ?? DEFAULT_ID_CLAIM);
      const typeClaim = options?.typeClaim;
      const eventType =
        (typeClaim === undefined ? undefined : claimText(payload, typeClaim)) ??
        bodyEventType(json()) ??
        "jwt";
      // A claim of the verified token.
      return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
    },
  };
}

export const jwtVerifier: ProviderVerifier<JwtOptions> = createJwtVerifier();
