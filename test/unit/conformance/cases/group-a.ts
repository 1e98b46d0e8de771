import type { ConformanceCase } from "../contract.js";

/** Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear, Intercom. */
export const groupACases: ConformanceCase[] = [];
