import type { SourceConfig, WebhooksConfig } from "../config/schema.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TOLERANCE_SECONDS } from "../config/schema.js";
import { buildCloudEvent, eventIdFor, isJsonContentType, parseJsonBody } from "../domain/cloud-event.js";
import { dedupeInputFor, dedupeKeyFor } from "../domain/dedupe-key.js";
import {
  InFlightError,
  InvalidRequestError,
  PayloadTooLargeError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from "../domain/errors.js";
import type { Clock } from "../ports/clock.js";
import type { DedupeStore } from "../ports/dedupe-store.js";
import type { MessageQueue } from "../ports/message-queue.js";
import type { SecretResolver } from "../ports/secret-resolver.js";
import { type ProviderName, parseProviderOptions } from "../verify/catalog.js";
import type { ChallengeReply, InboundRequest, ProviderVerifier } from "../verify/types.js";

export interface IngestRequest extends InboundRequest {
  readonly sourceId: string;
}

export interface IngestResult {
  /** Our event id; the same for every retry of one provider event. */
  readonly id: string;
  /** True when this event was already enqueued and this request changed nothing. */
  readonly duplicate: boolean;
  readonly sourceId: string;
  readonly provider: ProviderName;
  readonly deliveryId?: string;
  readonly eventType: string;
  /** Which configured secret verified the request (rotation telemetry). */
  readonly secretIndex: number;
  /** A handshake the provider expects answered as is; nothing was enqueued. */
  readonly reply?: ChallengeReply;
}

export interface IngestDeps {
  readonly config: WebhooksConfig;
  readonly verifierFor: (provider: ProviderName) => ProviderVerifier;
  readonly secrets: SecretResolver;
  readonly dedupe: DedupeStore;
  readonly queue: MessageQueue;
  readonly ingressQueueUrl: string;
  readonly clock: Clock;
  readonly leaseSeconds: number;
  /** Told when a step that must not fail the request went wrong (the event is safe either way). */
  readonly onWarning?: (message: string, error: unknown) => void;
}

/**
 * Verify → dedupe → enqueue. Order matters for safety:
 * - nothing unauthenticated reaches the dedupe table;
 * - the claim is a lease, so a crash after claiming never blocks the provider's retry for long;
 * - an enqueue failure releases the claim and fails the request, so the provider retries;
 * - only after the message is on the queue is the claim marked enqueued and 2xx returned.
 */
export function createIngestWebhook(deps: IngestDeps): (request: IngestRequest) => Promise<IngestResult> {
  const sources = new Map<string, SourceConfig>(deps.config.sources.map((s) => [s.id, s]));
  const options = new Map<string, unknown>(
    deps.config.sources.map((s) => [s.id, parseProviderOptions(s.provider, s.options)]),
  );
  const resolvedSecrets = new Map<string, Promise<string[]>>();
  const secretsOf = (source: SourceConfig) => {
    let found = resolvedSecrets.get(source.id);
    if (!found) {
      found = Promise.all((source.secrets ?? []).map((ref) => deps.secrets.resolve(ref)));
      found.catch(() => resolvedSecrets.delete(source.id));
      resolvedSecrets.set(source.id, found);
    }
    return found;
  };

  return async (request) => {
    const source = sources.get(request.sourceId);
    if (!source) throw new UnknownSourceError(request.sourceId);
    const limit = source.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (request.rawBody.length > limit) throw new PayloadTooLargeError(request.rawBody.length, limit);

    const verifier = deps.verifierFor(source.provider);
    const contentType = request.headers["content-type"];
    if (verifier.contentTypes) {
      const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
      if (!mediaType || !verifier.contentTypes.includes(mediaType)) {
        throw new UnsupportedMediaTypeError(contentType, verifier.contentTypes);
      }
    }
    let parsed: { value: unknown } | undefined;
    const json = () => {
      parsed ??= { value: parseJsonBody(request.rawBody, contentType) };
      return parsed.value;
    };
    const nowMs = deps.clock.now();
    const nowSeconds = Math.floor(nowMs / 1000);
    const secrets = await secretsOf(source);
    const sourceOptions = options.get(source.id);
    const { secretIndex } = await verifier.verify(request, {
      secrets,
      nowSeconds,
      toleranceSeconds: source.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      options: sourceOptions,
      json,
    });

    // Checked after verification, so unauthenticated senders learn nothing about our parsing.
    if (isJsonContentType(contentType) && json() === undefined) {
      throw new InvalidRequestError(
        `The body is declared as JSON (Content-Type: ${contentType}) but is not valid UTF-8 JSON; send the exact JSON the event was signed over.`,
      );
    }
    const identity = verifier.identify(request, json, {
      secret: secrets[secretIndex],
      options: sourceOptions,
    });
    // One key, one write: the delivery id if the signature covers it, else the signed content's hash.
    const dedupe = dedupeInputFor({
      deliveryId: identity.deliveryId,
      deliveryIdSigned: identity.deliveryIdSigned,
      signsContent: verifier.signsContent,
      signedContent: identity.signedContent,
      rawBody: request.rawBody,
    });
    const key = `${source.id}#${dedupeKeyFor(dedupe)}`;
    const eventId = eventIdFor(source.id, key);
    const result = {
      id: eventId,
      sourceId: source.id,
      provider: source.provider,
      eventType: identity.eventType,
      secretIndex,
      ...(identity.deliveryId ? { deliveryId: identity.deliveryId } : {}),
    };
    if (identity.reply) return { ...result, duplicate: false, reply: identity.reply };

    const claim = await deps.dedupe.claim({
      key,
      eventId,
      nowSeconds,
      leaseSeconds: deps.leaseSeconds,
      ttlSeconds: source.dedupeWindowSeconds ?? verifier.retryHorizonSeconds,
    });
    if (claim.status === "duplicate") return { ...result, id: claim.eventId, duplicate: true };
    if (claim.status === "in-flight") throw new InFlightError(claim.retryAfterSeconds);

    const event = buildCloudEvent({
      eventId,
      sourceId: source.id,
      provider: source.provider,
      deliveryId: identity.deliveryId,
      eventType: identity.eventType,
      receivedAt: new Date(nowMs),
      contentType,
      rawBody: request.rawBody,
      json: json(),
    });
    try {
      await deps.queue.send(deps.ingressQueueUrl, { body: JSON.stringify(event) });
    } catch (error) {
      await deps.dedupe.release({ key, token: claim.token }).catch(() => undefined);
      throw error;
    }
    // The event is on the queue: acknowledge it even if marking the claim fails. The pending claim
    // then only turns a later retry into an in-flight answer until its lease ends.
    await deps.dedupe
      .complete({ key, token: claim.token })
      .catch((error: unknown) => deps.onWarning?.("could not mark the dedupe claim enqueued", error));
    return { ...result, duplicate: false };
  };
}
