/**
 * How long things run, are held and are kept: function timeouts, the leases derived from them, the TTLs
 * of stored records, queue retention, and how often SQS hands a message out before its DLQ takes it.
 * The topology (`topology.ts`) deploys these; the functions use the leases and TTLs at run time.
 */

const DAY_SECONDS = 86_400;

export const INGEST_TIMEOUT_SECONDS = 10;
export const ROUTER_TIMEOUT_SECONDS = 30;
export const DELIVER_TIMEOUT_SECONDS = 60;
/** The ops API answers within API Gateway's 30 s integration timeout; a replay runs in slices that fit. */
export const OPS_TIMEOUT_SECONDS = 30;

/**
 * Attempts are kept 30 days; a success record is its attempt's log entry, so it too outlives every copy
 * of a message (queue retention 4 days, DLQ 14) and stops a late copy from being POSTed again.
 */
export const ATTEMPT_LOG_TTL_SECONDS = 30 * DAY_SECONDS;

/** Receives before SQS moves a message to the DLQ: the safety net for crashing consumers. */
export const MAX_RECEIVE_COUNT = 5;
/** Retries are new messages, so 4 days covers any step of a retry schedule. */
export const QUEUE_RETENTION_SECONDS = 4 * DAY_SECONDS;
/**
 * A message keeps its first enqueue time when SQS moves it to the DLQ, so the DLQ keeps messages longer
 * than the source does.
 */
export const DLQ_RETENTION_SECONDS = 14 * DAY_SECONDS;

/** Lambda's guidance: a queue's visibility timeout is at least 6x its consumer's timeout. */
export const visibilityTimeoutFor = (consumerTimeoutSeconds: number): number => consumerTimeoutSeconds * 6;

/** The on-failure queue keeps what the stream mapping gave up on as long as SQS can. */
export const STREAM_FAILURES_RETENTION_SECONDS = 14 * DAY_SECONDS;
/**
 * The router's stream mapping: retries of a failing batch (split in halves first) before it goes to the
 * on-failure queue, and the oldest record it still hands over (a stream keeps records 24 hours).
 */
export const STREAM_MAX_RETRY_ATTEMPTS = 100;
export const STREAM_MAX_RECORD_AGE_SECONDS = DAY_SECONDS;
/** Delivery statistics per subscription and hour are kept this long (the ops API reads the last hour). */
export const DELIVERY_STATS_TTL_SECONDS = 2 * DAY_SECONDS;
