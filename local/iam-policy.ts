import type { Grant, ResourceRef } from "../shared/topology/grants.js";
import type { FunctionSpec, Topology } from "../shared/topology/topology.js";

/**
 * The local stand-in for IAM: a function's policy (its topology grants, resolved to local ARNs) and
 * the evaluation of one AWS SDK call against it. `iam-guard.ts` runs this inside every sandbox, so an
 * SDK call the deployed role would refuse fails locally too, with the same error.
 */

/** Region and account of every local ARN (the emulators' fixed account). */
export const LOCAL_REGION = "us-east-1";
export const LOCAL_ACCOUNT = "000000000000";

export interface LocalPolicy {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<function>`, as AWS names the caller in a denial. */
  readonly principal: string;
  readonly statements: readonly {
    readonly actions: readonly string[];
    readonly resources: readonly string[];
  }[];
}

/** One permission a call needs: an IAM action on a resource ARN. */
export interface Permission {
  readonly action: string;
  readonly resource: string;
}

export const localArn = {
  table: (name: string) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
  queue: (name: string) => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`,
  bucket: (name: string) => `arn:aws:s3:::${name}`,
  secret: (nameOrArn: string) =>
    nameOrArn.startsWith("arn:")
      ? nameOrArn
      : `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${nameOrArn}`,
} as const;

/** The local ARN of a resource a grant names. */
export function resolveResource(topology: Topology, resource: ResourceRef): string {
  switch (resource.ref) {
    case "table": {
      const arn = localArn.table(topology.tables[resource.table].name);
      return resource.index === undefined ? arn : `${arn}/index/${resource.index}`;
    }
    case "queue":
    case "dlq": {
      const spec = topology.queues.find((q) => q.key === resource.queue);
      if (!spec)
        throw new Error(`A grant names queue '${resource.queue}', which the topology does not have.`);
      return localArn.queue(resource.ref === "queue" ? spec.name : spec.dlq.name);
    }
    case "secret":
      return resource.arn;
    case "bucket-objects":
      return `${localArn.bucket(topology.payloadBucket.localName)}/${resource.prefix}*`;
    case "stream-failures":
      return localArn.queue(topology.streamFailures.name);
    case "any-resource":
      return "*";
  }
}

export function localPolicyFor(
  topology: Topology,
  spec: Pick<FunctionSpec, "name" | "grants">,
  grants: readonly Grant[] = spec.grants,
): LocalPolicy {
  return {
    principal: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${spec.name}-role/${spec.name}`,
    statements: grants.map((g) => ({
      actions: [...g.actions],
      resources: g.resources.map((r) => resolveResource(topology, r)),
    })),
  };
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
function globMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return caseInsensitive ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, caseInsensitive ? "i" : "").test(value);
}

/** Whether some statement allows the action (case-insensitive, as IAM) on the resource (case-sensitive). */
export function isAllowed(policy: LocalPolicy, permission: Permission): boolean {
  return policy.statements.some(
    (s) =>
      s.actions.some((a) => globMatch(a, permission.action, true)) &&
      s.resources.some((r) => globMatch(r, permission.resource, false)),
  );
}

/** AWS's wording for an implicit deny. */
export function denialMessage(policy: LocalPolicy, permission: Permission): string {
  return (
    `User: ${policy.principal} is not authorized to perform: ${permission.action} on resource: ` +
    `${permission.resource} because no identity-based policy allows the ${permission.action} action`
  );
}

type Input = Readonly<Record<string, unknown>>;

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const records = (value: unknown): Input[] =>
  Array.isArray(value) ? value.filter((v): v is Input => typeof v === "object" && v !== null) : [];

/** A queue URL's ARN: the name is its last path segment (`…/<account>/<name>`). */
const queueArnOfUrl = (url: string): string => localArn.queue(url.split("/").filter(Boolean).pop() ?? url);

const tableArnOf = (name: string): string => (name.startsWith("arn:") ? name : localArn.table(name));

/** SQS batch calls are authorized as their single-message action. */
const SQS_ACTION: Readonly<Record<string, string>> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};

const TRANSACT_WRITE: Readonly<Record<string, string>> = {
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  ConditionCheck: "ConditionCheckItem",
};

/** S3 operations authorized under another action's name. */
const S3_ACTION: Readonly<Record<string, string>> = { HeadObject: "GetObject", ListObjectsV2: "ListBucket" };

/**
 * The permissions an SDK call needs, as IAM evaluates it. `service` is the client's `serviceId`,
 * `operation` the command name without `Command`. Unknown services need `*`-level permission on `*`,
 * which no grant gives: a new client must be taught here before a function may use it.
 */
export function permissionsFor(service: string, operation: string, input: Input): Permission[] {
  switch (service) {
    case "DynamoDB": {
      const action = (name: string) => `dynamodb:${name}`;
      if (operation === "BatchWriteItem" || operation === "BatchGetItem") {
        return Object.keys((input.RequestItems as Input | undefined) ?? {}).map((t) => ({
          action: action(operation),
          resource: tableArnOf(t),
        }));
      }
      if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
        return records(input.TransactItems).flatMap((item) =>
          Object.entries(item).map(([kind, request]) => ({
            action: action(operation === "TransactGetItems" ? "GetItem" : (TRANSACT_WRITE[kind] ?? kind)),
            resource: tableArnOf(str((request as Input | undefined)?.TableName) ?? "*"),
          })),
        );
      }
      const tableName = str(input.TableName);
      if (tableName === undefined) return [{ action: action(operation), resource: "*" }];
      const index = str(input.IndexName);
      const arn = tableArnOf(tableName);
      return [{ action: action(operation), resource: index === undefined ? arn : `${arn}/index/${index}` }];
    }
    case "SQS": {
      const action = `sqs:${SQS_ACTION[operation] ?? operation}`;
      const url = str(input.QueueUrl);
      const name = str(input.QueueName);
      const resource =
        url !== undefined ? queueArnOfUrl(url) : name !== undefined ? localArn.queue(name) : "*";
      return [{ action, resource }];
    }
    case "Secrets Manager": {
      const id = str(input.SecretId);
      return [
        { action: `secretsmanager:${operation}`, resource: id === undefined ? "*" : localArn.secret(id) },
      ];
    }
    case "S3": {
      const bucket = str(input.Bucket) ?? "*";
      const key = str(input.Key);
      return [
        {
          action: `s3:${S3_ACTION[operation] ?? operation}`,
          resource: key === undefined ? localArn.bucket(bucket) : `${localArn.bucket(bucket)}/${key}`,
        },
      ];
    }
    case "CloudWatch":
      // GetMetricData, ListMetrics, … support no resource-level permission: IAM evaluates them on `*`.
      return [{ action: `cloudwatch:${operation}`, resource: "*" }];
    default:
      return [{ action: `${service.toLowerCase().replace(/\s+/g, "")}:${operation}`, resource: "*" }];
  }
}

/** The first permission the call needs that the policy does not give, or undefined when all are given. */
export function firstDenied(
  policy: LocalPolicy,
  service: string,
  operation: string,
  input: Input,
): Permission | undefined {
  return permissionsFor(service, operation, input).find((p) => !isAllowed(policy, p));
}
