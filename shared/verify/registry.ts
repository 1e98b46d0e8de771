import type { ProviderName } from "../config/schema.js";
import { groupAVerifiers } from "./group-a.js";
import { groupBVerifiers } from "./group-b.js";
import { groupCVerifiers } from "./group-c.js";
import { githubVerifier } from "./providers/github.js";
import { createGooglePubsubVerifier } from "./providers/google-pubsub.js";
import { createJwtVerifier } from "./providers/jwt.js";
import { standardWebhooksVerifier, svixVerifier } from "./providers/standard-webhooks.js";
import { stripeVerifier } from "./providers/stripe.js";
import type { JwksKeys } from "./schemes/jwks.js";
import type { ProviderVerifier } from "./types.js";

/** One verifier per provider of `PROVIDERS`; the type makes a missing one a compile error. */
export const verifiers = {
  "standard-webhooks": standardWebhooksVerifier,
  svix: svixVerifier,
  github: githubVerifier,
  stripe: stripeVerifier,
  ...groupAVerifiers,
  ...groupBVerifiers,
  ...groupCVerifiers,
} satisfies Record<ProviderName, ProviderVerifier>;

export type VerifierFor = (provider: ProviderName) => ProviderVerifier;

function lookup(table: Readonly<Record<ProviderName, ProviderVerifier>>): VerifierFor {
  return (provider) => {
    const verifier: ProviderVerifier | undefined = Object.hasOwn(table, provider)
      ? table[provider]
      : undefined;
    if (!verifier) throw new TypeError(`No verifier for provider '${String(provider)}'.`);
    return verifier;
  };
}

/**
 * The verifiers with remote key sets (`jwt`, `google-pubsub`) fetching through `jwks`: a function
 * passes a cache over the SSRF-guarded fetch, so no key set URL bypasses the guard.
 */
export function createVerifierFor(deps: { readonly jwks: JwksKeys }): VerifierFor {
  return lookup({
    ...verifiers,
    jwt: createJwtVerifier({ jwks: deps.jwks }),
    "google-pubsub": createGooglePubsubVerifier({ jwks: deps.jwks }),
  });
}

/** The default verifiers (key sets over `sharedJwksKeys`, unguarded): tools and tests. */
export const verifierFor: VerifierFor = lookup(verifiers);
