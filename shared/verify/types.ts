import type { ProviderName } from "../config/schema.js";

/** What a verifier sees of an inbound HTTP request. */
export interface InboundRequest {
  /** Header names lower-cased; repeated headers joined with ", " as API Gateway does. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received (already base64-decoded when the event said so). */
  readonly rawBody: Buffer;
  /** The public URL the sender signed, for schemes that sign it (Twilio, Square). */
  readonly url?: string;
  readonly method?: string;
}

export interface VerifyContext {
  /** Resolved secret values, oldest first or in any order; rotation = more than one. */
  readonly secrets: readonly string[];
  /** Current time in whole seconds since the epoch (injected; tests fix it). */
  readonly nowSeconds: number;
  /** Accepted distance between a signed timestamp and now, in both directions. */
  readonly toleranceSeconds: number;
}

export interface VerifiedSignature {
  /** Index into `VerifyContext.secrets` of the secret that matched (rotation telemetry). */
  readonly secretIndex: number;
}

/** Where the provider puts the event's identity. Read only after the signature verified. */
export interface EventIdentity {
  /** The provider's own delivery/event id: the dedupe key. Absent when the request carries none. */
  readonly deliveryId?: string;
  /** The event type, used for subscription filters and as the CloudEvents `type`. */
  readonly eventType: string;
}

export interface ProviderVerifier {
  readonly provider: ProviderName;
  /** How long the provider keeps retrying one event: the default dedupe window, in seconds. */
  readonly retryHorizonSeconds: number;
  /**
   * Verifies the signature over the exact raw bytes, in constant time, accepting any configured
   * secret. Throws `SignatureVerificationError` (and nothing else) when the request is not authentic.
   */
  verify(request: InboundRequest, context: VerifyContext): VerifiedSignature;
  /** Reads the delivery id and event type. `json` parses the body once, lazily (undefined if not JSON). */
  identify(request: InboundRequest, json: () => unknown): EventIdentity;
}
