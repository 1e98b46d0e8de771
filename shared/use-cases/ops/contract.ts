/**
 * What the ops API answers and the console shows: the shapes every ops use case returns. The HTTP
 * layer validates requests and documents responses (OpenAPI) from zod schemas of these same shapes
 * (`shared/http/ops-schemas.ts`); the CLI prints them as tables.
 */

/** Where one event stands with one subscription. */
export type DeliveryStatus =
  /** A POST succeeded (or a resend of it did). */
  | "delivered"
  /** At least one attempt failed; a retry is scheduled. */
  | "retrying"
  /** Given up on: the message is in the subscription's DLQ with its reason. */
  | "dead-lettered"
  /** Routed to an HTTP subscription, no attempt recorded yet (in the queue, or parked). */
  | "pending"
  /** Routed to a queue subscription: its consumer reads it. */
  | "enqueued";

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  "delivered",
  "retrying",
  "dead-lettered",
  "pending",
  "enqueued",
];

export interface EventSummary {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** ISO 8601. */
  readonly receivedAt: string;
  /** One entry per subscription the event was routed to. */
  readonly deliveries: readonly { readonly subscription: string; readonly status: DeliveryStatus }[];
}

export interface EventPage {
  readonly events: readonly EventSummary[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
}

export interface EventFilter {
  readonly source?: string;
  readonly type?: string;
  readonly subscription?: string;
  readonly status?: DeliveryStatus;
  /** ISO 8601, inclusive. */
  readonly since?: string;
  /** ISO 8601, exclusive. */
  readonly until?: string;
}

export interface AttemptView {
  readonly attempt: number;
  readonly at: string;
  readonly result: "delivered" | "retry-scheduled" | "dead-lettered";
  readonly status?: number;
  readonly errorClass?: string;
  readonly latencyMs: number;
  /** The first bytes of the response, or the error message. */
  readonly detail?: string;
  /** The operator's resend or replay this attempt belongs to (its attempts count from 1 again). */
  readonly resendId?: string;
}

export interface EventDetail {
  readonly id: string;
  readonly source: string;
  readonly provider: string;
  readonly type: string;
  readonly deliveryId?: string;
  readonly receivedAt: string;
  readonly contentType?: string;
  /** The request headers kept with the event (never credentials or signatures). */
  readonly headers: Readonly<Record<string, string>>;
  readonly payload:
    | { readonly kind: "json"; readonly json: unknown; readonly bytes: number }
    | { readonly kind: "base64"; readonly base64: string; readonly bytes: number }
    | { readonly kind: "erased"; readonly erasedAt: string; readonly bytes: number };
  readonly subscriptions: readonly {
    readonly subscription: string;
    readonly status: DeliveryStatus;
    readonly attempts: readonly AttemptView[];
  }[];
}

export interface ResendResult {
  readonly id: string;
  /** Names the resend: its deliveries are new deliveries, the same event id and `webhook-id`. */
  readonly resendId: string;
  readonly subscriptions: readonly string[];
}

export interface ReplayFilter extends Omit<EventFilter, "status"> {
  /** Dead letters only (taken out of the DLQs), optionally with this reason. */
  readonly deadLettered?: boolean;
  readonly reason?: string;
}

export interface ReplayEstimate {
  readonly dryRun: true;
  readonly total: number;
  readonly perSubscription: Readonly<Record<string, number>>;
  /** The first (newest) event ids that would be sent. */
  readonly firstIds: readonly string[];
}

export type ReplayState = "running" | "done" | "failed";

export interface ReplayStatus {
  readonly id: string;
  readonly state: ReplayState;
  readonly filter: ReplayFilter;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Who started it. */
  readonly by: string;
  readonly total: number;
  readonly sent: number;
  readonly perSubscription: Readonly<Record<string, number>>;
  readonly failures: readonly {
    readonly eventId?: string;
    readonly subscription?: string;
    readonly error: string;
  }[];
}

export interface SubscriptionHealth {
  readonly id: string;
  readonly target: "http" | "queue";
  readonly url?: string;
  readonly state: "active" | "paused" | "disabled";
  readonly pausedBy?: readonly ("ops" | "config")[];
  readonly disabledReason?: string;
  readonly changedAt?: string;
  /** Messages waiting in its queue (visible + in flight + delayed). */
  readonly backlog: number;
  readonly dlqDepth: number;
  /** Age of the oldest message in its queue, when known. */
  readonly oldestMessageAgeSeconds?: number;
  /** Deliveries over the last hour (HTTP subscriptions). */
  readonly lastHour?: {
    readonly delivered: number;
    readonly failed: number;
    readonly successRate?: number;
    readonly p50Ms?: number;
    readonly p99Ms?: number;
  };
  readonly breaker?: { readonly state: "closed" | "open" | "half-open"; readonly openUntil?: string };
  readonly lastError?: string;
}

export interface BreakerView {
  readonly destination: string;
  readonly state: "closed" | "open" | "half-open";
  readonly failures: number;
  readonly openUntil?: string;
  readonly opens: number;
}

/** Who asked: logged with every mutating call. */
export interface Operator {
  /** `local-operator`, the token's `sub`/`email`, or the IAM ARN. */
  readonly id: string;
  readonly canWrite: boolean;
}

/** A message of the stream failures queue, decoded. Times are ISO 8601. */
export type StreamFailureView =
  /** The router's stream mapping gave up on a batch: its events are stored but were never routed. */
  | {
      readonly kind: "batch";
      readonly messageId: string;
      readonly sentAt?: string;
      /** `RetryAttemptsExhausted`, `RecordAgeExceeded`, … */
      readonly condition: string;
      readonly shardId: string;
      readonly startSequenceNumber: string;
      readonly endSequenceNumber: string;
      readonly firstArrival: string;
      readonly lastArrival: string;
      readonly records: number;
      /** The arrivals a redrive looks in for its events: first to last, widened by the margin. */
      readonly window: { readonly since: string; readonly until: string };
    }
  /** The router set a record aside: its item cannot be routed (a redrive reports it, never routes it). */
  | {
      readonly kind: "set-aside";
      readonly messageId: string;
      readonly sentAt?: string;
      readonly sequenceNumber: string;
      readonly eventId?: string;
      readonly reason: string;
    }
  /** A message of neither kind (the start of its text). */
  | {
      readonly kind: "unreadable";
      readonly messageId: string;
      readonly sentAt?: string;
      readonly detail: string;
    };

export interface StreamFailureList {
  readonly messages: readonly StreamFailureView[];
  /** Messages in the queue when it was read (more than listed when over the limit). */
  readonly queued: number;
}

/** A set-aside record of the stream failures queue, as listed. */
export type SetAsideView = Extract<StreamFailureView, { readonly kind: "set-aside" }>;

/** Event ids one discard of set-aside records names, at most. */
export const DISCARD_IDS_MAX = 100;

/** Which set-aside records to discard: by default every one in the stream failures queue. */
export interface DiscardSetAsideRequest {
  /** Say what would be discarded: discard nothing. */
  readonly dryRun?: boolean;
  /** Only the records naming these event ids (1 to `DISCARD_IDS_MAX` when given). */
  readonly eventIds?: readonly string[];
}

/** What a discard of set-aside records removed (a dry run: would remove), and what the queue keeps. */
export interface DiscardSetAsideReport {
  readonly dryRun: boolean;
  /** The set-aside records deleted from the queue (a dry run: that would be), with their event id and why. */
  readonly discarded: readonly SetAsideView[];
  /** Chosen but not deleted (SQS refused): they stay in the queue and show up again. */
  readonly notDeleted: number;
  /** Of the `eventIds` asked for, those no set-aside record in the queue names (already gone, or a typo). */
  readonly unmatched: readonly string[];
  /** What stays in the queue of the messages looked at: batches are never discarded. */
  readonly left: {
    readonly batches: number;
    readonly setAside: number;
    readonly unreadable: number;
  };
  /** Messages in the queue when it began; more than it looked at (in flight, or past 1000): run it again. */
  readonly queued: number;
}

/** What to redrive: by default the windows of the batches in the stream failures queue. */
export interface RedriveRequest {
  /** Count only: route nothing, delete nothing. */
  readonly dryRun?: boolean;
  /** The operator's own window instead (ISO 8601; `until` defaults to now). */
  readonly since?: string;
  readonly until?: string;
  /** The `cursor` of the previous answer: continue that redrive (its windows and mode). */
  readonly cursor?: string;
}

/** What a redrive counted, over all its calls so far. */
export interface RedriveCounts {
  /** Items of the event table the scan read so far, and the read units it consumed. */
  readonly scannedItems: number;
  readonly readUnits: number;
  /** Stored events received in the windows, and how many of them the event index lists (left alone). */
  readonly inWindows: number;
  readonly indexed: number;
  /** Events routed (a dry run: to route): each listed in the index and copied to its subscriptions. */
  readonly routed: number;
  readonly perSubscription: Readonly<Record<string, number>>;
  /** Of the routed events, those no subscription wants: listed in the index, sent nowhere. */
  readonly unmatched: number;
  /** The first ids routed (or to route). */
  readonly firstIds: readonly string[];
  /** How many events the index does not list cannot be routed (the report names the first ones). */
  readonly unroutableCount: number;
}

export interface RedriveReport extends RedriveCounts {
  readonly dryRun: boolean;
  /** The windows come from the stream failures queue's batches (widened by the margin) or the operator. */
  readonly windowsFrom: "stream-failures" | "operator";
  readonly windows: readonly { readonly since: string; readonly until: string }[];
  /** False: call again with `cursor` to continue (the scan, or copies that could not be queued yet). */
  readonly done: boolean;
  readonly cursor?: string;
  /** Events the index does not list that cannot be routed, with why (the first ones). */
  readonly unroutable: readonly {
    readonly eventId: string;
    readonly receivedAt?: string;
    readonly reason: string;
  }[];
  /** Events whose copies could not be queued in this call: the next call with `cursor` sends them again. */
  readonly failures: readonly { readonly eventId: string; readonly error: string }[];
  readonly messages: {
    /** Batch messages in the queue whose window the redrive covers, when it began. */
    readonly covered: number;
    /**
     * Deleted by the last call (a dry run's last call: would be deleted): the covered batches sent before
     * the redrive began, holding no event that cannot be routed.
     */
    readonly deleted: number;
    /** Left in the queue after the last call (a dry run: would be left), set-aside records included. */
    readonly left: number;
    /** Set-aside records in the queue: reported, never redriven (their items cannot be routed). */
    readonly setAside: number;
  };
}
