import type { SourceConfig, WebhooksConfig } from "../config/schema.js";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_TOLERANCE_SECONDS, eventLifetimeSeconds } from "../config/schema.js";
import { eventIdFor, isJsonContentType, parseJsonBody } from "../domain/cloud-event.js";
import { dedupeInputFor, dedupeKeyFor } from "../domain/dedupe-key.js";
import {
  InvalidRequestError,
  PayloadTooLargeError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from "../domain/errors.js";
import { keptHeaders } from "../domain/kept-headers.js";
import type { Clock } from "../ports/clock.js";
import type { EventStore } from "../ports/event-store.js";
import type { SecretResolver } from "../ports/secret-resolver.js";
import { type ProviderName, parseProviderOptions } from "../verify/catalog.js";
import type { ChallengeReply, InboundRequest, ProviderVerifier } from "../verify/types.js";

export interface IngestRequest extends InboundRequest {
  readonly sourceId: string;
}

export interface IngestResult {
  /** Our event id; the same for every retry of one provider event. */
  readonly id: string;
  /** True when this event was accepted before and this request changed nothing. */
  readonly duplicate: boolean;
  readonly sourceId: string;
  readonly provider: ProviderName;
  readonly deliveryId?: string;
  readonly eventType: string;
  /** Which configured secret verified the request (rotation telemetry). */
  readonly secretIndex: number;
  /** A handshake the provider expects answered as is; nothing was stored. */
  readonly reply?: ChallengeReply;
}

export interface IngestDeps {
  readonly config: WebhooksConfig;
  readonly verifierFor: (provider: ProviderName) => ProviderVerifier;
  readonly secrets: SecretResolver;
  readonly events: EventStore;
  readonly clock: Clock;
}

/**
 * Verify → accept. Nothing unauthenticated reaches the event table; a verified event is accepted by one
 * conditional write keyed by its event id, so a provider retry (or a concurrent copy) of an accepted
 * event changes nothing and gets the same id; if the write fails, nothing was accepted, the sender gets
 * a 5xx and retries. There is no second step that could fail after the acceptance.
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

    // The one write: the event item is the dedupe record, the archive and the outbox (its stream feeds
    // the router). Once it is written the event is accepted, durably and exactly once.
    const accepted = await deps.events.accept(
      {
        id: eventId,
        sourceId: source.id,
        provider: source.provider,
        type: identity.eventType,
        ...(identity.deliveryId ? { deliveryId: identity.deliveryId } : {}),
        receivedAt: nowMs,
        ...(contentType ? { contentType } : {}),
        headers: keptHeaders(request.headers),
        body: request.rawBody,
        expiresAt: nowSeconds + eventLifetimeSeconds(deps.config, source, verifier.retryHorizonSeconds),
      },
      nowSeconds,
    );
    return { ...result, duplicate: accepted.status === "duplicate" };
  };
}
