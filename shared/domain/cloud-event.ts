import { createHash } from "node:crypto";
import * as z from "zod/mini";

/**
 * Every message on an ingress or subscription queue is a CloudEvents 1.0 structured-mode JSON event.
 * `data` holds the provider's JSON payload; a body that is not JSON travels as `data_base64`.
 * Extensions (lower-case, per the spec's naming rules) carry where the event came from.
 */
export interface WebhookCloudEvent {
  readonly specversion: "1.0";
  /** Our event id (`evt_…`): stable for one provider event, whatever the number of retries. */
  readonly id: string;
  /** `/webhooks/{sourceId}` */
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly datacontenttype: string;
  readonly data?: unknown;
  readonly data_base64?: string;
  /** The configured source id (`stripe`, `gh`). */
  readonly webhooksourceid: string;
  /** The provider name (`stripe`, `github`, …). */
  readonly webhookprovider: string;
  /** The provider's own delivery id, when it sends one (`webhook-id`, `X-GitHub-Delivery`, Stripe `id`). */
  readonly webhookdeliveryid?: string;
  /**
   * CloudEvents' `dataref` extension: where the payload is, for an event too large to carry it (the
   * payload bucket's object key). Deliveries fetch it and POST the event with its data.
   */
  readonly dataref?: string;
}

const cloudEventSchema = z.looseObject({
  specversion: z.literal("1.0"),
  id: z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  time: z.string(),
  datacontenttype: z.string(),
  data: z.optional(z.unknown()),
  data_base64: z.optional(z.string()),
  webhooksourceid: z.string(),
  webhookprovider: z.string(),
  webhookdeliveryid: z.optional(z.string()),
  dataref: z.optional(z.string()),
});

export class InvalidCloudEventError extends Error {
  override readonly name = "InvalidCloudEventError";
}

/** Parses a queue message body; throws `InvalidCloudEventError` naming the bad field. */
export function parseCloudEvent(body: string): WebhookCloudEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidCloudEventError("message body is not JSON");
  }
  const result = cloudEventSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidCloudEventError(
      `message is not a webhook CloudEvent: ${issue?.path.join(".")}: ${issue?.message}`,
    );
  }
  return result.data as WebhookCloudEvent;
}

/** `evt_` + 22 base64url chars of SHA-256(sourceId, dedupe key): the same provider event, the same id. */
export function eventIdFor(sourceId: string, dedupeKey: string): string {
  const digest = createHash("sha256").update(sourceId).update("\n").update(dedupeKey).digest("base64url");
  return `evt_${digest.slice(0, 22)}`;
}

const JSON_CONTENT_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether a Content-Type declares JSON (`application/json`, `application/*+json`). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_CONTENT_TYPE.test(contentType);
}

export function buildCloudEvent(input: {
  readonly eventId: string;
  readonly sourceId: string;
  readonly provider: string;
  readonly deliveryId: string | undefined;
  readonly eventType: string;
  readonly receivedAt: Date;
  readonly contentType: string | undefined;
  /** The body as posted, or where it is kept when the event is too large to carry it. */
  readonly body: Buffer | { readonly ref: string };
}): WebhookCloudEvent {
  const head = {
    specversion: "1.0" as const,
    id: input.eventId,
    source: `/webhooks/${input.sourceId}`,
    type: input.eventType,
    time: input.receivedAt.toISOString(),
    webhooksourceid: input.sourceId,
    webhookprovider: input.provider,
    ...(input.deliveryId ? { webhookdeliveryid: input.deliveryId } : {}),
  };
  if (!Buffer.isBuffer(input.body)) {
    return {
      ...head,
      datacontenttype: input.contentType ?? "application/octet-stream",
      dataref: input.body.ref,
    };
  }
  return { ...head, ...dataOf(input.body, input.contentType) };
}

/** `data` (parsed JSON) or `data_base64` (anything else, byte for byte), with its content type. */
function dataOf(
  rawBody: Buffer,
  contentType: string | undefined,
): Pick<WebhookCloudEvent, "datacontenttype" | "data" | "data_base64"> {
  const json = parseJsonBody(rawBody, contentType);
  return json !== undefined
    ? { datacontenttype: "application/json", data: json }
    : { datacontenttype: contentType ?? "application/octet-stream", data_base64: rawBody.toString("base64") };
}

/** The event with its payload in place of its `dataref` (what a delivery POSTs). */
export function withData(event: WebhookCloudEvent, rawBody: Buffer): WebhookCloudEvent {
  const { dataref: _ref, data: _data, data_base64: _base64, datacontenttype, ...rest } = event;
  return { ...rest, ...dataOf(rawBody, datacontenttype) };
}

/** Parses the body as JSON when the content type says JSON (or is absent) and it parses; else undefined. */
export function parseJsonBody(rawBody: Buffer, contentType: string | undefined): unknown {
  if (contentType !== undefined && !JSON_CONTENT_TYPE.test(contentType)) return undefined;
  if (rawBody.length === 0) return undefined;
  try {
    // Fatal decoding: a body that is not valid UTF-8 is not JSON, rather than JSON with U+FFFD in it.
    return JSON.parse(utf8.decode(rawBody));
  } catch {
    return undefined;
  }
}
