import { DEFAULT_DELIVERY_TIMEOUT_MS, type HttpTarget } from "../../config/schema.js";
import type { HttpRequest } from "../../ports/http-sender.js";
import { outboundSignatureHeader } from "./outbound-signer.js";

/**
 * The POST of one CloudEvent to a subscriber, signed with Standard Webhooks: `webhook-id` is the event
 * id (stable across attempts, so receivers can dedupe), `webhook-timestamp` the attempt's time, and
 * `webhook-signature` one signature per configured key (see `outboundSignatureHeader`).
 */
export function outboundRequest(input: {
  readonly target: HttpTarget;
  readonly eventId: string;
  /** The CloudEvent JSON, sent byte for byte as it came off the queue. */
  readonly body: string;
  /** The target's secrets, resolved. */
  readonly secrets: readonly string[];
  readonly userAgent: string;
  /** Epoch ms of the attempt. */
  readonly nowMs: number;
}): HttpRequest {
  const { target, eventId, body } = input;
  const timestamp = Math.floor(input.nowMs / 1000);
  return {
    url: target.url,
    timeoutMs: target.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
    body,
    headers: {
      "content-type": "application/cloudevents+json; charset=utf-8",
      "user-agent": input.userAgent,
      "webhook-id": eventId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": outboundSignatureHeader(input.secrets, { id: eventId, timestamp, body }),
    },
  };
}
