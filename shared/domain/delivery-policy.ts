/**
 * What one delivery attempt produced, and what to do next. Pure: the schedule is data, the random
 * source is injected, and the outcome type alone decides done / retry / dead-letter.
 */
export const ERROR_CLASSES = {
  timeout: "timeout",
  network: "network",
  /** The SSRF guard refused the destination: retrying cannot make it acceptable. */
  blocked: "blocked",
  httpStatus: "http_status",
} as const;
export type ErrorClass = (typeof ERROR_CLASSES)[keyof typeof ERROR_CLASSES];

export type AttemptOutcome =
  | {
      readonly kind: "response";
      readonly status: number;
      /** Parsed `Retry-After`, in seconds from now. */
      readonly retryAfterSeconds?: number;
      /** The receiver's `webhook-delivery` instruction (Svix's delivery control header). */
      readonly deliveryControl?: DeliveryControl;
      /** The first bytes of the response body, for the attempt log. */
      readonly responseSnippet?: string;
      readonly latencyMs: number;
    }
  | {
      readonly kind: "error";
      readonly errorClass: Exclude<ErrorClass, "http_status">;
      readonly message: string;
      readonly latencyMs: number;
    };

/** `webhook-delivery: abort-message` stops retrying this message; `disable` stops the subscription. */
export type DeliveryControl = "abort-message" | "disable";

export function parseDeliveryControl(value: string | null | undefined): DeliveryControl | undefined {
  const v = value?.trim().toLowerCase();
  return v === "abort-message" || v === "disable" ? v : undefined;
}

export const DEAD_LETTER_REASONS = {
  permanentFailure: "permanent_failure",
  retriesExhausted: "retries_exhausted",
  invalidMessage: "invalid_message",
  abortedByReceiver: "aborted_by_receiver",
  subscriptionDisabled: "subscription_disabled",
} as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[keyof typeof DEAD_LETTER_REASONS];

export type Decision =
  | { readonly action: "done" }
  | { readonly action: "retry"; readonly delaySeconds: number }
  | {
      readonly action: "dead-letter";
      readonly reason: DeadLetterReason;
      /** The receiver asked for no more deliveries (410 Gone, `webhook-delivery: disable`). */
      readonly disableSubscription?: true;
    };

/** The longest `Retry-After` we honour; a larger value is clamped to this. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
/** Each scheduled delay is spread by ±10% so retries from one outage do not arrive together. */
export const JITTER = 0.1;

export type Verdict = "success" | "retryable" | "permanent";

/** 2xx succeed; 408, 429, 3xx (redirects are not followed) and 5xx retry; other 4xx are permanent. */
export function classifyOutcome(outcome: AttemptOutcome): Verdict {
  if (outcome.kind === "error") return outcome.errorClass === "blocked" ? "permanent" : "retryable";
  const { status } = outcome;
  if (status >= 200 && status < 300) return "success";
  if (status === 408 || status === 429 || status >= 500 || (status >= 300 && status < 400))
    return "retryable";
  return "permanent";
}

export function decideNext(input: {
  readonly outcome: AttemptOutcome;
  /** 1-based number of the attempt that produced `outcome`. */
  readonly attempt: number;
  readonly scheduleSeconds: readonly number[];
  /** Uniform in [0, 1). */
  readonly random: () => number;
}): Decision {
  const verdict = classifyOutcome(input.outcome);
  if (verdict === "success") return { action: "done" };
  if (input.outcome.kind === "response") {
    const { status, deliveryControl } = input.outcome;
    if (status === 410 || deliveryControl === "disable") {
      return {
        action: "dead-letter",
        reason: DEAD_LETTER_REASONS.subscriptionDisabled,
        disableSubscription: true,
      };
    }
    if (deliveryControl === "abort-message") {
      return { action: "dead-letter", reason: DEAD_LETTER_REASONS.abortedByReceiver };
    }
  }
  if (verdict === "permanent") return { action: "dead-letter", reason: DEAD_LETTER_REASONS.permanentFailure };
  const scheduled = input.scheduleSeconds[input.attempt - 1];
  if (scheduled === undefined) return { action: "dead-letter", reason: DEAD_LETTER_REASONS.retriesExhausted };
  const jittered = scheduled * (1 - JITTER + 2 * JITTER * input.random());
  const retryAfter =
    input.outcome.kind === "response" && input.outcome.retryAfterSeconds !== undefined
      ? Math.min(Math.max(input.outcome.retryAfterSeconds, 0), MAX_RETRY_AFTER_SECONDS)
      : 0;
  return { action: "retry", delaySeconds: Math.max(jittered, retryAfter) };
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into seconds from `nowMs`; undefined if absent or bad. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** What an attempt tells the destination's circuit breaker: only "the receiver is down" counts. */
export function breakerSignal(outcome: AttemptOutcome): "success" | "counted-failure" | "neutral" {
  if (outcome.kind === "error") return outcome.errorClass === "blocked" ? "neutral" : "counted-failure";
  const { status } = outcome;
  if (status >= 200 && status < 300) return "success";
  if (status === 408 || status === 429 || status >= 500) return "counted-failure";
  return "neutral";
}
