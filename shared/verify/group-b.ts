import type { ProviderName } from "../config/schema.js";
import type { ProviderVerifier } from "./types.js";

/** HubSpot, Zoom, Twitch, Mailgun, Lemon Squeezy, generic HMAC, token, basic. */
export const groupBVerifiers = {} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
