import type { ProviderName } from "../config/schema.js";

/** What a verifier sees of an inbound HTTP request. */
export interface InboundRequest {
  /** Header names lower-cased; repeated headers joined with ", " as API Gateway does. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes received (already base64-decoded when the event said so). */
  readonly rawBody: Buffer;
  /** The public URL the request was sent to, rebuilt from the request (`options.publicUrl` overrides it). */
  readonly url?: string;
  /** Upper-case HTTP method. */
  readonly method?: string;
}

export interface VerifyContext<Options = unknown> {
  /** Resolved secret values; rotation = more than one. Empty for providers that need none. */
  readonly secrets: readonly string[];
  /** Current time in whole seconds since the epoch (injected; tests fix it). */
  readonly nowSeconds: number;
  /** Accepted distance between a signed timestamp and now, in both directions. */
  readonly toleranceSeconds: number;
  /** `sources[].options`, validated (undefined when the source sets none). */
  readonly options?: Options;
  /** The body parsed as JSON, once per request and shared with `identify` (undefined if not JSON). */
  readonly json?: () => unknown;
}

export interface VerifiedSignature {
  /** Index into `VerifyContext.secrets` of the secret that matched (rotation telemetry); 0 when none is used. */
  readonly secretIndex: number;
}

/** An answer the provider expects instead of an ordinary acknowledgement (URL challenges, CRC checks). */
export interface ChallengeReply {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

/** Where the provider puts the event's identity. Read only after the signature verified. */
export interface EventIdentity {
  /** The provider's own delivery/event id: the dedupe key. Absent when the request carries none. */
  readonly deliveryId?: string;
  /** The event type, used for subscription filters and as the CloudEvents `type`. */
  readonly eventType: string;
  /** When set, answer with this and enqueue nothing (the request is a verification handshake). */
  readonly reply?: ChallengeReply;
}

export interface IdentifyContext<Options = unknown> {
  /** The secret that verified the request (Zoom's CRC reply is an HMAC with it). */
  readonly secret: string | undefined;
  readonly options?: Options;
}

export interface ProviderVerifier<Options = unknown> {
  readonly provider: ProviderName;
  /** How long the provider keeps retrying one event: the default dedupe window, in seconds. */
  readonly retryHorizonSeconds: number;
  /** Media types (without parameters) this provider sends; others get 415. Undefined accepts any. */
  readonly contentTypes?: readonly string[];
  /**
   * Verifies the authenticity of the request over the exact raw bytes, in constant time, accepting any
   * configured secret. Rejects with `SignatureVerificationError` when the request is not authentic, and
   * with `VerificationUnavailableError` only when a key source it depends on cannot be reached.
   */
  verify(
    request: InboundRequest,
    context: VerifyContext<Options>,
  ): VerifiedSignature | Promise<VerifiedSignature>;
  /**
   * Reads the delivery id and event type (and a challenge reply, if any). `json` parses the body once,
   * lazily (undefined if it is not JSON). May throw `InvalidRequestError` when a verified body lacks
   * what the provider always sends.
   */
  identify(request: InboundRequest, json: () => unknown, context?: IdentifyContext<Options>): EventIdentity;
}

/** A verifier that never waits (every HMAC and signature scheme with local keys). */
export interface SyncProviderVerifier<Options = unknown> extends ProviderVerifier<Options> {
  verify(request: InboundRequest, context: VerifyContext<Options>): VerifiedSignature;
}
