import type { ProviderName } from "../config/schema.js";
import { intercomVerifier } from "./providers/intercom.js";
import { linearVerifier } from "./providers/linear.js";
import { paddleVerifier } from "./providers/paddle.js";
import { pagerdutyVerifier } from "./providers/pagerduty.js";
import { shopifyVerifier } from "./providers/shopify.js";
import { slackVerifier } from "./providers/slack.js";
import { squareVerifier } from "./providers/square.js";
import { twilioVerifier } from "./providers/twilio.js";
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
