import { ConflictError, NotFoundError } from "../../shared/domain/errors.js";
import type {
  BreakerView,
  DiscardSetAsideReport,
  DiscardSetAsideRequest,
  EventDetail,
  EventFilter,
  EventPage,
  Operator,
  RedriveReport,
  RedriveRequest,
  ReplayEstimate,
  ReplayFilter,
  ReplayStatus,
  ResendResult,
  StreamFailureList,
  SubscriptionHealth,
} from "../../shared/use-cases/ops/contract.js";
import type { OpsUseCases } from "../../shared/use-cases/ops/ops-use-cases.js";

/**
 * An in-memory `OpsUseCases` for the HTTP layer's tests (NOT the real use cases, which live on their own
 * branch): it knows one event, one replay and two subscriptions, answers in the contract's shapes,
 * records every call with its arguments, and can be told to fail a method with a given error.
 */
export const FAKE_EVENT_ID = "evt_AAAAAAAAAAAAAAAAAAAAAA";
export const FAKE_REPLAY_ID = "rpl_1";
export const FAKE_SUBSCRIPTIONS = ["billing", "audit"] as const;

export interface RecordedCall {
  readonly method: keyof OpsUseCases;
  readonly args: readonly unknown[];
}

const AT = "2025-01-31T12:00:00.000Z";

export class FakeOpsUseCases implements OpsUseCases {
  readonly calls: RecordedCall[] = [];
  private readonly failures = new Map<keyof OpsUseCases, unknown>();

  /** The next calls of `method` throw `error`. */
  failWith(method: keyof OpsUseCases, error: unknown): this {
    this.failures.set(method, error);
    return this;
  }

