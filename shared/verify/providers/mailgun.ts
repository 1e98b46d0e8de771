import {
  SIGNATURE_FAILURES,
  type SignatureFailure,
  SignatureVerificationError,
} from "../../domain/errors.js";
import { RETRY_HORIZON_SECONDS } from "../catalog.js";
import { type FormFields, multipartFields, urlEncodedFields } from "../parsing/form.js";
import { readHeader } from "../parsing/headers.js";
import { jsonAt, jsonStringAt } from "../parsing/json.js";
import { computeHmacEncoded, utf8HmacKey } from "../schemes/hmac.js";
import { firstMatchingSecret } from "../schemes/secrets.js";
import { canonicalSignature, encodedDigestsEqual } from "../schemes/signature-encoding.js";
import { checkTimestampWindow, parseTimestamp } from "../schemes/timestamp-window.js";
import type { InboundRequest, SyncProviderVerifier } from "../types.js";

/**
 * Mailgun: the signature travels in the body. JSON webhooks carry
 * `{ "signature": { "timestamp", "token", "signature" }, "event-data": { "event", … } }`; legacy
 * webhooks (`application/x-www-form-urlencoded`) and inbound routes (`multipart/form-data`) carry the
 * fields `timestamp`, `token`, `signature` (and `event`). `signature` is the hex HMAC-SHA256, keyed with
 * the HTTP webhook signing key (UTF-8), of `{timestamp}{token}`; the timestamp (unix seconds) is bounded
 * in both directions by the source's tolerance.
 *
 * The rest of the body is NOT signed. The delivery id is therefore the `token`: a captured
 * timestamp/token/signature triple is accepted once (later requests reusing it are duplicates), and only
 * inside the tolerance window. The event type is `event-data.event` (JSON) or the form's `event`.
 *
 * Horizon: Mailgun retries for 8 hours; tokens are kept 1 day.
 */

const FIELD_NAMES = ["timestamp", "token", "signature", "event"] as const;
type FieldName = (typeof FIELD_NAMES)[number];
type Fields = Partial<Record<FieldName, string>>;
type Parsed =
  | { readonly ok: true; readonly fields: Fields }
  | { readonly ok: false; readonly reason: SignatureFailure; readonly detail: string };

export const MAILGUN_CONTENT_TYPES = [
  "application/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
] as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function mediaTypeOf(request: InboundRequest): string {
  return (readHeader(request.headers, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function isJson(mediaType: string): boolean {
  return mediaType === "" || mediaType === "application/json";
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(body));
  } catch {
    return undefined;
  }
}

function fieldsFromJson(value: unknown): Parsed {
  const signature = jsonAt(value, "signature");
  if (typeof signature !== "object" || signature === null || Array.isArray(signature)) {
    return {
      ok: false,
      reason: SIGNATURE_FAILURES.missingHeader,
      detail: "the body has no 'signature' object",
    };
  }
  const fields: Fields = {};
  for (const name of ["timestamp", "token", "signature"] as const) {
    const field = jsonAt(signature, name);
    if (field !== undefined && typeof field !== "string") {
      return {
        ok: false,
        reason: SIGNATURE_FAILURES.malformedHeader,
        detail: `'signature.${name}' is not a string`,
      };
    }
    if (field !== undefined && field.length > 0) {
      fields[name] = field;
    }
  }
  const event = jsonStringAt(value, "event-data", "event");
  if (event !== undefined) {
    fields.event = event;
  }
  return { ok: true, fields };
}

function fieldsFromForm(form: FormFields | undefined): Parsed {
  if (form === undefined) {
    return {
      ok: false,
      reason: SIGNATURE_FAILURES.malformedHeader,
      detail: "the multipart body cannot be read",
    };
  }
  const fields: Fields = {};
  for (const name of FIELD_NAMES) {
    const values = form.get(name) ?? [];
    if (values.length > 1) {
      return {
        ok: false,
        reason: SIGNATURE_FAILURES.duplicateHeader,
        detail: `form field '${name}' is repeated`,
      };
    }
    const [value] = values;
    if (value !== undefined && value.length > 0) {
      fields[name] = value;
    }
  }
  return { ok: true, fields };
}

/** The signature fields of a request, read according to its media type; `json` parses JSON bodies. */
function fieldsOf(request: InboundRequest, json: () => unknown): Parsed {
  const mediaType = mediaTypeOf(request);
  if (isJson(mediaType)) {
    return fieldsFromJson(json());
  }
  if (mediaType === "application/x-www-form-urlencoded") {
    return fieldsFromForm(urlEncodedFields(request.rawBody, FIELD_NAMES));
  }
  if (mediaType === "multipart/form-data") {
    const contentType = readHeader(request.headers, "content-type") ?? "";
    return fieldsFromForm(multipartFields(request.rawBody, contentType, FIELD_NAMES));
  }
  return {
    ok: false,
    reason: SIGNATURE_FAILURES.malformedHeader,
    detail: `content type '${mediaType}' carries no Mailgun signature`,
  };
}

function requireField(fields: Fields, name: FieldName): string {
  const value = fields[name];
  if (value === undefined) {
    throw new SignatureVerificationError(
      SIGNATURE_FAILURES.missingHeader,
      `mailgun: body field '${name}' is absent`,
    );
  }
  return value;
}

export const mailgunVerifier: SyncProviderVerifier = {
  provider: "mailgun",
  retryHorizonSeconds: RETRY_HORIZON_SECONDS.mailgun,
  signsContent: true,
  contentTypes: MAILGUN_CONTENT_TYPES,

  verify(request, context) {
    const parsed = fieldsOf(request, () => parseJson(request.rawBody));
    if (!parsed.ok) {
      throw new SignatureVerificationError(parsed.reason, `mailgun: ${parsed.detail}`);
    }
    const timestampText = requireField(parsed.fields, "timestamp");
    const token = requireField(parsed.fields, "token");
    const candidate = canonicalSignature(requireField(parsed.fields, "signature"), "hex");
    if (candidate === undefined) {
      throw new SignatureVerificationError(
        SIGNATURE_FAILURES.malformedHeader,
        "mailgun: body field 'signature' is not lower-case hex",
      );
    }
    const field = "timestamp (Mailgun body field)";
    checkTimestampWindow(parseTimestamp(timestampText, field), context, field);

    return firstMatchingSecret("mailgun: body field 'signature'", context.secrets, utf8HmacKey, (key) =>
      encodedDigestsEqual(computeHmacEncoded("sha256", key, [timestampText, token], "hex"), candidate),
    );
  },

  identify(request, json) {
    const parsed = fieldsOf(request, json);
    const fields = parsed.ok ? parsed.fields : {};
    const eventType = fields.event ?? "mailgun";
    // The token is half of what is signed (timestamp + token); the rest of the body is not.
    return fields.token === undefined
      ? { eventType }
      : { deliveryId: fields.token, deliveryIdSigned: true, eventType };
  },
};
