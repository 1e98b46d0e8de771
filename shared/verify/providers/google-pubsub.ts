import { createHash, timingSafeEqual } from "node:crypto";
import { InvalidRequestError, SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { type GooglePubsubOptions, RETRY_HORIZON_SECONDS } from "../catalog.js";
import { readHeader } from "../parsing/headers.js";
import { jsonObjectAt, jsonStringAt } from "../parsing/json.js";
import { type JwksKeys, sharedJwksKeys } from "../schemes/jwks.js";
import { CLOCK_SKEW_SECONDS, readToken, verificationFailure, verifyWithKeySet } from "../schemes/jwt-core.js";
import { requireOptions } from "../schemes/secrets.js";
import type { InboundRequest, ProviderVerifier, VerifiedSignature } from "../types.js";

/**
 * Google Cloud Pub/Sub push with authentication: `Authorization: Bearer <OIDC ID token>` that Google
 * signs (RS256) for the subscription's service account. Verified against Google's key set (cached, see
 * `schemes/jwks.ts`): `iss` is Google, `aud` the subscription's configured audience, `email` the configured
 * service account with `email_verified: true`, `exp` not past (30 s skew).
 *
 * The token does NOT cover the body: it proves the request comes from Pub/Sub for this subscription,
 * and one token can be replayed with another body until it expires (about an hour). Dedupe uses
 * `message.messageId`.
 *
 * Optional second factor: when the source has `secrets`, the push endpoint URL must carry one of them
 * as its `token` query parameter (the verification token of Google's push samples), compared in
 * constant time; `secretIndex` is the one that matched. Without secrets nothing but the OIDC token is
 * checked and `secretIndex` is 0.
 */

export const GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v3/certs";
const GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"];
const AUTHORIZATION = "authorization";
const URL_TOKEN_PARAMETER = "token";
/** Unwrapped push with "write metadata" puts the message id in this header. */
const MESSAGE_ID_HEADER = "x-goog-pubsub-message-id";

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Index of the secret given as the URL's `token` parameter; throws when none matches. */
function matchUrlToken(url: string | undefined, secrets: readonly string[]): number {
  let values: string[] = [];
  try {
    values = url === undefined ? [] : new URL(url).searchParams.getAll(URL_TOKEN_PARAMETER);
  } catch {
    values = [];
  }
  const value = values[0];
  if (values.length !== 1 || value === undefined || value.length === 0) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.missingHeader,
      `google-pubsub: the push URL carries no single '${URL_TOKEN_PARAMETER}' query parameter`,
    );
  }
  // Equal-length digests: the comparison leaks neither content nor length.
  const candidate = sha256(value);
  for (const [secretIndex, secret] of secrets.entries()) {
    if (secret.length > 0 && timingSafeEqual(sha256(secret), candidate)) {
      return secretIndex;
    }
  }
  throw new SignatureVerificationError(
    SIGNATURE_FAILURES.noMatchingSignature,
    `google-pubsub: the push URL's '${URL_TOKEN_PARAMETER}' matches no configured secret`,
  );
}

export interface GooglePubsubVerifierDeps {
  /** Remote key sets (default: the process-wide cache). */
  readonly jwks?: JwksKeys;
}

export function createGooglePubsubVerifier(
  deps: GooglePubsubVerifierDeps = {},
): ProviderVerifier<GooglePubsubOptions> {
  const jwks = deps.jwks ?? sharedJwksKeys;
  return {
    provider: "google-pubsub",
    retryHorizonSeconds: RETRY_HORIZON_SECONDS["google-pubsub"],
    signsContent: false,

    async verify(request: InboundRequest, context): Promise<VerifiedSignature> {
      try {
        const options = requireOptions(
          "google-pubsub",
          context.options,
          "audience and serviceAccountEmail are required",
        );
        const token = readToken(request.headers, AUTHORIZATION, "required");
        const secretIndex = context.secrets.length === 0 ? 0 : matchUrlToken(request.url, context.secrets);
        const payload = await verifyWithKeySet(token, jwks.resolverFor(options.jwksUrl ?? GOOGLE_CERTS_URL), {
          algorithms: ["RS256"],
          issuer: GOOGLE_ISSUERS,
          audience: options.audience,
          currentDate: new Date(context.nowSeconds * 1000),
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ["exp", "email"],
        });
        if (payload.email !== options.serviceAccountEmail) {
          throw new SignatureVerificationError(
            SIGNATURE_FAILURES.invalidToken,
            "google-pubsub: the token's 'email' is not the configured service account",
          );
        }
        if (payload.email_verified !== true) {
          throw new SignatureVerificationError(
            SIGNATURE_FAILURES.invalidToken,
            "google-pubsub: the token's 'email_verified' is not true",
          );
        }
        return { secretIndex };
      } catch (error) {
        throw verificationFailure("google-pubsub", error);
      }
    },

    identify(request, json) {
      const body = json();
      const deliveryId =
        jsonStringAt(body, "message", "messageId") ??
        jsonStringAt(body, "message", "message_id") ??
        readHeader(request.headers, MESSAGE_ID_HEADER);
      if (deliveryId === undefined) {
        throw new InvalidRequestError(
          "A Pub/Sub push body carries message.messageId (or, unwrapped, the x-goog-pubsub-message-id header).",
        );
      }
      const attributes = jsonObjectAt(body, "message", "attributes");
      const eventType =
        jsonStringAt(attributes, "eventType") ?? jsonStringAt(attributes, "type") ?? "pubsub.message";
      // The OIDC token covers neither the body nor a header: see signsContent.
      return { deliveryId, deliveryIdSigned: false, eventType };
    },
  };
}

export const googlePubsubVerifier: ProviderVerifier<GooglePubsubOptions> = createGooglePubsubVerifier();
