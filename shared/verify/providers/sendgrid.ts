import { createHash, createPublicKey, createVerify, type KeyObject } from "node:crypto";
import { InvalidRequestError, SIGNATURE_FAILURES, SignatureVerificationError } from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { malformedHeader, requireHeader } from "../parsing/headers.js";
import { jsonStringAt } from "../parsing/json.js";
import { createKeyCache } from "../schemes/secrets.js";
import { decodeSignature } from "../schemes/signature-encoding.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
import type { SyncProviderVerifier } from "../types.js";

/**
 * SendGrid Event Webhook (signed): `X-Twilio-Email-Event-Webhook-Signature` is the base64 DER ECDSA
 * P-256/SHA-256 signature of `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body. The
 * secret is the verification key as SendGrid shows it (base64 of the DER SubjectPublicKeyInfo) or the
 * same key in PEM. SendGrid's SDK checks no timestamp; here it must be within the source's tolerance in
 * both directions, which bounds replays.
 */

export const SENDGRID_SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
export const SENDGRID_TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";
/** A DER P-256 signature is at most 72 bytes; leave room, refuse anything absurd before decoding. */
const MAX_SIGNATURE_CHARS = 256;
/** Beyond this, the joined ids would not fit a dedupe key: use their digest instead. */
const MAX_DELIVERY_ID_CHARS = 1_024;
const P256 = "prime256v1";

/** A configured verification key as a P-256 public KeyObject, or `undefined` when it is not one. */
function parseVerificationKey(secret: string): KeyObject | undefined {
  const text = secret.trim();
  if (/PRIVATE KEY-----/.test(text)) {
    // Only SendGrid holds the private key; one in our configuration is a mistake, not a key to use.
    return undefined;
  }
  try {
    const key = text.startsWith("-----BEGIN")
      ? createPublicKey(text)
      : createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
    return key.type === "public" &&
      key.asymmetricKeyType === "ec" &&
      key.asymmetricKeyDetails?.namedCurve === P256
      ? key
      : undefined;
  } catch {
    return undefined;
  }
}

const verificationKey: (secret: string) => KeyObject | undefined = createKeyCache(parseVerificationKey);

export const sendgridVerifier: SyncProviderVerifier = {
  provider: "sendgrid",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.sendgrid,
  signsContent: true,

  verify(request, context) {
    const { headers, rawBody } = request;
    const encoded = requireHeader(headers, SENDGRID_SIGNATURE_HEADER);
    const timestampText = requireHeader(headers, SENDGRID_TIMESTAMP_HEADER);
    const signature = encoded.length <= MAX_SIGNATURE_CHARS ? decodeSignature(encoded, "base64") : undefined;
    if (signature === undefined) {
      throw malformedHeader(SENDGRID_SIGNATURE_HEADER, "is not standard base64");
    }
    checkTimestampWindow(
      parseTimestamp(timestampText, SENDGRID_TIMESTAMP_HEADER),
      context,
      SENDGRID_TIMESTAMP_HEADER,
    );

    let usable = false;
    for (const [secretIndex, secret] of context.secrets.entries()) {
      const key = verificationKey(secret);
      if (key === undefined) {
        continue;
      }
      usable = true;
      // Fed in two parts: the body is never copied into a concatenation.
      const verifier = createVerify("sha256").update(timestampText, "utf8").update(rawBody);
      let valid = false;
      try {
        valid = verifier.verify({ key, dsaEncoding: "der" }, signature);
      } catch {
        // A malformed DER structure throws on some OpenSSL versions: not a signature then.
        valid = false;
      }
      if (valid) {
        return { secretIndex };
      }
    }
    throw usable
      ? new SignatureVerificationError(
          SIGNATURE_FAILURES.noMatchingSignature,
          `sendgrid: '${SENDGRID_SIGNATURE_HEADER}' verifies under no configured key`,
        )
      : new SignatureVerificationError(
          SIGNATURE_FAILURES.unusableSecret,
          "sendgrid: no configured secret is a P-256 public key (base64 SPKI or PEM)",
        );
  },

  identify(_request, json) {
    const body = json();
    // SendGrid posts an array; a lone event object (as in SendGrid's own SDK tests) is read as one.
    const events: unknown[] = Array.isArray(body)
      ? body
      : typeof body === "object" && body !== null
        ? [body]
        : [];
    if (events.length === 0) {
      throw new InvalidRequestError("A SendGrid Event Webhook body is a non-empty JSON array of events.");
    }
    const ids: string[] = [];
    const types = new Set<string>();
    for (const event of events) {
      const id = jsonStringAt(event, "sg_event_id");
      if (id !== undefined) {
        ids.push(id);
      }
      types.add(jsonStringAt(event, "event") ?? "");
    }
    const [only] = types;
    const eventType = types.size === 1 && only ? only : "sendgrid.batch";
    if (ids.length !== events.length) {
      // An event without its id: the body's hash is the dedupe key.
      return { eventType };
    }
    const joined = ids.sort().join(",");
    const deliveryId =
      joined.length <= MAX_DELIVERY_ID_CHARS
        ? joined
        : `sha256:${createHash("sha256").update(joined).digest("hex")}`;
    return { deliveryId, deliveryIdSigned: true, eventType };
  },
};
