import type { ProviderName } from "../config/schema.js";
import { basicVerifier } from "./basic.js";
import { hmacVerifier } from "./hmac.js";
import { hubspotVerifier } from "./hubspot.js";
import { lemonsqueezyVerifier } from "./lemonsqueezy.js";
import { mailgunVerifier } from "./mailgun.js";
import { tokenVerifier } from "./token.js";
import { twitchVerifier } from "./twitch.js";
import type { ProviderVerifier } from "./types.js";
import { zoomVerifier } from "./zoom.js";

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
