/** SQS message attribute names the delivery pipeline reads and writes. Ops see these on DLQ messages. */
export const DELIVERY_ATTRIBUTES = {
  /** 1-based number of the attempt this message is for. */
  attempt: "webhooks.attempt",
  /** Epoch ms before which the message must not be attempted (long waits hop in 15-minute steps). */
  notBefore: "webhooks.not-before",
  subscriptionId: "webhooks.subscription-id",
  /** On DLQ messages: why it is there (`permanent_failure`, `retries_exhausted`, `invalid_message`). */
  reason: "webhooks.reason",
  /** Attempts made in all. */
  attempts: "webhooks.attempts",
  lastStatus: "webhooks.last-status",
  errorClass: "webhooks.error-class",
  /** Human-readable detail of the last failure. */
  detail: "webhooks.detail",
  failedAt: "webhooks.failed-at",
  /** JSON list of the last attempts: `[{ n, at, s (status) | e (error class) }]`. */
  history: "webhooks.history",
} as const;
