import type { ProviderName } from "../config/schema.js";
import { githubVerifier } from "./github.js";
import { standardWebhooksVerifier, svixVerifier } from "./standard-webhooks.js";
import { stripeVerifier } from "./stripe.js";
import type { ProviderVerifier } from "./types.js";

/** One verifier per provider of `PROVIDERS`; the type makes a missing one a compile error. */
export const verifiers: Record<ProviderName, ProviderVerifier> = {
  "standard-webhooks": standardWebhooksVerifier,
  svix: svixVerifier,
  github: githubVerifier,
  stripe: stripeVerifier,
};

export function verifierFor(provider: ProviderName): ProviderVerifier {
  if (!Object.hasOwn(verifiers, provider)) {
    throw new TypeError(`No verifier for provider '${String(provider)}'.`);
  }
  return verifiers[provider];
}
