import * as z from "zod";
import { en } from "zod/v4/locales";
import type {
  BreakerView,
  DiscardSetAsideReport,
  EventDetail,
  EventPage,
  RedriveReport,
  ReplayEstimate,
  ReplayFilter,
  ReplayStatus,
  ResendResult,
  StreamFailureList,
  SubscriptionHealth,
} from "../use-cases/ops/contract.js";
import { DELIVERY_STATUSES, DISCARD_IDS_MAX } from "../use-cases/ops/contract.js";

z.config(en());

/**
 * The ops API's requests and responses as zod schemas: the handler validates requests with them, and the
 * OpenAPI document (`ops-openapi.ts`) is generated from them, so what is documented is what is checked.
 * The response schemas mirror `shared/use-cases/ops/contract.ts`; the type checks at the end of this file
 * fail the build if the two drift apart.
 */

const ID_RULE = "1-40 lower-case letters, digits or '-', starting and ending with a letter or digit";
/** A source or subscription id, as the config allows them. */
const configId = (what: string) =>
  z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, `must be a ${what} id: ${ID_RULE}`)
    .meta({ description: `A ${what} id from the config.` });

/** `evt_` + 22 base64url characters (`eventIdOf` in `shared/domain/cloud-event.ts`). */
export const EVENT_ID_PATTERN = /^evt_[A-Za-z0-9_-]{22}$/;
export const eventIdSchema = z
  .string()
  .regex(EVENT_ID_PATTERN, "must be an event id: 'evt_' followed by 22 letters, digits, '-' or '_'")
  .meta({
    description: "An event id (`evt_…`), as ingest answered it.",
    example: "evt_3kTMd9QxVbq0hY2nLw8aZA",
  });

export const replayIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{1,100}$/,
    "must be a replay id as POST replays answered it (letters, digits, '-', '_')",
  )
  .meta({ description: "A replay id, as `POST replays` answered it." });

export const subscriptionIdSchema = configId("subscription");

const isoTime = (what: string) =>
  z.iso
    .datetime({
      offset: true,
      error: `must be an ISO 8601 time with a zone, e.g. 2025-01-31T12:00:00Z (${what})`,
    })
    .meta({ description: `ISO 8601 time (${what}).` });

const deliveryStatus = z.enum(DELIVERY_STATUSES, {
  error: `must be one of ${DELIVERY_STATUSES.join(", ")}`,
});

// ── requests ────────────────────────────────────────────────────────────────────────────────────────

const sinceUntil = {
  source: configId("source").optional(),
  type: z
    .string()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters")
    .meta({ description: "The provider's event type, exactly." })
    .optional(),
  subscription: configId("subscription").optional(),
  since: isoTime("inclusive").optional(),
  until: isoTime("exclusive").optional(),
};

const sinceBeforeUntil = (value: { since?: string | undefined; until?: string | undefined }) =>
  value.since === undefined || value.until === undefined || Date.parse(value.since) < Date.parse(value.until);
const SINCE_BEFORE_UNTIL = {
  message: "must be later than 'since' (the window is since ≤ received < until)",
  path: ["until"],
};

/** `GET events`: every query parameter, each optional. */
export const listEventsQuerySchema = z
  .strictObject({
    ...sinceUntil,
    status: deliveryStatus.optional().meta({ description: "Only events with a delivery in this state." }),
    limit: z.coerce
      .number({ error: "must be a whole number from 1 to 200" })
      .int("must be a whole number from 1 to 200")
      .min(1, "must be a whole number from 1 to 200")
      .max(200, "must be a whole number from 1 to 200")
      .meta({ description: "Events per page (default 50)." })
      .optional(),
    cursor: z
      .string()
      .min(1, "must not be empty")
      .max(4096, "must be the nextCursor of the previous page")
      .meta({ description: "The `nextCursor` of the previous page." })
      .optional(),
  })
  .refine(sinceBeforeUntil, SINCE_BEFORE_UNTIL);

