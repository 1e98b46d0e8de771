/**
 * Physical resource names. Every name derives from the deployment's resource prefix, and the functions
 * derive the names they need from the same prefix at run time (`WEBHOOKS_RESOURCE_PREFIX`): the router
 * sends to `queueNames.subscription(prefix, id)`, deliver reads its subscription off a queue's name, ops
 * finds the tables by name. Two deployments in one account and region therefore need different prefixes.
 */

/**
 * What a resource prefix may be: short enough that the longest queue name (`<prefix>-sub-<40>-dlq`)
 * fits SQS's 80 characters.
 */
export const RESOURCE_PREFIX_RULE = "1-30 letters, digits or '-'";
const RESOURCE_PREFIX_PATTERN = /^[A-Za-z0-9-]{1,30}$/;

/** True when `prefix` may prefix every resource name (see `RESOURCE_PREFIX_RULE`). */
export const isResourcePrefix = (prefix: string): boolean => RESOURCE_PREFIX_PATTERN.test(prefix);

export const tableNames = {
  events: (prefix: string) => `${prefix}-events`,
  delivery: (prefix: string) => `${prefix}-delivery`,
} as const;

export const queueNames = {
  /** Where the router's event source mapping sends the stream batches it gave up on. */
  streamFailures: (prefix: string) => `${prefix}-stream-failures`,
  subscription: (prefix: string, subscriptionId: string) => `${prefix}-sub-${subscriptionId}`,
  /** The ops function's own work queue: each message runs the next slice of a replay. */
  opsJobs: (prefix: string) => `${prefix}-ops-jobs`,
  dlq: (queueName: string) => `${queueName}-dlq`,
} as const;

/** Inverse of `queueNames.subscription`, used by the deliver function to find its subscription. */
export function subscriptionIdFromQueueName(prefix: string, queueName: string): string | undefined {
  const head = `${prefix}-sub-`;
  return queueName.startsWith(head) && !queueName.endsWith("-dlq") ? queueName.slice(head.length) : undefined;
}

/** A function's name (`<prefix>-ingest`), also the suffix of its log group. */
export const functionName = (prefix: string, key: string): string => `${prefix}-${key}`;

/** The HTTP API's name. */
export const apiName = (prefix: string): string => `${prefix}-api`;

/** The CloudWatch alarm that fires when a DLQ holds a message. */
export const dlqAlarmName = (dlqName: string): string => `${dlqName}-not-empty`;

/**
 * The local payload bucket's name (S3 names are lower-case and global; a deployed stack lets CloudFormation
 * name its bucket and hands the name to the functions).
 */
export const localBucketName = (prefix: string): string => `${prefix.toLowerCase()}-payloads`;

/** Where a body too large for its event item is kept: one object per event, under its source. */
export const payloadKey = (sourceId: string, eventId: string): string => `events/${sourceId}/${eventId}`;
