import type { ProviderName } from "../config/schema.js";
import { intercomVerifier } from "./intercom.js";
import { linearVerifier } from "./linear.js";
import { paddleVerifier } from "./paddle.js";
import { pagerdutyVerifier } from "./pagerduty.js";
import { shopifyVerifier } from "./shopify.js";
import { slackVerifier } from "./slack.js";
import { squareVerifier } from "./square.js";
import { twilioVerifier } from "./twilio.js";
import type { ProviderVerifier } from "./types.js";

/** Slack, Shopify, Twilio, Square, Paddle, PagerDuty, Linear, Intercom. */
export const groupAVerifiers = {
  slack: slackVerifier,
  shopify: shopifyVerifier,
  twilio: twilioVerifier,
  square: squareVerifier,
  paddle: paddleVerifier,
  pagerduty: pagerdutyVerifier,
  linear: linearVerifier,
  intercom: intercomVerifier,
} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