/** `POST events/{id}/resend`; an empty body resends to every subscription the event was routed to. */
export const resendBodySchema = z.strictObject({
  subscriptions: z
    .array(subscriptionIdSchema)
    .min(1, "must name at least one subscription; omit it to resend to all")
    .max(100, "must name at most 100 subscriptions")
    .meta({ description: "Only these subscriptions (default: every one the event was routed to)." })
    .optional(),
});

export const replayFilterSchema = z
  .strictObject({
    ...sinceUntil,
    deadLettered: z
      .boolean({ error: "must be true or false" })
      .meta({ description: "Dead letters only: they are taken out of the DLQs and sent again." })
      .optional(),
    reason: z
      .string()
      .min(1, "must not be empty")
      .max(100, "must be at most 100 characters")
      .meta({
        description: "Dead letters with this reason only (`retries_exhausted`, `permanent_failure`, …).",
      })
      .optional(),
  })
  .refine(sinceBeforeUntil, SINCE_BEFORE_UNTIL)
  .refine((filter) => filter.reason === undefined || filter.deadLettered === true, {
    message: "filters dead letters: set deadLettered to true with it",
    path: ["reason"],
  });

/** `POST replays`: `dryRun: true` estimates; otherwise the replay starts. */
export const replayBodySchema = z.strictObject({
  filter: replayFilterSchema,
  dryRun: z
    .boolean({ error: "must be true or false" })
    .meta({ description: "true: only count what would be sent (per subscription) and list the first ids." })
    .optional(),
});

/** `POST breakers/close`. */
export const closeBreakerBodySchema = z.strictObject({
  url: z
    .url({
      protocol: /^https?$/,
      error: "must be the http(s) URL of a destination (its origin names the breaker)",
    })
    .meta({ description: "A destination URL; its origin names the breaker." }),
});

/** `GET stream-failures`. */
export const listStreamFailuresQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: "must be a whole number from 1 to 1000" })
    .int("must be a whole number from 1 to 1000")
    .min(1, "must be a whole number from 1 to 1000")
    .max(1000, "must be a whole number from 1 to 1000")
    .meta({ description: "Messages to list, at most (default 100)." })
    .optional(),
});

/** `POST stream-failures/redrive`: by default the windows of the queue's batches; `dryRun` counts only. */
export const redriveBodySchema = z
  .strictObject({
    dryRun: z
      .boolean({ error: "must be true or false" })
      .meta({
        description: "true: only count what would be routed (per subscription) and list the first ids.",
      })
      .optional(),
    since: isoTime("inclusive; the operator's own window instead of the failures' windows").optional(),
    until: isoTime("exclusive; default now").optional(),
    cursor: z
      .string()
      .min(1, "must not be empty")
      .max(65_536, "must be the cursor of the previous answer")
      .meta({ description: "The `cursor` of the previous answer: continue that redrive." })
      .optional(),
  })
  .refine((body) => body.until === undefined || body.since !== undefined, {
    message: "needs 'since' too (the window is since ≤ received < until; until defaults to now)",
    path: ["until"],
  })
  .refine(sinceBeforeUntil, SINCE_BEFORE_UNTIL)
  .refine((body) => body.cursor === undefined || (body.since === undefined && body.until === undefined), {
    message: "carries the redrive's windows: give either a cursor or since/until, not both",
    path: ["cursor"],
  });

/** `POST stream-failures/discard`: every set-aside record, or those naming `eventIds`; `dryRun` lists only. */
export const discardBodySchema = z.strictObject({
  dryRun: z
    .boolean({ error: "must be true or false" })
    .meta({ description: "true: only list the set-aside records that would be discarded." })
    .optional(),
  eventIds: z
    .array(
      z
        .string({ error: "must be an event id (a string 'evt_…')" })
        .regex(EVENT_ID_PATTERN, "must be an event id: 'evt_' followed by 22 letters, digits, '-' or '_'"),
      { error: "must be a list of event ids (strings 'evt_…')" },
    )
    .min(1, "must name at least one event id; omit it to discard every set-aside record")
    .max(
      DISCARD_IDS_MAX,
      `must name at most ${DISCARD_IDS_MAX} event ids; discard the others in another call`,
    )
    .meta({ description: "Only the set-aside records naming these event ids (default: every one)." })
    .optional(),
});

