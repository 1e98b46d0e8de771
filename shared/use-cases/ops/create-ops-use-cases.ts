import type { WebhooksConfig } from "../../config/schema.js";
import type { AttemptLogReader } from "../../ports/attempt-log.js";
import type { BreakerStore } from "../../ports/breaker-store.js";
import type { Clock } from "../../ports/clock.js";
import type { EventStore } from "../../ports/event-store.js";
import type { SubscriptionStateStore } from "../../ports/subscription-state.js";
import type { OpsUseCases } from "./ops-use-cases.js";

/**
 * ─── PLACEHOLDER: NOT MERGED YET ───────────────────────────────────────────────────────────────────
 * The real `createOpsUseCases` is written on the use-case branch (i10-opscore); the merge replaces this
 * whole file, and `functions/ops/wiring.ts` then passes the ports that module asks for. Until then the
 * ops function is wired end to end (routes, auth, validation, OpenAPI, the jobs queue) but every use case
 * fails with "not merged yet", which the API answers as a 500. Do not ship this file.
 * ─────────────────────────────────────────────────────────────────────────────────────────────────────
 */
export const OPS_USE_CASES_PLACEHOLDER = true;

/** The ports the placeholder is handed (the real module defines its own). */
export interface OpsUseCasesDeps {
  readonly config: WebhooksConfig;
  readonly events: EventStore;
  readonly attempts: AttemptLogReader;
  readonly subscriptionStates: SubscriptionStateStore;
  readonly breakers: BreakerStore;
  readonly clock: Clock;
}

export function createOpsUseCases(_deps: OpsUseCasesDeps): OpsUseCases {
  const notMerged = (name: string) => async (): Promise<never> => {
    throw new Error(`OpsUseCases.${name}: not merged yet (placeholder in create-ops-use-cases.ts).`);
  };
  return {
    listEvents: notMerged("listEvents"),
    getEvent: notMerged("getEvent"),
    resendEvent: notMerged("resendEvent"),
    erasePayload: notMerged("erasePayload"),
    estimateReplay: notMerged("estimateReplay"),
    startReplay: notMerged("startReplay"),
    getReplay: notMerged("getReplay"),
    continueReplay: notMerged("continueReplay"),
    listSubscriptions: notMerged("listSubscriptions"),
    pauseSubscription: notMerged("pauseSubscription"),
    resumeSubscription: notMerged("resumeSubscription"),
    closeBreaker: notMerged("closeBreaker"),
  };
}
