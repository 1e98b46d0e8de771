import { createHash } from "node:crypto";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { formField, parseForm } from "../parsing/form.js";
import { readHeader, requireSingleHeader } from "../parsing/headers.js";
import { asJsonObject, jsonStringAt } from "../parsing/json.js";
import { configuredPublicUrl, signedUrlOf } from "../parsing/public-url.js";
import { matchHmacSecret } from "../schemes/hmac.js";
import { decodeSignature, digestsEqual, requireSignature } from "../schemes/signature-encoding.js";
import type { InboundRequest, SyncProviderVerifier } from "../types.js";

/**
 * Twilio (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
 * - header: `X-Twilio-Signature: <base64>`;
 * - signed content, form bodies: the full public URL (with its query string), then every POST
 *   parameter sorted by name, each written as name + value with no separators. A name sent several
 *   times contributes its distinct values sorted, as Twilio's helper libraries compute it
 *   (twilio-node `toFormUrlEncodedParam`, twilio-python `compute_signature`). Twilio signs the decoded
 *   parameters, so the bytes are covered up to form decoding (`%2B` and `%2b` are the same value);
 * - signed content, JSON bodies: the URL carries `bodySHA256=<hex SHA-256 of the raw body>`; the
 *   signature covers the URL only, and the body must hash to that value (compared in constant time).
 *   Which mode applies is decided by the signed URL carrying `bodySHA256`, as the helpers do;
 * - algorithm: HMAC-SHA1 keyed with the account's auth token (UTF-8), standard base64;
 * - URL: `options.publicUrl` when set (as configured in Twilio; a `bodySHA256` the request's URL
 *   carries is appended to it), else the URL the request was received on. Twilio is inconsistent about
 *   default ports, so like its helpers the URL is tried as given and, if that fails, with the default
 *   port (https 443, http 80) removed when present or added when absent;
 * - window: none (no timestamp is signed), so replays are stopped by dedupe on what is signed: the
 *   hash of the sorted parameters (form) or of the body (JSON), since the id header is not signed;
 * - dedupe id: `I-Twilio-Idempotency-Token` (metadata, see above); event type: `message.<MessageStatus|SmsStatus>` or
 *   `call.<CallStatus>` (`message.delivered`), else `twilio`.
 */

export const TWILIO_SIGNATURE_HEADER = "x-twilio-signature";
const BODY_HASH_PARAM = "bodySHA256";
const DEFAULT_PORTS: Readonly<Record<string, string>> = { https: "443", http: "80" };
const SCHEME_AND_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
const DIGITS = /^[0-9]+$/;

/** The raw `bodySHA256=<value>` segment of a URL's query string, if there is one. */
function bodyHashSegment(url: string): { readonly segment: string; readonly value: string } | undefined {
  const query = url.indexOf("?");
  if (query < 0) {
    return undefined;
  }
  const fragment = url.indexOf("#", query);
  const prefix = `${BODY_HASH_PARAM}=`;
  for (const segment of url.slice(query + 1, fragment < 0 ? undefined : fragment).split("&")) {
    if (segment.startsWith(prefix)) {
      return { segment, value: segment.slice(prefix.length) };
    }
  }
  return undefined;
}

/** The URL Twilio signed: `options.publicUrl` (plus the request's `bodySHA256`), else the request's. */
function signedTwilioUrl(request: InboundRequest, options: unknown): string {
  const configured = configuredPublicUrl(options);
  const received = request.url === undefined ? undefined : bodyHashSegment(request.url);
  if (configured === undefined || received === undefined || bodyHashSegment(configured) !== undefined) {
    return signedUrlOf(request, options, "twilio");
  }
  const separator = !configured.includes("?") ? "?" : /[?&]$/.test(configured) ? "" : "&";
  return `${configured}${separator}${received.segment}`;
}

/** Whether the signed URL carries `bodySHA256` (JSON mode), as `signedTwilioUrl` builds it; never throws. */
function signsBodyHash(request: InboundRequest, options: unknown): boolean {
  const configured = configuredPublicUrl(options);
  return (
    (configured !== undefined && bodyHashSegment(configured) !== undefined) ||
    (request.url !== undefined && bodyHashSegment(request.url) !== undefined)
  );
}