/** A job on the ops jobs queue: run the next slice of a replay. */
export const opsJobSchema = z.strictObject({ replayId: replayIdSchema });
export type OpsJob = z.infer<typeof opsJobSchema>;

// ── responses ───────────────────────────────────────────────────────────────────────────────────────

/** Every response component, registered under its name in the OpenAPI document. */
export const opsComponents = z.registry<{ id: string; description?: string }>();
const component = <S extends z.ZodType>(schema: S, id: string, description: string): S => {
  opsComponents.add(schema, { id, description });
  return schema;
};

export const errorSchema = component(
  z.object({
    code: z
      .string()
      .meta({ description: "Stable machine-readable code (`invalid_request`, `not_found`, …)." }),
    detail: z.string().meta({ description: "One line for people: what is wrong and how to fix it." }),
  }),
  "Error",
  "Every error the functions answer.",
);

/** API Gateway's own body when its authorizer refuses a request (missing, bad or expired token). */
export const gatewayErrorSchema = component(
  z.object({ message: z.string() }),
  "GatewayError",
  'API Gateway\'s own answer, before any function runs: 401 {"message":"Unauthorized"} from the authorizer (the `www-authenticate` header says why).',
);

const deliveryStatusSchema = component(
  z.enum(DELIVERY_STATUSES),
  "DeliveryStatus",
  "Where one event stands with one subscription.",
);

export const eventSummarySchema = component(
  z.object({
    id: z.string(),
    source: z.string(),
    type: z.string(),
    receivedAt: z.string(),
    deliveries: z.array(z.object({ subscription: z.string(), status: deliveryStatusSchema })),
  }),
  "EventSummary",
  "One event of a list, with each subscription's delivery status.",
);

export const eventPageSchema = component(
  z.object({ events: z.array(eventSummarySchema), nextCursor: z.string().optional() }),
  "EventPage",
  "Newest first; pass `nextCursor` as `cursor` for the next (older) page.",
);

const attemptSchema = component(
  z.object({
    attempt: z.number().int(),
    at: z.string(),
    result: z.enum(["delivered", "retry-scheduled", "dead-lettered"]),
    status: z.number().int().optional(),
    errorClass: z.string().optional(),
    latencyMs: z.number(),
    detail: z.string().optional(),
    resendId: z.string().optional(),
  }),
  "Attempt",
  "One delivery attempt: its time, status code or error class, latency and the first bytes of the response; `resendId` names the resend or replay it belongs to (absent for the routed delivery).",
);

export const eventDetailSchema = component(
  z.object({
    id: z.string(),
    source: z.string(),
    provider: z.string(),
    type: z.string(),
    deliveryId: z.string().optional(),
    receivedAt: z.string(),
    contentType: z.string().optional(),
    headers: z.record(z.string(), z.string()),
    payload: z.discriminatedUnion("kind", [
      z.object({ kind: z.literal("json"), json: z.unknown(), bytes: z.number().int() }),
      z.object({ kind: z.literal("base64"), base64: z.string(), bytes: z.number().int() }),
      z.object({ kind: z.literal("erased"), erasedAt: z.string(), bytes: z.number().int() }),
    ]),
    subscriptions: z.array(
      z.object({ subscription: z.string(), status: deliveryStatusSchema, attempts: z.array(attemptSchema) }),
    ),
  }),
  "EventDetail",
  "The event (payload, kept headers, metadata) and every attempt per subscription.",
);

export const resendResultSchema = component(
  z.object({ id: z.string(), resendId: z.string(), subscriptions: z.array(z.string()) }),
  "ResendResult",
  "A fresh delivery of the event (same event id and `webhook-id`) to these subscriptions.",
);

export const erasedSchema = component(
  z.object({ id: z.string(), erasedAt: z.string() }),
  "PayloadErased",
  "The payload is gone; the event's metadata, headers and attempts stay (a tombstone).",
);

