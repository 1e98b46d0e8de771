/**
 * IAM grants as data. Each function spec of the topology lists what its code may call, on which
 * resources; the CDK construct turns every grant into a policy statement on the function's role, and the
 * local runtime checks every AWS SDK call a function's sandbox makes against the same list. A grant
 * that is missing therefore fails locally (`AccessDeniedException`) exactly where it would fail in AWS.
 *
 * What is not here: permissions AWS adds for its own machinery — the event source mappings' consumption
 * of their queues (`sqs:ReceiveMessage`, …), writing to the function's log group, X-Ray, and KMS on a
 * customer-managed table key. CDK derives those from the triggers and props; the parity test checks
 * that the role holds nothing else.
 */

/** The DynamoDB tables of the topology. */
export type TableKey = "events" | "delivery";

/** A resource a grant names; each runtime resolves it to its own ARN. */
export type ResourceRef =
  /** A table; with `index`, that global secondary index of it. */
  | { readonly ref: "table"; readonly table: TableKey; readonly index?: string }
  /** A queue of the topology, by key. */
  | { readonly ref: "queue"; readonly queue: string }
  /** The dead-letter queue of a topology queue, by the queue's key. */
  | { readonly ref: "dlq"; readonly queue: string }
  /** A Secrets Manager secret, by its full ARN (from the config). */
  | { readonly ref: "secret"; readonly arn: string }
  /** Objects of the payload bucket under `prefix` (`events/*`). */
  | { readonly ref: "bucket-objects"; readonly prefix: string }
  /** The router's on-failure queue (`Topology.streamFailures`). */
  | { readonly ref: "stream-failures" }
  /**
   * Every resource (`*`): only for actions that support no resource-level permission
   * (`cloudwatch:GetMetricData`); CDK acknowledges cdk-nag's IAM5 for it with that reason.
   */
  | { readonly ref: "any-resource" };

export interface Grant {
  /** IAM actions, e.g. `dynamodb:PutItem`; never a wildcard. */
  readonly actions: readonly string[];
  readonly resources: readonly ResourceRef[];
}

export const table = (key: TableKey, index?: string): ResourceRef =>
  index === undefined ? { ref: "table", table: key } : { ref: "table", table: key, index };
export const queue = (key: string): ResourceRef => ({ ref: "queue", queue: key });
export const dlq = (key: string): ResourceRef => ({ ref: "dlq", queue: key });
export const bucketObjects = (prefix: string): ResourceRef => ({ ref: "bucket-objects", prefix });
export const anyResource: ResourceRef = { ref: "any-resource" };
export const secrets = (arns: readonly string[]): ResourceRef[] =>
  arns.map((arn) => ({ ref: "secret", arn }));

/** Drops grants that name no resource (a config with no Secrets Manager secrets, say). */
export const nonEmpty = (grants: readonly Grant[]): Grant[] => grants.filter((g) => g.resources.length > 0);

/** A readable one-line form, for error messages: `dynamodb:PutItem on table dedupe`. */
export function describeResource(resource: ResourceRef): string {
  switch (resource.ref) {
    case "table":
      return resource.index === undefined
        ? `table ${resource.table}`
        : `index ${resource.index} of table ${resource.table}`;
    case "queue":
      return `queue ${resource.queue}`;
    case "dlq":
      return `the DLQ of queue ${resource.queue}`;
    case "secret":
      return `secret ${resource.arn}`;
    case "bucket-objects":
      return `objects ${resource.prefix}* of the payload bucket`;
    case "stream-failures":
      return "the stream failures queue";
    case "any-resource":
      return "every resource (*)";
  }
}
