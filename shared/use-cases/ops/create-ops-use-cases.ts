import { type OpsDeps, type OpsSettings, settingsOf } from "./deps.js";
import { createEventOps } from "./events.js";
import type { OpsUseCases } from "./ops-use-cases.js";
import { createReplayOps } from "./replays.js";
import { createStreamFailureOps } from "./stream-failures.js";
import { createSubscriptionOps } from "./subscriptions.js";

/**
 * Every operator action, one implementation each, on ports only: the ops API and the CLI both build
 * this with their adapters. Mutating calls refuse (`forbidden`) an operator without write access; the
 * caller logs who did what (the operator is in every mutating call).
 *
 * - events (`events.ts`): the list (the event index newest first; source, type, time, and — reading the
 *   delivery records in bulk — subscription and status filters that page on until the page is full),
 *   one event (payload, kept headers, attempts per subscription), resend, payload erasure;
 * - replays (`replays.ts`): estimate, start, progress, and the background slices;
 * - subscriptions (`subscriptions.ts`): the health table, pause, resume, closing a breaker;
 * - stream failures (`stream-failures.ts`): the failures queue decoded, the redrive of the events the
 *   router never fanned out, and the discard of the records the router set aside.
 */
export function createOpsUseCases(deps: OpsDeps, settings: OpsSettings = {}): OpsUseCases {
  const events = createEventOps(deps);
  const replays = createReplayOps(deps, settingsOf(settings));
  const subscriptions = createSubscriptionOps(deps);
  const streamFailures = createStreamFailureOps(deps, settingsOf(settings));
  return {
    listEvents: events.listEvents,
    getEvent: events.getEvent,
    resendEvent: events.resendEvent,
    erasePayload: events.erasePayload,
    estimateReplay: replays.estimateReplay,
    startReplay: replays.startReplay,
    getReplay: replays.getReplay,
    continueReplay: replays.continueReplay,
    listSubscriptions: subscriptions.listSubscriptions,
    pauseSubscription: subscriptions.pauseSubscription,
    resumeSubscription: subscriptions.resumeSubscription,
    closeBreaker: subscriptions.closeBreaker,
    listStreamFailures: streamFailures.listStreamFailures,
    redriveStreamFailures: streamFailures.redriveStreamFailures,
    discardSetAside: streamFailures.discardSetAside,
  };
}
