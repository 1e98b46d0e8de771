/**
 * Environment variable names: defined once, imported by the CDK stack, the local runtime and the
 * function code, so the three can never disagree on a name.
 */
export const ENV = {
  /** Path of the webhooks config JSON file (sources and subscriptions). */
  config: "WEBHOOKS_CONFIG",
  /** DynamoDB table holding the events (dedupe record, archive and outbox in one item). */
  eventTable: "EVENT_TABLE_NAME",
  /** DynamoDB table holding delivery records, attempt logs, subscription state and the event index. */
  deliveryTable: "DELIVERY_TABLE_NAME",
  /** S3 bucket for bodies too large for their event item. */
  payloadBucket: "PAYLOAD_BUCKET_NAME",
  /** Queue URL prefix: `${prefix}${queueName}` is the URL of any queue of this stack. */
  queueUrlPrefix: "QUEUE_URL_PREFIX",
  /** Name prefix of every queue of this stack (see `queueNames`). */
  resourcePrefix: "WEBHOOKS_RESOURCE_PREFIX",
  /** `true` lets outbound requests (deliveries, JWKS) reach private networks: the config's `allowPrivateDestinations`. */
  allowPrivateDestinations: "WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS",
  /**
   * `true` lets outbound requests reach loopback. Set by the local runtime only (`local/runtime.ts`),
   * never by the topology, so no deployed function can carry it (a CDK test checks).
   */
  localAllowLoopback: "WEBHOOKS_LOCAL_ALLOW_LOOPBACK",
  /** Custom endpoints for the AWS SDK clients (local emulators). Unset in AWS. */
  sqsEndpoint: "WEBHOOKS_SQS_ENDPOINT",
  dynamodbEndpoint: "WEBHOOKS_DYNAMODB_ENDPOINT",
  s3Endpoint: "WEBHOOKS_S3_ENDPOINT",
  /** Seconds a paused subscription's message waits before it checks again (default 60). */
  pausedRecheckSeconds: "WEBHOOKS_PAUSED_RECHECK_SECONDS",
  /** Local tests only: a file holding the epoch ms the deliver function takes as "now". */
  clockFile: "WEBHOOKS_CLOCK_FILE",
  /** Where `npm start` writes its endpoints and queue URLs as JSON. */
  localState: "WEBHOOKS_LOCAL_STATE",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Reads a required variable, failing with a message that names it. */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new Error(`Environment variable ${name} is required but not set.`);
  }
  return value;
}

export function optionalEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}