/** The filter as a replay reports it back (no request rules: it is what was accepted). */
const replayFilterViewSchema = component(
  z.object({
    source: z.string().optional(),
    type: z.string().optional(),
    subscription: z.string().optional(),
    since: z.string().optional(),
    until: z.string().optional(),
    deadLettered: z.boolean().optional(),
    reason: z.string().optional(),
  }),
  "ReplayFilter",
  "Which events a replay sends.",
);

export const replayEstimateSchema = component(
  z.object({
    dryRun: z.literal(true),
    total: z.number().int(),
    perSubscription: z.record(z.string(), z.number().int()),
    firstIds: z.array(z.string()),
  }),
  "ReplayEstimate",
  "What a replay of the filter would send, per subscription, and the first (newest) event ids.",
);

export const replayStartedSchema = component(
  z.object({ id: z.string() }),
  "ReplayStarted",
  "The replay runs in the background; follow it with GET replays/{id}.",
);

export const replayStatusSchema = component(
  z.object({
    id: z.string(),
    state: z.enum(["running", "done", "failed"]),
    filter: replayFilterViewSchema,
    startedAt: z.string(),
    finishedAt: z.string().optional(),
    by: z.string(),
    total: z.number().int(),
    sent: z.number().int(),
    perSubscription: z.record(z.string(), z.number().int()),
    failures: z.array(
      z.object({ eventId: z.string().optional(), subscription: z.string().optional(), error: z.string() }),
    ),
  }),
  "ReplayStatus",
  "A replay's progress and failures.",
);

const breakerStateSchema = z.enum(["closed", "open", "half-open"]);

export const subscriptionHealthSchema = component(
  z.object({
    id: z.string(),
    target: z.enum(["http", "queue"]),
    url: z.string().optional(),
    state: z.enum(["active", "paused", "disabled"]),
    pausedBy: z.array(z.enum(["ops", "config"])).optional(),
    disabledReason: z.string().optional(),
    changedAt: z.string().optional(),
    backlog: z.number().int(),
    dlqDepth: z.number().int(),
    oldestMessageAgeSeconds: z.number().optional(),
    lastHour: z
      .object({
        delivered: z.number().int(),
        failed: z.number().int(),
        successRate: z.number().optional(),
        p50Ms: z.number().optional(),
        p99Ms: z.number().optional(),
      })
      .optional(),
    breaker: z.object({ state: breakerStateSchema, openUntil: z.string().optional() }).optional(),
    lastError: z.string().optional(),
  }),
  "SubscriptionHealth",
  "A subscription's state, backlog, DLQ depth, last hour's deliveries, breaker and last error.",
);

export const subscriptionListSchema = component(
  z.object({ subscriptions: z.array(subscriptionHealthSchema) }),
  "SubscriptionList",
  "Every subscription of the config, in config order.",
);

export const breakerViewSchema = component(
  z.object({
    destination: z.string(),
    state: breakerStateSchema,
    failures: z.number().int(),
    openUntil: z.string().optional(),
    opens: z.number().int(),
  }),
  "Breaker",
  "The circuit breaker of one destination origin.",
);

const messageHead = { messageId: z.string(), sentAt: z.string().optional() };

const setAsideViewSchema = z.object({
  kind: z.literal("set-aside"),
  ...messageHead,
  sequenceNumber: z.string(),
  eventId: z.string().optional(),
  reason: z.string(),
});

export const streamFailureListSchema = component(
  z.object({
    messages: z.array(
      z.discriminatedUnion("kind", [
        z.object({
          kind: z.literal("batch"),
          ...messageHead,
          condition: z.string(),
          shardId: z.string(),
          startSequenceNumber: z.string(),
          endSequenceNumber: z.string(),
          firstArrival: z.string(),
          lastArrival: z.string(),
          records: z.number().int(),
          window: z.object({ since: z.string(), until: z.string() }),
        }),
        setAsideViewSchema,
        z.object({ kind: z.literal("unreadable"), ...messageHead, detail: z.string() }),
      ]),
    ),
    queued: z.number().int(),
  }),
  "StreamFailureList",
  "The stream failures queue, decoded: batches the router's stream mapping gave up on (their events are " +
    "stored, never routed; `window` is where a redrive looks for them) and records the router set aside " +
    "(their items cannot be routed).",
);

