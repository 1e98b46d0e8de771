import type { ProviderName } from "../../../shared/verify/catalog.js";

/**
 * The conformance suite's contract: one `ConformanceCase` per way a provider signs. A case builds an
 * authentic request with an implementation that shares no code with `shared/verify` — the provider's
 * published vector, its official SDK, or an independent signer written from the provider's docs — and
 * the suite checks that our verifier accepts it, reads the right identity, and rejects every tampering.
 * To reuse the suite for another verifier implementation, run these cases against it.
 */
export interface ConformanceRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Public URL the provider called (schemes that sign it use it). */
  readonly url: string;
  readonly method: string;
}

export type CaseOrigin = "published-vector" | "official-sdk" | "independent-signer";

export interface ConformanceCase {
  readonly provider: ProviderName;
  readonly name: string;
  readonly origin: CaseOrigin;
  /** Secret values as configured on the source (resolved; rotation = several). */
  readonly secrets: readonly string[];
  /** `sources[].options`, as written in the config file. */
  readonly options?: unknown;
  readonly toleranceSeconds?: number;
  /** Fixed clock (published vectors); otherwise the suite uses the current time. */
  readonly nowSeconds?: number;
  /** Builds the authentic request as of `nowSeconds`. */
  build(nowSeconds: number): ConformanceRequest | Promise<ConformanceRequest>;
  /** What `identify` must return for it. */
  readonly expected: {
    readonly deliveryId?: string;
    /** With a delivery id: whether the signature covers it (what the provider's docs say it signs). */
    readonly deliveryIdSigned?: boolean;
    readonly eventType: string;
    /** For handshakes: the reply's status and a substring of its body. */
    readonly reply?: { readonly statusCode: number; readonly bodyIncludes: string };
  };
  /** Whether the signature covers the body (false for bearer tokens and Pub/Sub's OIDC token). */
  readonly bodySigned: boolean;
  /**
   * The header carrying the delivery id, when it is a header: re-sending the request under a fresh id
   * must fail verification if the id is signed, and must map to the same dedupe key if it is not.
   */
  readonly idHeader?: string;
  /** Headers that carry the credential: removing any one must fail verification. */
  readonly credentialHeaders: readonly string[];
  /** Well-formed secrets of the same kind that must NOT verify this request. */
  readonly otherSecrets: readonly string[];
  /** Cleanup after the suite (local JWKS servers). */
  readonly close?: () => Promise<void>;
}
