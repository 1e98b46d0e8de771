import type { ProviderName } from "../config/schema.js";
import { basicVerifier } from "./providers/basic.js";
import { hmacVerifier } from "./providers/hmac.js";
import { hubspotVerifier } from "./providers/hubspot.js";
import { lemonsqueezyVerifier } from "./providers/lemonsqueezy.js";
import { mailgunVerifier } from "./providers/mailgun.js";
import { tokenVerifier } from "./providers/token.js";
import { twitchVerifier } from "./providers/twitch.js";
import { zoomVerifier } from "./providers/zoom.js";
import type { ProviderVerifier } from "./types.js";

/** HubSpot, Zoom, Twitch, Mailgun, Lemon Squeezy, generic HMAC, token, basic. */
export const groupBVerifiers = {
  hubspot: hubspotVerifier,
  zoom: zoomVerifier,
  twitch: twitchVerifier,
  mailgun: mailgunVerifier,
  lemonsqueezy: lemonsqueezyVerifier,
  hmac: hmacVerifier,
  token: tokenVerifier,
  basic: basicVerifier,
} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