export const redriveReportSchema = component(
  z.object({
    dryRun: z.boolean(),
    windowsFrom: z.enum(["stream-failures", "operator"]),
    windows: z.array(z.object({ since: z.string(), until: z.string() })),
    done: z.boolean(),
    cursor: z.string().optional(),
    scannedItems: z.number().int(),
    readUnits: z.number(),
    inWindows: z.number().int(),
    indexed: z.number().int(),
    routed: z.number().int(),
    perSubscription: z.record(z.string(), z.number().int()),
    unmatched: z.number().int(),
    firstIds: z.array(z.string()),
    unroutable: z.array(
      z.object({ eventId: z.string(), receivedAt: z.string().optional(), reason: z.string() }),
    ),
    unroutableCount: z.number().int(),
    failures: z.array(z.object({ eventId: z.string(), error: z.string() })),
    messages: z.object({
      covered: z.number().int(),
      deleted: z.number().int(),
      left: z.number().int(),
      setAside: z.number().int(),
    }),
  }),
  "RedriveReport",
  "What a redrive routed (or, dry, would route) of the stored events the event index does not list, per " +
    "subscription; until `done`, call again with `cursor`.",
);

export const discardReportSchema = component(
  z.object({
    dryRun: z.boolean(),
    discarded: z.array(setAsideViewSchema),
    notDeleted: z.number().int(),
    unmatched: z.array(z.string()),
    left: z.object({
      batches: z.number().int(),
      setAside: z.number().int(),
      unreadable: z.number().int(),
    }),
    queued: z.number().int(),
  }),
  "DiscardReport",
  "The set-aside records deleted from the stream failures queue (or, dry, that would be), with their event " +
    "id and why; `unmatched`: the asked-for event ids no set-aside record names; `left`: what stays " +
    "(batches are never discarded).",
);

/** What ingest answers an accepted webhook (`POST /webhooks/{sourceId}`). */
export const ingestAcceptedSchema = component(
  z.object({
    id: z
      .string()
      .meta({ description: "The event id (`evt_…`): the same for every retry of one provider event." }),
    duplicate: z
      .literal(true)
      .optional()
      .meta({ description: "Present when the event was accepted before." }),
  }),
  "IngestAccepted",
  "The webhook is accepted (stored durably, exactly once) or was already.",
);

// ── drift checks: the schemas and contract.ts describe the same shapes ─────────────────────────────────

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
/** `true` only when a value valid for the schema is a contract value and a contract value is valid for it. */
type SameShape<S extends z.ZodType, T> = [DeepReadonly<z.output<S>>] extends [T]
  ? [T] extends [DeepReadonly<z.output<S>>]
    ? true
    : false
  : false;
const checks: {
  page: SameShape<typeof eventPageSchema, EventPage>;
  detail: SameShape<typeof eventDetailSchema, EventDetail>;
  resend: SameShape<typeof resendResultSchema, ResendResult>;
  estimate: SameShape<typeof replayEstimateSchema, ReplayEstimate>;
  status: SameShape<typeof replayStatusSchema, ReplayStatus>;
  filter: SameShape<typeof replayFilterViewSchema, ReplayFilter>;
  health: SameShape<typeof subscriptionHealthSchema, SubscriptionHealth>;
  breaker: SameShape<typeof breakerViewSchema, BreakerView>;
  streamFailures: SameShape<typeof streamFailureListSchema, StreamFailureList>;
  redrive: SameShape<typeof redriveReportSchema, RedriveReport>;
  discard: SameShape<typeof discardReportSchema, DiscardSetAsideReport>;
} = {
  page: true,
  detail: true,
  resend: true,
  estimate: true,
  status: true,
  filter: true,
  health: true,
  breaker: true,
  streamFailures: true,
  redrive: true,
  discard: true,
};
void checks;
