import type { SubscriptionConfig } from "../config/schema.js";

/** `invoice.*` matches `invoice.paid` (prefix match); `*` matches all; anything else matches exactly. */
export function eventTypeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/** Whether a subscription wants an event; absent filters match everything. */
export function subscriptionMatches(
  subscription: Pick<SubscriptionConfig, "sources" | "eventTypes">,
  event: { readonly sourceId: string; readonly type: string },
): boolean {
  if (subscription.sources && !subscription.sources.includes(event.sourceId)) return false;
  if (subscription.eventTypes && !subscription.eventTypes.some((p) => eventTypeMatches(p, event.type))) {
    return false;
  }
  return true;
}
