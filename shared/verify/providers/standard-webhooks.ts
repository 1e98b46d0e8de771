import { type KeyObject, verify as verifySignature } from "node:crypto";
import { SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { type ProviderName, RETRY_HORIZON_SECONDS } from "../catalog.js";
import { duplicateHeader, malformedHeader, readHeader, requireHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded } from "../schemes/hmac.js";
import { canonicalSignature, decodeSignature, encodedDigestsEqual } from "../schemes/signature-encoding.js";
import { MAX_SIGNATURES } from "../schemes/signature-list.js";
import { standardWebhookKey } from "../schemes/standard-webhooks-keys.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
import type { InboundRequest, SyncProviderVerifier, VerifiedSignature, VerifyContext } from "../types.js";

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers; the signed content is `{id}.{timestamp}.{body}`. The signature header
 * holds space-separated `v1,<base64 HMAC-SHA256>` (key: base64 after `whsec_`) and/or
 * `v1a,<base64 ed25519>` (checked against `whpk_` public keys) entries. Svix is the same scheme under
 * `svix-*` headers.
 */

export interface StandardWebhookHeaderNames {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}

export const WEBHOOK_HEADERS: StandardWebhookHeaderNames = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
};

export const SVIX_HEADERS: StandardWebhookHeaderNames = {
  id: "svix-id",
  timestamp: "svix-timestamp",
  signature: "svix-signature",
};

export interface StandardWebhooksVerifierOptions {
  readonly provider: ProviderName;
  /** Header families accepted, in order of preference; a request uses the first one it carries. */
  readonly headerFamilies: readonly StandardWebhookHeaderNames[];
  readonly retryHorizonSeconds: number;
  /** `eventType` when the body has no string `type`. */
  readonly fallbackEventType: string;
}

const ED25519_SIGNATURE_BYTES = 64;

interface Candidates {
  /** `v1` signatures as sent (canonical base64): compared with the HMAC encoded the same way. */
  readonly hmac: string[];
  readonly ed25519: Buffer[];
}

function parseSignatures(value: string, header: string): Candidates {
  if (value.includes(", ")) {
    // base64 never contains ", ": this is two headers joined by the gateway.
    throw duplicateHeader(header);
  }
  const candidates: Candidates = { hmac: [], ed25519: [] };
  // A hand-rolled scan instead of split/filter: this runs on every request, and allocations show at 1 KiB.
  let count = 0;
  for (let start = 0; start < value.length; ) {
    let end = value.indexOf(" ", start);
    if (end === -1) end = value.length;
    if (end > start) {
      if (++count > MAX_SIGNATURES) {
        throw malformedHeader(header, `holds more than ${MAX_SIGNATURES} signatures`);
      }
      const comma = value.indexOf(",", start);
      if (comma <= start || comma >= end) {
        throw malformedHeader(header, "has an entry that is not '<version>,<signature>'");
      }
      const version = value.slice(start, comma);
      if (version === "v1") {
        const signature = canonicalSignature(value.slice(comma + 1, end), "base64");
        if (signature === undefined) throw malformedHeader(header, "has a v1 signature that is not base64");
        candidates.hmac.push(signature);
      } else if (version === "v1a") {
        const signature = decodeSignature(value.slice(comma + 1, end), "base64");
        if (signature === undefined) throw malformedHeader(header, "has a v1a signature that is not base64");
        candidates.ed25519.push(signature);
      }
      // Any other version is a future scheme: not ours to judge.
    }
    start = end + 1;
  }
  if (candidates.hmac.length === 0 && candidates.ed25519.length === 0) {
    throw malformedHeader(header, "has no v1 or v1a signature");
  }
  return candidates;
}

function ed25519Matches(key: KeyObject, message: Buffer, signature: Buffer): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    return false;
  }
  try {
    return verifySignature(null, message, key, signature);
  } catch {
    return false;
  }
}

