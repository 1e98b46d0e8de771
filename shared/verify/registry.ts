import type { ProviderName } from "./catalog.js";
import { basicVerifier } from "./providers/basic.js";
import { githubVerifier } from "./providers/github.js";
import { createGooglePubsubVerifier, googlePubsubVerifier } from "./providers/google-pubsub.js";
import { hmacVerifier } from "./providers/hmac.js";
import { hubspotVerifier } from "./providers/hubspot.js";
import { intercomVerifier } from "./providers/intercom.js";
import { createJwtVerifier, jwtVerifier } from "./providers/jwt.js";
import { lemonsqueezyVerifier } from "./providers/lemonsqueezy.js";
import { linearVerifier } from "./providers/linear.js";
import { mailgunVerifier } from "./providers/mailgun.js";
import { paddleVerifier } from "./providers/paddle.js";
import { pagerdutyVerifier } from "./providers/pagerduty.js";
import { sendgridVerifier } from "./providers/sendgrid.js";
import { shopifyVerifier } from "./providers/shopify.js";
import { slackVerifier } from "./providers/slack.js";
import { squareVerifier } from "./providers/square.js";
import { standardWebhooksVerifier, svixVerifier } from "./providers/standard-webhooks.js";
import { stripeVerifier } from "./providers/stripe.js";
import { tokenVerifier } from "./providers/token.js";
import { twilioVerifier } from "./providers/twilio.js";
import { twitchVerifier } from "./providers/twitch.js";
import { zoomVerifier } from "./providers/zoom.js";
import type { JwksKeys } from "./schemes/jwks.js";
import type { ProviderVerifier } from "./types.js";

/**
 * One verifier per provider of `PROVIDERS`, in the catalog's order; the type makes a missing one a
 * compile error.
 */
export const verifiers = {
  "standard-webhooks": standardWebhooksVerifier,
  svix: svixVerifier,
  stripe: stripeVerifier,
  github: githubVerifier,
  slack: slackVerifier,
  shopify: shopifyVerifier,
  twilio: twilioVerifier,
  square: squareVerifier,
  paddle: paddleVerifier,
  pagerduty: pagerdutyVerifier,
  linear: linearVerifier,
  intercom: intercomVerifier,
  hubspot: hubspotVerifier,
  zoom: zoomVerifier,
  twitch: twitchVerifier,
  mailgun: mailgunVerifier,
  sendgrid: sendgridVerifier,
  lemonsqueezy: lemonsqueezyVerifier,
  jwt: jwtVerifier,
  "google-pubsub": googlePubsubVerifier,
  hmac: hmacVerifier,
  token: tokenVerifier,
  basic: basicVerifier,
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
