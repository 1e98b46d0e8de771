import type { ConformanceCase } from "../contract.js";

/** HubSpot, Zoom, Twitch, Mailgun, Lemon Squeezy, generic HMAC, token, basic. */
export const groupBCases: ConformanceCase[] = [];