/** `url` as given, then with the scheme's default port removed (if present) or added (if absent). */
function portVariants(url: string): string[] {
  const match = SCHEME_AND_AUTHORITY.exec(url);
  const scheme = match?.[1]?.toLowerCase();
  const authority = match?.[2];
  const defaultPort =
    scheme !== undefined && Object.hasOwn(DEFAULT_PORTS, scheme) ? DEFAULT_PORTS[scheme] : undefined;
  if (match === null || authority === undefined || authority.length === 0 || defaultPort === undefined) {
    return [url];
  }
  const head = url.slice(0, match[0].length - authority.length);
  const rest = url.slice(match[0].length);
  const colon = authority.lastIndexOf(":");
  const port = colon < 0 || authority.includes("]", colon) ? undefined : authority.slice(colon + 1);
  if (port === undefined || !DIGITS.test(port)) {
    return [url, `${head}${authority}:${defaultPort}${rest}`];
  }
  return port === defaultPort ? [url, `${head}${authority.slice(0, colon)}${rest}`] : [url];
}

/** The POST parameters as Twilio signs them: sorted by name, then name + value for each distinct value. */
function signedParams(rawBody: Buffer): string[] {
  const byName = new Map<string, string[]>();
  for (const [name, value] of parseForm(rawBody)) {
    const values = byName.get(name);
    if (values === undefined) {
      byName.set(name, [value]);
    } else {
      values.push(value);
    }
  }
  const parts: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...new Set(byName.get(name))].sort()) {
      parts.push(name, value);
    }
  }
  return parts;
}

export const twilioVerifier: SyncProviderVerifier = {
  provider: "twilio",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.twilio,
  signsContent: true,
  contentTypes: ["application/x-www-form-urlencoded", "application/json"],

  verify(request, context) {
    const value = requireSingleHeader(request.headers, TWILIO_SIGNATURE_HEADER);
    const candidate = requireSignature(value, "base64", TWILIO_SIGNATURE_HEADER);
    const url = signedTwilioUrl(request, context.options);
    const bodyHash = bodyHashSegment(url);
    const params = bodyHash === undefined ? signedParams(request.rawBody) : [];
    const verified = matchHmacSecret(context.secrets, {
      provider: "twilio",
      algorithm: "sha1",
      header: TWILIO_SIGNATURE_HEADER,
      candidates: [candidate],
      contents: portVariants(url).map((variant) => [variant, ...params]),
    });
    if (bodyHash !== undefined) {
      const expected = decodeSignature(bodyHash.value, "hex");
      const actual = createHash("sha256").update(request.rawBody).digest();
      if (expected === undefined || !digestsEqual(actual, expected)) {
        throw new SignatureVerificationError(
          SIGNATURE_FAILURES.noMatchingSignature,
          `twilio: the body does not hash to the signed URL's ${BODY_HASH_PARAM}`,
        );
      }
    }
    return verified;
  },

  identify(request, json, context) {
    const deliveryId = readHeader(request.headers, "i-twilio-idempotency-token");
    const body = asJsonObject(json());
    const form = body === undefined ? parseForm(request.rawBody) : undefined;
    const field = (name: string) => (form === undefined ? jsonStringAt(body, name) : formField(form, name));
    const messageStatus = field("MessageStatus") ?? field("SmsStatus");
    const callStatus = field("CallStatus");
    const eventType =
      messageStatus !== undefined
        ? `message.${messageStatus.toLowerCase()}`
        : callStatus !== undefined
          ? `call.${callStatus.toLowerCase()}`
          : "twilio";
    // Form bodies are signed as their sorted, decoded parameters: a reordered or re-encoded copy of the
    // same form still verifies, so that canonical form, not the raw bytes, is what the dedupe key hashes.
    const signedContent = signsBodyHash(request, context?.options)
      ? undefined
      : JSON.stringify(signedParams(request.rawBody));
    const content = signedContent === undefined ? {} : { signedContent };
    // The idempotency token is a header outside the signed content.
    return deliveryId === undefined
      ? { eventType, ...content }
      : { deliveryId, deliveryIdSigned: false, eventType, ...content };
  },
};
