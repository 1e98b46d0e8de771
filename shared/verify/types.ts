import type { ProviderName } from "./catalog.js";

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

/** What every identity carries, whatever its delivery id. */
interface IdentityBase {
  /** The event type, used for subscription filters and as the CloudEvents `type`. */
  readonly eventType: string;
  /** When set, answer with this and enqueue nothing (the request is a verification handshake). */
  readonly reply?: ChallengeReply;
  /**
   * What the signature covers, when that is not the raw body byte for byte (Twilio signs its form
   * parameters decoded and sorted, so reordering or re-encoding them keeps the signature valid). When
   * the dedupe key is a content hash (see `deliveryIdSigned`), it is the hash of this, else of the body.
   */
  readonly signedContent?: string;
}

/**
 * Where the provider puts the event's identity. Read only after the signature verified. A delivery id
 * always comes with `deliveryIdSigned`, which decides the dedupe key (see docs/design.md, "Dedupe keys"):
 * - `true`: the signature covers the id (Standard Webhooks' `webhook-id`, Stripe's body `id`), so a
 *   replay cannot change it: the id is the key;
 * - `false`: the id travels outside the signed content (GitHub's `X-GitHub-Delivery` header), so one
 *   signed request could be re-sent under fresh ids: the key is the SHA-256 of the signed content
 *   instead, which a replay cannot change (unless the verifier signs no content at all, see
 *   `ProviderVerifier.signsContent`). The id is still kept on the event as metadata.
 */
export type EventIdentity = IdentityBase &
  (
    | { readonly deliveryId?: undefined; readonly deliveryIdSigned?: undefined }
    | {
        /** The provider's own delivery/event id. */
        readonly deliveryId: string;
        /** Whether the signature covers `deliveryId`. */
        readonly deliveryIdSigned: boolean;
      }
  );

export interface IdentifyContext<Options = unknown> {
  /** The secret that verified the request (Zoom's CRC reply is an HMAC with it). */
  readonly secret: string | undefined;
  readonly options?: Options;
}

export interface ProviderVerifier<Options = unknown> {
  readonly provider: ProviderName;
  /** How long the provider keeps retrying one event: the default dedupe window, in seconds. */
  readonly retryHorizonSeconds: number;
  /**
   * Whether the credential covers any content of the request (body, or the headers it signs). False when
   * only a bearer credential is checked (static token, HTTP Basic, Pub/Sub's OIDC token): hashing
   * unsigned content would stop no replay and could split a provider's retries, so an unsigned delivery
   * id stays the dedupe key and replays are bounded only by the credential.
   */
  readonly signsContent: boolean;
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
