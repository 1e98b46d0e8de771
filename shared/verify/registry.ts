import type { ProviderName } from "../config/schema.js";
import { githubVerifier } from "./github.js";
import { groupAVerifiers } from "./group-a.js";
import { groupBVerifiers } from "./group-b.js";
import { groupCVerifiers } from "./group-c.js";
import { standardWebhooksVerifier, svixVerifier } from "./standard-webhooks.js";
import { stripeVerifier } from "./stripe.js";
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

export function verifierFor(provider: ProviderName): ProviderVerifier {
  const verifier: ProviderVerifier | undefined = Object.hasOwn(verifiers, provider)
    ? verifiers[provider]
    : undefined;
  if (!verifier) throw new TypeError(`No verifier for provider '${String(provider)}'.`);
  return verifier;
}