  private record(method: keyof OpsUseCases, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failures.has(method)) throw this.failures.get(method);
  }

  private knownEvent(id: string): void {
    if (id !== FAKE_EVENT_ID)
      throw new NotFoundError(`No event '${id}' in the archive (it may have expired).`);
  }

  private knownSubscription(id: string): void {
    if (!(FAKE_SUBSCRIPTIONS as readonly string[]).includes(id)) {
      throw new NotFoundError(`Unknown subscription '${id}'; known: ${FAKE_SUBSCRIPTIONS.join(", ")}.`);
    }
  }

  async listEvents(
    filter: EventFilter,
    page: { readonly limit?: number; readonly cursor?: string },
  ): Promise<EventPage> {
    this.record("listEvents", filter, page);
    return {
      events: [
        {
          id: FAKE_EVENT_ID,
          source: "stripe",
          type: "invoice.paid",
          receivedAt: AT,
          deliveries: [
            { subscription: "billing", status: "delivered" },
            { subscription: "audit", status: "enqueued" },
          ],
        },
      ],
      nextCursor: "next-page",
    };
  }

  async getEvent(id: string): Promise<EventDetail> {
    this.record("getEvent", id);
    this.knownEvent(id);
    return {
      id,
      source: "stripe",
      provider: "stripe",
      type: "invoice.paid",
      deliveryId: "evt_stripe_1",
      receivedAt: AT,
      contentType: "application/json",
      headers: { "user-agent": "Stripe/1.0" },
      payload: { kind: "json", json: { id: "evt_stripe_1", type: "invoice.paid" }, bytes: 42 },
      subscriptions: [
        {
          subscription: "billing",
          status: "delivered",
          attempts: [
            { attempt: 1, at: AT, result: "retry-scheduled", status: 503, latencyMs: 12, detail: "busy" },
            { attempt: 2, at: AT, result: "delivered", status: 200, latencyMs: 8 },
          ],
        },
      ],
    };
  }

  async resendEvent(
    id: string,
    subscriptions: readonly string[] | undefined,
    by: Operator,
  ): Promise<ResendResult> {
    this.record("resendEvent", id, subscriptions, by);
    this.knownEvent(id);
    return { id, resendId: "rs_1", subscriptions: subscriptions ?? ["billing"] };
  }

  async erasePayload(id: string, by: Operator): Promise<{ readonly id: string; readonly erasedAt: string }> {
    this.record("erasePayload", id, by);
    this.knownEvent(id);
    return { id, erasedAt: AT };
  }

  async estimateReplay(filter: ReplayFilter): Promise<ReplayEstimate> {
    this.record("estimateReplay", filter);
    return { dryRun: true, total: 3, perSubscription: { billing: 2, audit: 1 }, firstIds: [FAKE_EVENT_ID] };
  }

  async startReplay(filter: ReplayFilter, by: Operator): Promise<{ readonly id: string }> {
    this.record("startReplay", filter, by);
    return { id: FAKE_REPLAY_ID };
  }

  private replay(id: string, state: ReplayStatus["state"]): ReplayStatus {
    if (id !== FAKE_REPLAY_ID) throw new NotFoundError(`No replay '${id}'.`);
    return {
      id,
      state,
      filter: { deadLettered: true },
      startedAt: AT,
      ...(state === "running" ? {} : { finishedAt: AT }),
      by: "alice@example.com",
      total: 3,
      sent: state === "running" ? 1 : 3,
      perSubscription: { billing: 2, audit: 1 },
      failures: [{ eventId: FAKE_EVENT_ID, subscription: "billing", error: "queue unavailable" }],
    };
  }

  async getReplay(id: string): Promise<ReplayStatus> {
    this.record("getReplay", id);
    return this.replay(id, "running");
  }

  async continueReplay(id: string): Promise<ReplayStatus> {
    this.record("continueReplay", id);
    return this.replay(id, "done");
  }

  private health(id: string, state: SubscriptionHealth["state"]): SubscriptionHealth {
    return id === "audit"
      ? { id, target: "queue", state, backlog: 4, dlqDepth: 0 }
      : {
          id,
          target: "http",
          url: "https://billing.example.com/hooks",
          state,
          ...(state === "paused" ? { pausedBy: ["ops" as const], changedAt: AT } : {}),
          backlog: 2,
          dlqDepth: 1,
          oldestMessageAgeSeconds: 30,
          lastHour: { delivered: 99, failed: 1, successRate: 0.99, p50Ms: 40, p99Ms: 900 },
          breaker: { state: "closed" },
          lastError: "503 from the receiver",
        };
  }

  async listSubscriptions(): Promise<readonly SubscriptionHealth[]> {
    this.record("listSubscriptions");
    return FAKE_SUBSCRIPTIONS.map((id) => this.health(id, "active"));
  }

  async pauseSubscription(id: string, by: Operator): Promise<SubscriptionHealth> {
    this.record("pauseSubscription", id, by);
    this.knownSubscription(id);
    if (id === "audit")
      throw new ConflictError("'audit' is a queue subscription: its consumers read their queue.");
    return this.health(id, "paused");
  }

  async resumeSubscription(id: string, by: Operator): Promise<SubscriptionHealth> {
    this.record("resumeSubscription", id, by);
    this.knownSubscription(id);
    return this.health(id, "active");
  }

  async closeBreaker(url: string, by: Operator): Promise<BreakerView> {
    this.record("closeBreaker", url, by);
    return { destination: new URL(url).origin, state: "closed", failures: 0, opens: 2 };
  }

  async listStreamFailures(options?: { readonly limit?: number }): Promise<StreamFailureList> {
    this.record("listStreamFailures", options);
    return {
      queued: 2,
      messages: [
        {
          kind: "batch",
          messageId: "m-1",
          sentAt: AT,
          condition: "RetryAttemptsExhausted",
          shardId: "shardId-1",
          startSequenceNumber: "100",
          endSequenceNumber: "102",
          firstArrival: AT,
          lastArrival: AT,
          records: 3,
          window: { since: "2025-01-31T11:55:00.000Z", until: "2025-01-31T12:05:00.001Z" },
        },
        {
          kind: "set-aside",
          messageId: "m-2",
          sentAt: AT,
          sequenceNumber: "103",
          eventId: FAKE_EVENT_ID,
          reason: "the event item holds no payload",
        },
      ],
    };
  }

  async redriveStreamFailures(request: RedriveRequest, by: Operator): Promise<RedriveReport> {
    this.record("redriveStreamFailures", request, by);
    const dryRun = request.dryRun === true;
    return {
      dryRun,
      windowsFrom: request.since === undefined ? "stream-failures" : "operator",
      windows: [{ since: "2025-01-31T11:55:00.000Z", until: "2025-01-31T12:05:00.001Z" }],
      done: true,
      scannedItems: 120,
      readUnits: 3,
      inWindows: 4,
      indexed: 3,
      routed: 1,
      perSubscription: { billing: 1, audit: 0 },
      unmatched: 0,
      firstIds: [FAKE_EVENT_ID],
      unroutable: [],
      unroutableCount: 0,
      failures: [],
      messages: { covered: 1, deleted: dryRun ? 0 : 1, left: dryRun ? 0 : 1, setAside: 1 },
    };
  }

  async discardSetAside(request: DiscardSetAsideRequest, by: Operator): Promise<DiscardSetAsideReport> {
    this.record("discardSetAside", request, by);
    const named = request.eventIds === undefined || request.eventIds.includes(FAKE_EVENT_ID);
    return {
      dryRun: request.dryRun === true,
      discarded: named
        ? [
            {
              kind: "set-aside",
              messageId: "m-2",
              sentAt: AT,
              sequenceNumber: "103",
              eventId: FAKE_EVENT_ID,
              reason: "the event item holds no payload",
            },
          ]
        : [],
      notDeleted: 0,
      unmatched: (request.eventIds ?? []).filter((id) => id !== FAKE_EVENT_ID),
      left: { batches: 1, setAside: named ? 0 : 1, unreadable: 0 },
      queued: 2,
    };
  }
}
