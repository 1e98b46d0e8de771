import type { ProviderName } from "../config/schema.js";
import { googlePubsubVerifier } from "./providers/google-pubsub.js";
import { jwtVerifier } from "./providers/jwt.js";
import { sendgridVerifier } from "./providers/sendgrid.js";
import type { ProviderVerifier } from "./types.js";

/** JWT, Google Pub/Sub push, SendGrid. */
export const groupCVerifiers = {
  jwt: jwtVerifier,
  "google-pubsub": googlePubsubVerifier,
  sendgrid: sendgridVerifier,
} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
