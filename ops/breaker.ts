import { type BreakerState, CLOSED } from "../shared/domain/circuit-breaker.js";
import type { BreakerStore } from "../shared/ports/breaker-store.js";

/** What on-call sees of one destination's breaker: the state, with times as ISO dates. */
export interface BreakerSummary {
  readonly destination: string;
  readonly state: "closed" | "open" | "half-open";
  /** Consecutive counted failures (closed). */
  readonly failures: number;
  readonly openUntil?: string;
  readonly probeUntil?: string;
  /** How many times in a row it opened; the next cool-down is 30 s × 2^opens, up to 10 min. */
  readonly opens: number;
  /** The failure-rate window, while one runs. */
  readonly window?: { readonly since: string; readonly attempts: number; readonly failures: number };
}

/** The breaker key of a destination URL: its origin. Throws a message naming what to pass otherwise. */
export function destinationOf(urlOrOrigin: string): string {
  let url: URL;
  try {
    url = new URL(urlOrOrigin);
  } catch {
    throw new Error(
      `'${urlOrOrigin}' is not a URL: pass the subscription's target URL or its origin, e.g. https://api.example.com`,
    );
  }
  return url.origin;
}

export async function breakerStatus(
  store: Pick<BreakerStore, "breaker">,
  urlOrOrigin: string,
): Promise<BreakerSummary> {
  const destination = destinationOf(urlOrOrigin);
  return summarize(destination, (await store.breaker(destination)).state);
}

function summarize(destination: string, state: BreakerState): BreakerSummary {
  const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : undefined);
  const openUntil = state.state === "closed" ? undefined : iso(state.openUntil);
  const probeUntil = state.state === "half-open" ? iso(state.probeUntil) : undefined;
  return {
    destination,
    state: state.state,
    failures: state.failures,
    ...(openUntil ? { openUntil } : {}),
    ...(probeUntil ? { probeUntil } : {}),
    opens: state.opens,
    ...(state.state === "closed" && state.windowStart > 0
      ? {
          window: {
            since: new Date(state.windowStart).toISOString(),
            attempts: state.windowAttempts,
            failures: state.windowFailures,
          },
        }
      : {}),
  };
}

/**
 * Closes a destination's breaker now (the receiver is known to be back) and resets its doubling
 * cool-down: new messages go at once, parked ones when their parking delay ends, with no probe round.
 * Compare-and-set, retried on a concurrent change; returns the state it replaced.
 */
export async function closeBreaker(store: BreakerStore, urlOrOrigin: string): Promise<BreakerSummary> {
  const destination = destinationOf(urlOrOrigin);
  for (let i = 0; i < 5; i++) {
    const { state, version } = await store.breaker(destination);
    if (await store.saveBreaker(destination, CLOSED, version)) return summarize(destination, state);
  }
  throw new Error(`the breaker of ${destination} kept changing under us; try again`);
}
