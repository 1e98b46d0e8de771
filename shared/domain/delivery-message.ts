/** One earlier attempt at a message, as the message itself carries it (the attempt log keeps more). */
export interface AttemptSummary {
  readonly attempt: number;
  /** Epoch ms when the attempt started. */
  readonly at: number;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why there was no answer (`timeout`, `network`, `blocked`). */
  readonly errorClass?: string;
}

/**
 * A message on a subscription queue, as the deliver use case sees it: the CloudEvent body and what the
 * queue carried with it. The queue adapter builds it from what it received and reads it back when it
 * sends the message on (`DeliveryQueue`).
 */
export interface DeliveryMessage {
  /** The queue's id for this copy (a partial batch failure names it). */
  readonly messageId: string;
  /** The CloudEvent JSON, byte for byte as routed. */
  readonly body: string;
  /** The queue it came from: it names the subscription, and retries go back to it. */
  readonly queueName: string;
  /** 1-based number of the attempt this message is for. */
  readonly attempt: number;
  /** The earlier attempts, oldest first. */
  readonly history: readonly AttemptSummary[];
  /** Epoch ms before which it must not be attempted; undefined when it is due on arrival. */
  readonly dueAt?: number;
  /**
   * Names an operator's resend (or replay) of the event: a new delivery, recorded apart from the routed
   * one (its own success record), so an earlier success does not stop it. Undefined for routed messages.
   */
  readonly resendId?: string;
  /**
   * What the queue adapter carries along unchanged when the message goes back to the queue as it is
   * (parked, or not due yet), in the adapter's own vocabulary. The use case never looks inside.
   */
  readonly transport: Readonly<Record<string, string>>;
}

/** The due time `delaySeconds` after `from` (both epoch ms; a negative delay counts as none). */
export const dueAfter = (from: number, delaySeconds: number): number =>
  from + Math.round(Math.max(0, delaySeconds) * 1000);
