import type { ProviderName } from "../config/schema.js";
import type { ProviderVerifier } from "./types.js";

/** Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear, Intercom. */
export const groupAVerifiers = {} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
