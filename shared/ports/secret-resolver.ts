import type { SecretRef } from "../config/schema.js";

/** Turns a configured secret (inline, or a Secrets Manager reference) into its value. */
export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
}
