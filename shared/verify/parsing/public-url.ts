import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import type { ProviderName } from "../catalog.js";
import type { InboundRequest } from "../types.js";

/**
 * The URL a URL-signing provider (Twilio, Square) signed: `options.publicUrl` when the source sets
 * it (the URL as configured at the provider, when a proxy or custom domain sits in front), else the URL
 * rebuilt from the request. Options were validated at config load; they are still narrowed here so
 * that verification never throws on an unexpected shape.
 */
export function configuredPublicUrl(options: unknown): string | undefined {
  if (typeof options !== "object" || options === null || !Object.hasOwn(options, "publicUrl")) {
    return undefined;
  }
  const value: unknown = (options as { readonly publicUrl?: unknown }).publicUrl;
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function signedUrlOf(request: InboundRequest, options: unknown, provider: ProviderName): string {
  const url = configuredPublicUrl(options) ?? request.url;
  if (url === undefined || url.length === 0) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.noMatchingSignature,
      `${provider}: the signature covers the public URL, but the request has none and options.publicUrl is not set`,
    );
  }
  return url;
}
