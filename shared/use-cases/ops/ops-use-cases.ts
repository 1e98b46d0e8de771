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
} from "./contract.js";

/**
 * Every operator action, one implementation each: the ops API (functions/ops) and the CLI
 * (`npm run ops`) both call these. Errors are typed `WebhookError`s (`not_found`, `invalid_request`,
 * `conflict`…) whose `detail` names the bad input and how to fix it.
 */
export interface OpsUseCases {
  /** Newest first; `limit` 1–200 (default 50); `cursor` from the previous page. */
  listEvents(
    filter: EventFilter,
    page: { readonly limit?: number; readonly cursor?: string },
  ): Promise<EventPage>;
  getEvent(id: string): Promise<EventDetail>;
  /** A fresh delivery of a stored event (same event id and `webhook-id`) to all or some of its subscriptions. */
  resendEvent(id: string, subscriptions: readonly string[] | undefined, by: Operator): Promise<ResendResult>;
  /** Drops the payload, keeps a tombstone (metadata, headers, attempts). */
  erasePayload(id: string, by: Operator): Promise<{ readonly id: string; readonly erasedAt: string }>;
  /** How many events, per subscription, a replay of `filter` would send, and the first ids. */
  estimateReplay(filter: ReplayFilter): Promise<ReplayEstimate>;
  /** Starts a replay (it runs in the background, in slices); returns its id. */
  startReplay(filter: ReplayFilter, by: Operator): Promise<{ readonly id: string }>;
  getReplay(id: string): Promise<ReplayStatus>;
  /** Runs the next slice of a replay (called by the ops jobs queue's consumer). */
  continueReplay(id: string): Promise<ReplayStatus>;
  listSubscriptions(): Promise<readonly SubscriptionHealth[]>;
  pauseSubscription(id: string, by: Operator): Promise<SubscriptionHealth>;
  resumeSubscription(id: string, by: Operator): Promise<SubscriptionHealth>;
  closeBreaker(url: string, by: Operator): Promise<BreakerView>;
  /** The stream failures queue's messages, decoded (listing takes nothing away); `limit` 1–1000 (default 100). */
  listStreamFailures(options?: { readonly limit?: number }): Promise<StreamFailureList>;
  /**
   * Routes again every stored event of the failures' windows (or the operator's) that the event index
   * does not list; a dry run counts only. Bounded per call: continue with the answer's `cursor` until
   * `done`. A real run needs write access.
   */
  redriveStreamFailures(request: RedriveRequest, by: Operator): Promise<RedriveReport>;
  /**
   * Deletes the records the router set aside from the stream failures queue (every one, or those naming
   * `eventIds`), never a batch message; a dry run says which it would delete. A real run needs write access.
   */
  discardSetAside(request: DiscardSetAsideRequest, by: Operator): Promise<DiscardSetAsideReport>;
}
