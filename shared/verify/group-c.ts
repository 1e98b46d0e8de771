import type { ProviderName } from "../config/schema.js";
import type { ProviderVerifier } from "./types.js";

/** JWT, Google Pub/Sub push, SendGrid. */
export const groupCVerifiers = {} satisfies Partial<Record<ProviderName, ProviderVerifier>>;
