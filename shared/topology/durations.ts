/**
 * How long things run, are held and are kept: function timeouts, the leases derived from them, the TTLs
 * of stored records, queue retention, and how often SQS hands a message out before its DLQ takes it.
 * The topology (`topology.ts`) deploys these; the functions use the leases and TTLs at run time.
 */

const DAY_SECONDS = 86_400;

export const INGEST_TIMEOUT_SECONDS = 10;
export const ROUTER_TIMEOUT_SECONDS = 30;
export const DELIVER_TIMEOUT_SECONDS = 60;

/** A dedupe claim outlives the ingest invocation that made it; after that a retry may take it over. */
export const DEDUPE_LEASE_SECONDS = INGEST_TIMEOUT_SECONDS + 5;
/** One delivery attempt holds its (event, subscription) lease at most as long as the function runs. */
export const DELIVERY_LEASE_SECONDS = DELIVER_TIMEOUT_SECONDS;
/** Successes are remembered longer than any copy of a message can live (queue retention, 4 days). */
export const DELIVERED_TTL_SECONDS = 7 * DAY_SECONDS;
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
