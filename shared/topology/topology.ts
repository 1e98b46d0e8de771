import { ENV } from "../config/env.js";
import type { WebhooksConfig } from "../config/schema.js";
import { DEFAULT_ROUTE_KEY } from "../http/routes.js";
import {
  DELIVER_TIMEOUT_SECONDS,
  DLQ_RETENTION_SECONDS,
  INGEST_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  QUEUE_RETENTION_SECONDS,
  ROUTER_TIMEOUT_SECONDS,
  visibilityTimeoutFor,
} from "./durations.js";
import { dlq, type Grant, nonEmpty, queue as queueRef, secrets, type TableKey, table } from "./grants.js";
import { functionName, isResourcePrefix, queueNames, RESOURCE_PREFIX_RULE, tableNames } from "./names.js";
import { type SecretUsage, sourceSecrets, targetSecrets } from "./secrets.js";

/**
 * The infrastructure spec: the wiring of the platform as plain data — tables, every queue and DLQ, every
 * function with its trigger, routes, environment and IAM grants. The CDK construct (`cdk/`) deploys
 * exactly this, and the local runtime (`local/`) runs exactly this; neither has its own copy.
 * `test/cdk/topology-parity.test.ts` proves the two agree. Names come from `names.ts`, timeouts, leases
 * and TTLs from `durations.ts`, the build from `bundling.ts`.
 */

/** An environment value: a literal, or a reference each runtime resolves to its own resource. */
export type EnvValue =
  | string
  | { readonly ref: "queue-url"; readonly queue: string }
  | { readonly ref: "queue-url-prefix" }
  | { readonly ref: "table-name" }
  | { readonly ref: "delivery-table-name" }
  | { readonly ref: "config-path" };

export type QueueRole = "ingress" | "http-subscription" | "queue-subscription";

export interface QueueSpec {
  /** Stable key used by references (`ingress`, `sub-billing`). */
  readonly key: string;
  readonly role: QueueRole;
  readonly name: string;
  readonly subscriptionId?: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly dlq: {
    readonly name: string;
    /** Receives before SQS moves a message to the DLQ (`MAX_RECEIVE_COUNT`). */
    readonly maxReceiveCount: number;
    readonly retentionSeconds: number;
  };
}

export interface SqsTriggerSpec {
  readonly queue: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Always on: handlers return `batchItemFailures`. */
  readonly reportBatchItemFailures: true;
  /** Cap on concurrent invocations for this trigger (the mapping's maximum concurrency). */
  readonly maxConcurrency?: number;
}

export type FunctionKey = "ingest" | "router" | "deliver";

export interface FunctionSpec {
  readonly key: FunctionKey;
  /** Physical function name, `${prefix}-${key}` (also the log group's suffix). */
  readonly name: string;
  /** Handler file, relative to the repository root; the export is `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, EnvValue>>;
  /** API Gateway HTTP API route keys integrated with this function (`shared/http/routes.ts`). */
  readonly routes: readonly string[];
  readonly sqsTriggers: readonly SqsTriggerSpec[];
  /**
   * What the function's code may call, on which resources: CDK grants exactly these to its role, and
   * the local runtime refuses any other AWS SDK call from its sandbox (see `grants.ts`).
   */
  readonly grants: readonly Grant[];
  /** The config's secrets this function reads: ARNs (granted above) and where inline ones appear. */
  readonly secrets: SecretUsage;
}

/** A DynamoDB table: string keys, on demand, items expired by TTL on `ttlAttribute`. */
export interface TableSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute: string;
  /** A global secondary index (string keys, all attributes projected). */
  readonly index?: { readonly name: string; readonly partitionKey: string; readonly sortKey: string };
}

/** Dedupe claims, one item per dedupe key (`pk`). */
export interface DedupeTableSpec extends TableSpec {
  readonly partitionKey: "pk";
  readonly ttlAttribute: "expiresAt";
}

/**
 * Delivery state, one table: success records and attempt logs per event (`pk = evt#<id>`), subscription
 * state (`pk = sub#<id>`); the `bySubscription` index lists a subscription's attempts by time.
 */
export interface DeliveryTableSpec extends TableSpec {
  readonly partitionKey: "pk";
  readonly sortKey: "sk";
  readonly ttlAttribute: "expiresAt";
  readonly index: {
    readonly name: "bySubscription";
    readonly partitionKey: "gsi1pk";
    readonly sortKey: "gsi1sk";
  };
}

export interface Topology {
  readonly prefix: string;
  readonly table: DedupeTableSpec;
  readonly deliveryTable: DeliveryTableSpec;
  readonly queues: readonly QueueSpec[];
  readonly functions: readonly FunctionSpec[];
}

/** Where senders post webhooks; `$default` catches everything else so it too answers `{ code, detail }`. */
export const WEBHOOK_ROUTE_KEY = "POST /webhooks/{sourceId}";
export const INGEST_ROUTE_KEYS = [WEBHOOK_ROUTE_KEY, DEFAULT_ROUTE_KEY] as const;

/** Both tables by key, for code that treats them alike (the CDK construct builds both in one loop). */
export const tableSpecs = (topology: Topology): Readonly<Record<TableKey, TableSpec>> => ({
  dedupe: topology.table,
  delivery: topology.deliveryTable,
});

