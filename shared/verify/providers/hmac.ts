import { createSecretKey, type KeyObject } from "node:crypto";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { type HmacOptions, RETRY_HORIZON_SECONDS } from "../catalog.js";
import {
  duplicateHeader,
  malformedHeader,
  readHeader,
  requireHeader,
  requireSingleHeader,
} from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { createKeyCache, firstMatchingSecret, requireOptions } from "../schemes/secrets.js";
import { canonicalSignature, encodedDigestsEqual } from "../schemes/signature-encoding.js";
import { type Placeholder, parseSignedContent } from "../schemes/signed-content-template.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
import type { InboundRequest, SyncProviderVerifier } from "../types.js";

/**
 * Generic HMAC, configured per source (`HmacOptions`), for the long tail of senders: the header
 * `options.header` holds `options.prefix` followed by the `options.encoding` (hex or base64) HMAC
 * (`options.algorithm`: sha1, sha256, sha384, sha512) of `options.signedContent` (default `{body}`), in
 * which `{body}` is the raw body, `{timestamp}` the `options.timestampHeader` value, `{id}` the
 * `options.idHeader` value, `{method}` the HTTP method and `{url}` the public URL. The key is the
 * secret decoded as `options.secretEncoding` (utf8, base64 or hex; default utf8). With
 * `timestampHeader`, the timestamp (unix seconds) is bounded in both directions by the source's
 * tolerance. A template naming `{timestamp}` or `{id}` without the matching header option never
 * verifies (reported as a missing header).
 *
 * Identity: the delivery id is the `idHeader` value (else the body's hash); it is signed only when the
 * template holds `{id}` (otherwise the dedupe key is the hash of the body). The event type is the
 * `eventTypeHeader` value, else the body's `type`, else `webhook`.
 *
 * Horizon: unknown senders; ids are kept 3 days.
 */

const DEFAULT_TEMPLATE = "{body}";
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;
const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})+$/;

function keyFromBytes(bytes: Buffer): KeyObject | undefined {
  return bytes.length > 0 ? createSecretKey(bytes) : undefined;
}

const base64Key = createKeyCache((secret) =>
  BASE64_PATTERN.test(secret) ? keyFromBytes(Buffer.from(secret, "base64")) : undefined,
);
const hexKey = createKeyCache((secret) =>
  HEX_PATTERN.test(secret) ? keyFromBytes(Buffer.from(secret, "hex")) : undefined,
);

function keyDecoder(encoding: HmacOptions["secretEncoding"]): (secret: string) => KeyObject | undefined {
  return encoding === "base64" ? base64Key : encoding === "hex" ? hexKey : utf8HmacKey;
}

function headerName(name: string): string {
  return name.toLowerCase();
}

function missing(detail: string): SignatureVerificationError {
  return new SignatureVerificationError(SIGNATURE_FAILURES.missingHeader, `hmac: ${detail}`);
}

/** The value each placeholder the template uses stands for; throws when one is unavailable. */
function placeholderValues(
  request: InboundRequest,
  options: HmacOptions,
  uses: ReadonlySet<Placeholder>,
  timestamp: string | undefined,
): Partial<Record<Exclude<Placeholder, "body">, string>> {
  const values: Partial<Record<Exclude<Placeholder, "body">, string>> = {};
  if (uses.has("timestamp")) {
    if (timestamp === undefined) {
      throw missing("signedContent uses {timestamp} but options.timestampHeader is not set");
    }
    values.timestamp = timestamp;
  }
  if (uses.has("id")) {
    if (options.idHeader === undefined) {
      throw missing("signedContent uses {id} but options.idHeader is not set");
    }
    values.id = requireHeader(request.headers, headerName(options.idHeader));
  }
  if (uses.has("method")) {
    if (request.method === undefined || request.method.length === 0) {
      throw missing("signedContent uses {method} but the request method is unknown");
    }
    values.method = request.method;
  }
  if (uses.has("url")) {
    if (request.url === undefined || request.url.length === 0) {
      throw missing("signedContent uses {url} but the request URL is unknown");
    }
    values.url = request.url;
  }
  return values;
}

export const hmacVerifier: SyncProviderVerifier<HmacOptions> = {
  provider: "hmac",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.hmac,
  signsContent: true,

  verify(request, context) {
    const options = requireOptions("hmac", context.options, "algorithm, header, encoding");
    const { headers, rawBody } = request;
    const signatureHeader = headerName(options.header);
    const signatureText = requireHeader(headers, signatureHeader);
    const prefix = options.prefix ?? "";
    if (!signatureText.startsWith(prefix)) {
      throw malformedHeader(signatureHeader, `does not start with '${prefix}'`);
    }
    const encoded = signatureText.slice(prefix.length);
    if (encoded.includes(",")) {
      throw duplicateHeader(signatureHeader);
    }
    const candidate = canonicalSignature(encoded, options.encoding);
    if (candidate === undefined) {
      throw malformedHeader(
        signatureHeader,
        `is not ${options.encoding === "hex" ? "lower-case hex" : "padded base64"}`,
      );
    }

    let timestamp: string | undefined;
    if (options.timestampHeader !== undefined) {
      const name = headerName(options.timestampHeader);
      timestamp = requireSingleHeader(headers, name);
      checkTimestampWindow(parseTimestamp(timestamp, name), context, name);
    }
    const template = parseSignedContent(options.signedContent ?? DEFAULT_TEMPLATE);
    const values = placeholderValues(request, options, template.uses, timestamp);
    const parts = template.parts.map((part) =>
      "literal" in part
        ? part.literal
        : part.placeholder === "body"
          ? rawBody
          : (values[part.placeholder] ?? ""),
    );

    return firstMatchingSecret(
      `hmac: '${signatureHeader}'`,
      context.secrets,
      keyDecoder(options.secretEncoding),
      (key) =>
        encodedDigestsEqual(computeHmacEncoded(options.algorithm, key, parts, options.encoding), candidate),
    );
  },

  identify(request, json, context) {
    const options = context?.options;
    const deliveryId =
      options?.idHeader === undefined ? undefined : readHeader(request.headers, headerName(options.idHeader));
    const eventType =
      (options?.eventTypeHeader === undefined
        ? undefined
        : readHeader(request.headers, headerName(options.eventTypeHeader))) ??
      jsonStringAt(json(), "type") ??
      "webhook";
    if (deliveryId === undefined) return { eventType };
    // Signed only when the template puts `{id}` in the signed content.
    const template = parseSignedContent(options?.signedContent ?? DEFAULT_TEMPLATE);
    return { deliveryId, deliveryIdSigned: template.uses.has("id"), eventType };
  },
};
