import { createHash } from "node:crypto";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { type PublicUrlOptions, RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, missingHeader, readHeader, requireSingleHeader } from "../parsing/headers.js";
import { jsonIdAt, jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { canonicalSignature, encodedDigestsEqual } from "../schemes/signature-encoding.js";
import { checkTimestampWindow } from "../schemes/timestamp-window.js";
import type { InboundRequest, SyncProviderVerifier } from "../types.js";

/**
 * HubSpot, signature v3: `X-HubSpot-Signature-v3` is the base64 HMAC-SHA256, keyed with the app's
 * client secret (UTF-8), of `{method}{uri}{body}{timestamp}` with no separators, where `timestamp` is
 * `X-HubSpot-Request-Timestamp` (unix milliseconds) as sent and `uri` is the full URL HubSpot called
 * (`options.publicUrl`, else the URL rebuilt from the request) after decoding the characters HubSpot
 * decodes before signing: `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`. The timestamp is bounded
 * in both directions by the source's tolerance. The v1/v2 `X-HubSpot-Signature` (no timestamp) is not
 * accepted.
 *
 * Identity: the body is a JSON array of events. The delivery id is the `eventId` of a single event, or
 * all `eventId`s sorted and joined with "," for a batch (hashed when that would be long); the event
 * type is the events' shared `subscriptionType`, or `hubspot.batch` when they differ.
 *
 * Horizon: HubSpot retries a failed notification up to 10 times over 24 hours; ids are kept 2 days.
 */

export const HUBSPOT_SIGNATURE_HEADER = "x-hubspot-signature-v3";
export const HUBSPOT_TIMESTAMP_HEADER = "x-hubspot-request-timestamp";
const LEGACY_SIGNATURE_HEADER = "x-hubspot-signature";
/** Canonical unix milliseconds: digits without leading zeros, exact as a number. */
const MILLISECONDS_PATTERN = /^(?:0|[1-9][0-9]{0,15})$/;
/** Percent-escapes HubSpot decodes in the URI before signing (its docs list exactly these). */
const DECODED_ESCAPES = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi;
/** Longer joined batch ids are replaced by their hash, to keep dedupe keys small. */
const MAX_JOINED_ID_LENGTH = 200;

/** The URI as HubSpot signs it: the listed escapes decoded, everything else left as sent. */
export function hubspotSignedUri(url: string): string {
  return url.replace(DECODED_ESCAPES, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function signedUrlOf(request: InboundRequest, options: PublicUrlOptions | undefined): string {
  const url = options?.publicUrl ?? request.url;
  if (url === undefined || url.length === 0) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.missingHeader,
      "hubspot: the request URL is unknown (no Host header); set options.publicUrl",
    );
  }
  return hubspotSignedUri(url);
}

function compareIds(a: string, b: string): number {
  // Length first: numeric order for the decimal ids HubSpot sends, and a total order for any others.
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export const hubspotVerifier: SyncProviderVerifier<PublicUrlOptions> = {
  provider: "hubspot",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.hubspot,
  signsContent: true,

  verify(request, context) {
    const { headers, rawBody } = request;
    if (
      readHeader(headers, HUBSPOT_SIGNATURE_HEADER) === undefined &&
      readHeader(headers, LEGACY_SIGNATURE_HEADER) !== undefined
    ) {
      throw missingHeader(
        HUBSPOT_SIGNATURE_HEADER,
        "is absent (the v1/v2 'x-hubspot-signature' is not accepted)",
      );
    }
    const signatureText = requireSingleHeader(headers, HUBSPOT_SIGNATURE_HEADER);
    const timestampText = requireSingleHeader(headers, HUBSPOT_TIMESTAMP_HEADER);
    const candidate = canonicalSignature(signatureText, "base64");
    if (candidate === undefined) {
      throw malformedHeader(HUBSPOT_SIGNATURE_HEADER, "is not base64");
    }
    if (!MILLISECONDS_PATTERN.test(timestampText)) {
      throw malformedHeader(HUBSPOT_TIMESTAMP_HEADER, "is not a timestamp in unix milliseconds");
    }
    checkTimestampWindow(Number(timestampText) / 1000, context, HUBSPOT_TIMESTAMP_HEADER);

    const method = request.method ?? "POST";
    const uri = signedUrlOf(request, context.options);
    const prefix = `${method}${uri}`;
    return firstMatchingSecret("hubspot: 'x-hubspot-signature-v3'", context.secrets, utf8HmacKey, (key) =>
      encodedDigestsEqual(
        computeHmacEncoded("sha256", key, [prefix, rawBody, timestampText], "base64"),
        candidate,
      ),
    );
  },

  identify(_request, json) {
    const body = json();
    if (!Array.isArray(body) || body.length === 0) {
      return { eventType: "hubspot" };
    }
    const ids: string[] = [];
    const types = new Set<string>();
    for (const event of body as unknown[]) {
      const id = jsonIdAt(event, "eventId");
      if (id !== undefined) {
        ids.push(id);
      }
      types.add(jsonStringAt(event, "subscriptionType") ?? "");
    }
    const [onlyType] = types;
    const eventType = types.size > 1 ? "hubspot.batch" : onlyType || "hubspot";
    if (ids.length !== body.length) {
      return { eventType }; // an event without an id: dedupe on the body's hash instead
    }
    const joined = ids.sort(compareIds).join(",");
    const deliveryId =
      joined.length <= MAX_JOINED_ID_LENGTH
        ? joined
        : `batch-sha256:${createHash("sha256").update(joined).digest("hex")}`;
    return { deliveryId, deliveryIdSigned: true, eventType };
  },
};