export function buildTopology(config: WebhooksConfig, options: { prefix: string }): Topology {
  const { prefix } = options;
  if (!isResourcePrefix(prefix)) {
    throw new Error(`Resource prefix '${prefix}' must be ${RESOURCE_PREFIX_RULE}.`);
  }
  const router = { timeoutSeconds: ROUTER_TIMEOUT_SECONDS, memoryMb: 512 };
  const deliver = { timeoutSeconds: DELIVER_TIMEOUT_SECONDS, memoryMb: 512 };

  const queue = (
    key: string,
    role: QueueRole,
    name: string,
    consumerTimeoutSeconds: number,
    subscriptionId?: string,
  ): QueueSpec => ({
    key,
    role,
    name,
    ...(subscriptionId === undefined ? {} : { subscriptionId }),
    visibilityTimeoutSeconds: visibilityTimeoutFor(consumerTimeoutSeconds),
    retentionSeconds: QUEUE_RETENTION_SECONDS,
    dlq: {
      name: queueNames.dlq(name),
      maxReceiveCount: MAX_RECEIVE_COUNT,
      retentionSeconds: DLQ_RETENTION_SECONDS,
    },
  });

  const subscriptionQueues = config.subscriptions.map((sub) =>
    queue(
      `sub-${sub.id}`,
      sub.target.type === "http" ? "http-subscription" : "queue-subscription",
      queueNames.subscription(prefix, sub.id),
      // Queue subscriptions are read by internal consumers; give them the same room as delivery.
      deliver.timeoutSeconds,
      sub.id,
    ),
  );
  const queues = [
    queue("ingress", "ingress", queueNames.ingress(prefix), router.timeoutSeconds),
    ...subscriptionQueues,
  ];

  const common: Record<string, EnvValue> = {
    [ENV.config]: { ref: "config-path" },
    [ENV.resourcePrefix]: prefix,
    POWERTOOLS_METRICS_NAMESPACE: "Webhooks",
    NODE_OPTIONS: "--enable-source-maps",
  };

  const functions: FunctionSpec[] = [
    {
      key: "ingest",
      name: functionName(prefix, "ingest"),
      entry: "functions/ingest/handler.ts",
      timeoutSeconds: INGEST_TIMEOUT_SECONDS,
      memoryMb: 1024,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: "webhooks-ingest",
        [ENV.allowPrivateDestinations]: config.allowPrivateDestinations === true ? "true" : "false", // JWKS
        [ENV.dedupeTable]: { ref: "table-name" },
        [ENV.ingressQueueUrl]: { ref: "queue-url", queue: "ingress" },
      },
      routes: INGEST_ROUTE_KEYS,
      sqsTriggers: [],
      grants: nonEmpty([
        // The dedupe claim: conditional put, mark enqueued, release (shared/adapters/dynamodb-dedupe-store.ts).
        {
          actions: ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
          resources: [table("dedupe")],
        },
        { actions: ["sqs:SendMessage"], resources: [queueRef("ingress")] },
        { actions: ["secretsmanager:GetSecretValue"], resources: secrets(sourceSecrets(config).secretArns) },
      ]),
      secrets: sourceSecrets(config),
    },
    {
      key: "router",
      name: functionName(prefix, "router"),
      entry: "functions/router/handler.ts",
      ...router,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: "webhooks-router",
        [ENV.queueUrlPrefix]: { ref: "queue-url-prefix" },
      },
      routes: [],
      sqsTriggers: [
        { queue: "ingress", batchSize: 10, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true },
      ],
      // Consuming ingress comes with the trigger; the router only sends (SendMessageBatch is sqs:SendMessage).
      grants: nonEmpty([
        { actions: ["sqs:SendMessage"], resources: subscriptionQueues.map((q) => queueRef(q.key)) },
      ]),
      secrets: { secretArns: [], inlineAt: [] },
    },
  ];

  const httpQueues = subscriptionQueues.filter((q) => q.role === "http-subscription");
  if (httpQueues.length > 0) {
    functions.push({
      key: "deliver",
      name: functionName(prefix, "deliver"),
      entry: "functions/deliver/handler.ts",
      ...deliver,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: "webhooks-deliver",
        [ENV.allowPrivateDestinations]: config.allowPrivateDestinations === true ? "true" : "false",
        [ENV.queueUrlPrefix]: { ref: "queue-url-prefix" },
        [ENV.deliveryTable]: { ref: "delivery-table-name" },
      },
      routes: [],
      sqsTriggers: httpQueues.map((q) => {
        const maxConcurrency = config.subscriptions.find((s) => s.id === q.subscriptionId)?.maxConcurrency;
        return {
          queue: q.key,
          batchSize: 10,
          maxBatchingWindowSeconds: 0,
          reportBatchItemFailures: true,
          ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
        };
      }),
      grants: nonEmpty([
        // Retries and parking are new messages on the queue; dead letters go to its DLQ.
        {
          actions: ["sqs:SendMessage"],
          resources: httpQueues.flatMap((q) => [queueRef(q.key), dlq(q.key)]),
        },
        // Leases, success records, attempt log, subscription state, breakers and rate counters
        // (shared/adapters/dynamodb-delivery-store.ts). The attempt-log index is read by ops only.
        {
          actions: [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
          ],
          resources: [table("delivery")],
        },
        { actions: ["secretsmanager:GetSecretValue"], resources: secrets(targetSecrets(config).secretArns) },
      ]),
      secrets: targetSecrets(config),
    });
  }

  return {
    prefix,
    table: { name: tableNames.dedupe(prefix), partitionKey: "pk", ttlAttribute: "expiresAt" },
    deliveryTable: {
      name: tableNames.delivery(prefix),
      partitionKey: "pk",
      sortKey: "sk",
      ttlAttribute: "expiresAt",
      index: { name: "bySubscription", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
    },
    queues,
    functions,
  };
}

export function findQueue(topology: Topology, key: string): QueueSpec {
  const found = topology.queues.find((q) => q.key === key);
  if (!found) throw new Error(`Topology has no queue '${key}'.`);
  return found;
}
