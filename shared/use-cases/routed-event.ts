import { buildCloudEvent } from "../domain/cloud-event.js";
import type { StoredEvent } from "../ports/event-store.js";

/**
 * The CloudEvent JSON a stored event travels as on every subscription queue: what the router sends, and
 * what an operator's resend or replay sends again. A body kept in the payload bucket travels as its
 * reference (`dataref`). The event must still hold its payload (not erased).
 */
export function routedCloudEvent(event: StoredEvent): string {
  return JSON.stringify(
    buildCloudEvent({
      eventId: event.id,
      sourceId: event.sourceId,
      provider: event.provider,
      deliveryId: event.deliveryId,
      eventType: event.type,
      receivedAt: new Date(event.receivedAt),
      contentType: event.contentType,
      body: event.body ?? { ref: event.bodyRef as string },
    }),
  );
}
