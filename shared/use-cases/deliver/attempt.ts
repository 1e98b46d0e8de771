import { targetSecretRefs } from "../../config/schema.js";
import { afterAttempt, type BreakerPolicy, isQuiet } from "../../domain/circuit-breaker.js";
import { withData } from "../../domain/cloud-event.js";
import type { DeliveryMessage } from "../../domain/delivery-message.js";
import { type AttemptOutcome, breakerSignal } from "../../domain/delivery-policy.js";
import type { BreakerStore } from "../../ports/breaker-store.js";
import type { Admitted } from "./admit.js";
import { breakerPolicyOf, type DeliverDeps, type DeliverSettings } from "./deps.js";
import { outboundRequest } from "./outbound-request.js";

/**
 * One attempt at an admitted message: the signed POST (of the event with its data: a body kept in the
 * payload bucket is fetched first), then what its outcome tells the destination's circuit breaker. The
 * sender never throws (every failure is an outcome); if building the request fails (a secret or the
 * payload cannot be read), the error goes up and the message returns to the queue.
 */
export async function attempt(
  message: DeliveryMessage,
  admitted: Admitted,
  deps: Pick<DeliverDeps, "secrets" | "http" | "breakers" | "payloads">,
  settings: Pick<DeliverSettings, "userAgent" | "breakerPolicy">,
): Promise<AttemptOutcome> {
  const { event, subscription, now } = admitted;
  const [secrets, body] = await Promise.all([
    Promise.all(targetSecretRefs(subscription.target).map((ref) => deps.secrets.resolve(ref))),
    event.dataref === undefined
      ? message.body
      : deps.payloads.get(event.dataref).then((bytes) => JSON.stringify(withData(event, bytes))),
  ]);
  const outcome = await deps.http.post(
    outboundRequest({
      target: subscription.target,
      eventId: event.id,
      body,
      secrets,
      userAgent: settings.userAgent,
      nowMs: now,
    }),
  );

  const policy = breakerPolicyOf(settings);
  const signal = breakerSignal(outcome);
  // A success through a quiet, closed breaker changes nothing: no write (the common, cheap case).
  if (
    !(
      signal === "success" &&
      admitted.breakerAdmission === "send" &&
      isQuiet(admitted.breaker.state, now, policy)
    )
  ) {
    await updateBreaker(deps.breakers, admitted.destination, signal, now, policy);
  }
  return outcome;
}

/** Applies one attempt's signal to the shared breaker (compare-and-set; retried on a concurrent change). */
async function updateBreaker(
  breakers: BreakerStore,
  destination: string,
  signal: ReturnType<typeof breakerSignal>,
  nowMs: number,
  policy: BreakerPolicy,
): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const current = await breakers.breaker(destination);
    const next = afterAttempt(current.state, signal, nowMs, policy);
    if (!next || (await breakers.saveBreaker(destination, next, current.version))) return;
  }
}