export function createStandardWebhooksVerifier(
  options: StandardWebhooksVerifierOptions,
): SyncProviderVerifier {
  const { provider, headerFamilies, retryHorizonSeconds, fallbackEventType } = options;
  const [primary] = headerFamilies;
  if (primary === undefined) {
    throw new TypeError(`${provider}: at least one header family is required`);
  }
  const defaultFamily: StandardWebhookHeaderNames = primary;

  /** The first family with any of its headers present; the primary one when none is. */
  function familyOf(headers: InboundRequest["headers"]): StandardWebhookHeaderNames {
    if (headerFamilies.length === 1) return defaultFamily;
    return (
      headerFamilies.find(
        (names) =>
          readHeader(headers, names.id) !== undefined ||
          readHeader(headers, names.timestamp) !== undefined ||
          readHeader(headers, names.signature) !== undefined,
      ) ?? defaultFamily
    );
  }

  function verify(request: InboundRequest, context: VerifyContext): VerifiedSignature {
    const { headers, rawBody } = request;
    const names = familyOf(headers);
    const id = requireHeader(headers, names.id);
    const timestampText = requireHeader(headers, names.timestamp);
    const signatureText = requireHeader(headers, names.signature);
    const timestamp = parseTimestamp(timestampText, names.timestamp);
    const candidates = parseSignatures(signatureText, names.signature);
    checkTimestampWindow(timestamp, context, names.timestamp);

    const prefix = `${id}.${timestampText}.`;
    let message: Buffer | undefined; // ed25519 signs the whole message at once: built lazily, once
    let usable = false;
    // An indexed loop: `entries()` would allocate an iterator and a pair per secret on every request.
    const { secrets } = context;
    for (let secretIndex = 0; secretIndex < secrets.length; secretIndex++) {
      const key = standardWebhookKey(secrets[secretIndex] ?? "");
      if (key.kind === "hmac") {
        usable = true;
        if (candidates.hmac.length > 0) {
          const digest = computeHmacEncoded("sha256", key.key, [prefix, rawBody], "base64");
          if (candidates.hmac.some((candidate) => encodedDigestsEqual(digest, candidate))) {
            return { secretIndex };
          }
        }
      } else if (key.kind === "ed25519") {
        usable = true;
        if (candidates.ed25519.length > 0) {
          message ??= Buffer.concat([Buffer.from(prefix, "utf8"), rawBody]);
          const signed = message;
          if (candidates.ed25519.some((candidate) => ed25519Matches(key.key, signed, candidate))) {
            return { secretIndex };
          }
        }
      }
    }
    if (!usable) {
      throw new SignatureVerificationError(
        SIGNATURE_FAILURES.unusableSecret,
        `${provider}: no configured secret is a usable whsec_ or whpk_ key`,
      );
    }
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.noMatchingSignature,
      `${provider}: no signature in '${names.signature}' matches a configured secret`,
    );
  }

  return {
    provider,
    retryHorizonSeconds,
    signsContent: true,
    verify,
    identify(request, json) {
      const deliveryId = readHeader(request.headers, familyOf(request.headers).id);
      const eventType = jsonStringAt(json(), "type") ?? fallbackEventType;
      // The id is the first part of the signed content.
      return deliveryId === undefined ? { eventType } : { deliveryId, deliveryIdSigned: true, eventType };
    },
  };
}

export const standardWebhooksVerifier: SyncProviderVerifier = createStandardWebhooksVerifier({
  provider: "standard-webhooks",
  headerFamilies: [WEBHOOK_HEADERS],
  retryHorizonSeconds: RETRY_HORIZON_SECONDS["standard-webhooks"],
  fallbackEventType: "webhook",
});

/** Svix: the same scheme; accepts the `svix-*` headers and, like Svix's own SDK, `webhook-*` too. */
export const svixVerifier: SyncProviderVerifier = createStandardWebhooksVerifier({
  provider: "svix",
  headerFamilies: [SVIX_HEADERS, WEBHOOK_HEADERS],
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.svix,
  fallbackEventType: "webhook",
});
