import { ENV } from "../config/env.js";
import {
  DEFAULT_BATCHING,
  eventLifetimeSeconds,
  type IngressKind,
  type OpsAuthConfig,
  type WebhooksConfig,
} from "../config/schema.js";
import {
  OPS_API_FALLBACK_ROUTE_KEY,
  OPS_CONSOLE_DIR,
  OPS_CONSOLE_ROUTE_KEYS,
  OPS_ROUTE_KEYS,
} from "../http/ops-routes.js";
import { DEFAULT_ROUTE_KEY } from "../http/routes.js";
import { RETRY_HORIZON_SECONDS } from "../verify/catalog.js";
import type { AssetSpec } from "./bundling.js";
import {
  DELIVER_TIMEOUT_SECONDS,
  DLQ_RETENTION_SECONDS,
  INGEST_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  OPS_TIMEOUT_SECONDS,
  QUEUE_RETENTION_SECONDS,
  ROUTER_TIMEOUT_SECONDS,
  STREAM_FAILURES_RETENTION_SECONDS,
  STREAM_MAX_RECORD_AGE_SECONDS,
  STREAM_MAX_RETRY_ATTEMPTS,
  visibilityTimeoutFor,
} from "./durations.js";
import {
  anyResource,
  bucketObjects,
  dlq,
  type Grant,
  nonEmpty,
  queue as queueRef,
  type ResourceRef,
  secrets,
  type TableKey,
  table,
} from "./grants.js";
import {
  functionName,
  isResourcePrefix,
  localBucketName,
  queueNames,
  RESOURCE_PREFIX_RULE,
  tableNames,
} from "./names.js";
import { type SecretUsage, sourceSecrets, targetSecrets } from "./secrets.js";

/**
 * The infrastructure spec: the wiring of the platform as plain data — tables (and the event table's
 * stream), the payload bucket, every queue and DLQ, every function with its triggers, routes, environment
 * and IAM grants. The CDK construct (`cdk/`) deploys exactly this, and the local runtime (`local/`) runs
 * exactly this; neither has its own copy. `test/cdk/topology-parity.test.ts` proves the two agree. Names
 * come from `names.ts`, timeouts and TTLs from `durations.ts`, the build from `bundling.ts`.
 */

/** An environment value: a literal, or a reference each runtime resolves to its own resource. */
export type EnvValue =
  | string
  | { readonly ref: "queue-url-prefix" }
  | { readonly ref: "table-name"; readonly table: TableKey }
  | { readonly ref: "bucket-name" }
  | { readonly ref: "config-path" };

export type QueueRole = "http-subscription" | "queue-subscription" | "ops-jobs";

export interface QueueSpec {
  /** Stable key used by references (`sub-billing`, `ops-jobs`). */
  readonly key: string;
  readonly role: QueueRole;
  readonly name: string;
  /** The subscription a subscription queue belongs to; absent for the ops jobs queue. */
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

/**
 * A Lambda event filter (the EventBridge pattern syntax), passed to the mapping as is and matched by
 * the local runtime's stream reader with the same meaning (`local/event-pattern.ts`).
 */
export type EventFilter = Readonly<Record<string, unknown>>;

/** A DynamoDB stream event source mapping. */
export interface StreamTriggerSpec {
  readonly table: TableKey;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: "TRIM_HORIZON";
  /** Records matching none of these never reach the function (and are not billed). */
  readonly filters: readonly EventFilter[];
  readonly reportBatchItemFailures: true;
  readonly bisectBatchOnFunctionError: true;
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  /** Where batches given up on go (their shard and sequence range, not the items): `streamFailures`. */
  readonly onFailure: "stream-failures";
}

export type FunctionKey = "ingest" | "router" | "deliver" | "ops";

/**
 * Who may call a route: `none` (ingest authenticates each webhook by its signature; the console's static
 * files hold no data), or `ops` — the ops authorizer: in AWS the one `ops.auth` configures (a JWT
 * authorizer or AWS_IAM), locally the API server's check of the token `npm start` prints. Both runtimes
 * read it from here.
 */
export type RouteAuth = "none" | "ops";

export interface RouteSpec {
  /** API Gateway route key (`shared/http/routes.ts`). */
  readonly key: string;
  readonly auth: RouteAuth;
}

export interface FunctionSpec {
  readonly key: FunctionKey;
  /** Physical function name, `${prefix}-${key}` (also the log group's suffix). */
  readonly name: string;
  /** Handler file, relative to the repository root; the export is `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, EnvValue>>;
  /** API Gateway HTTP API routes integrated with this function, with who may call each. */
  readonly routes: readonly RouteSpec[];
  /** A Lambda Function URL (auth NONE: the function authenticates every request itself). */
  readonly functionUrl: boolean;
  readonly sqsTriggers: readonly SqsTriggerSpec[];
  readonly streamTriggers: readonly StreamTriggerSpec[];
  /**
   * What the function's code may call, on which resources: CDK grants exactly these to its role, and
   * the local runtime refuses any other AWS SDK call from its sandbox (see `grants.ts`).
   */
  readonly grants: readonly Grant[];
  /** The config's secrets this function reads: ARNs (granted above) and where inline ones appear. */
  readonly secrets: SecretUsage;
  /** Files built or copied into the function's bundle directory beside its handler (both runtimes). */
  readonly assets?: readonly AssetSpec[];
}

/** A DynamoDB table: string keys, on demand, items expired by TTL on `ttlAttribute`. */
export interface TableSpec {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute: string;
  /** A global secondary index (string keys, all attributes projected). */
  readonly index?: { readonly name: string; readonly partitionKey: string; readonly sortKey: string };
  /** A stream of the table's changes, new images only. */
  readonly stream?: "NEW_IMAGE";
}

/**
 * The event table: one item per accepted event (`pk` = event id), written once by ingest — the dedupe
 * record, the archive and the outbox at once (`shared/adapters/event-item.ts` has the layout). Its
 * stream feeds the router.
 */
export interface EventTableSpec extends TableSpec {
  readonly partitionKey: "pk";
  readonly ttlAttribute: "exp";
  readonly stream: "NEW_IMAGE";
}

/**
 * Delivery state, one table: success records and attempt logs per event (`pk = evt#<id>`), subscription
 * state (`pk = sub#<id>`), breakers, rate counters, the event index the router writes per batch and the
 * delivery statistics; the `bySubscription` index lists a subscription's failed attempts by time.
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

/** The bucket for bodies too large for their event item; objects expire with their events. */
export interface PayloadBucketSpec {
  /** The bucket's name on the emulator; a deployed stack lets CloudFormation name it. */
  readonly localName: string;
  /** One expiry per source (`events/<sourceId>/`), the same lifetime as its event items. */
  readonly expiry: readonly { readonly prefix: string; readonly days: number }[];
}

export interface Topology {
  readonly prefix: string;
  readonly tables: { readonly events: EventTableSpec; readonly delivery: DeliveryTableSpec };
  readonly payloadBucket: PayloadBucketSpec;
  readonly queues: readonly QueueSpec[];
  /** The stream mapping's on-failure destination (no DLQ of its own: it is where failures rest). */
  readonly streamFailures: { readonly name: string; readonly retentionSeconds: number };
  /** Which front doors reach the ingest function. */
  readonly ingress: { readonly httpApi: boolean; readonly functionUrl: boolean };
  /**
   * The authorizer of the routes with auth `ops` (the config's `ops.auth`). A deployed stack has ops
   * routes only when it is set; the local stack always has them, behind its own token.
   */
  readonly opsAuth?: OpsAuthConfig;
  readonly functions: readonly FunctionSpec[];
}

/** Where senders post webhooks; `$default` catches everything else so it too answers `{ code, detail }`. */
export const WEBHOOK_ROUTE_KEY = "POST /webhooks/{sourceId}";
export const INGEST_ROUTE_KEYS = [WEBHOOK_ROUTE_KEY, DEFAULT_ROUTE_KEY] as const;

/** The ops function's routes: the API behind the ops authorizer, the console's static files open. */
export const OPS_FUNCTION_ROUTES: readonly RouteSpec[] = [
  ...OPS_ROUTE_KEYS.map((key): RouteSpec => ({ key, auth: "ops" })),
  { key: OPS_API_FALLBACK_ROUTE_KEY, auth: "ops" },
  ...OPS_CONSOLE_ROUTE_KEYS.map((key): RouteSpec => ({ key, auth: "none" })),
];

/**
 * The ops console (`console/`): its page, script and styles, served by the ops function from its bundle
 * directory at `GET /ops/…`. One definition drives CDK's bundling and the local runtime's.
 */
export const OPS_CONSOLE_ASSETS: readonly AssetSpec[] = [
  { entry: "console/index.html", out: `${OPS_CONSOLE_DIR}/index.html`, kind: "copy" },
  { entry: "console/app.ts", out: `${OPS_CONSOLE_DIR}/app.js`, kind: "bundle" },
  { entry: "console/styles.css", out: `${OPS_CONSOLE_DIR}/app.css`, kind: "bundle" },
];

/**
 * What the router is handed from the event table's stream: new events, and events accepted again over
 * an item past its TTL (a `MODIFY` of the whole item). An operator's payload erasure (`er`) is not routed,
 * and neither are TTL deletions (`REMOVE`).
 */
export const ROUTER_STREAM_FILTERS: readonly EventFilter[] = [
  { eventName: ["INSERT"] },
  { eventName: ["MODIFY"], dynamodb: { NewImage: { er: { BOOL: [{ exists: false }] } } } },
];

/** The event index and delivery statistics items are at most this many events each. */
export const ROUTER_BATCH_SIZE = 100;
export const DELIVERY_BATCH_SIZE = 10;

const ingressOf = (kind: IngressKind = "http-api") => ({
  httpApi: kind !== "function-url",
  functionUrl: kind !== "http-api",
});

export interface TopologyOptions {
  readonly prefix: string;
  /**
   * `aws` (default): what CDK deploys — the ops function and its routes only when the config has
   * `ops.auth`. `local`: what `npm start` runs — the ops API always, behind the local token.
   */
  readonly runtime?: "aws" | "local";
}

export function buildTopology(config: WebhooksConfig, options: TopologyOptions): Topology {
  const { prefix } = options;
  if (!isResourcePrefix(prefix)) {
    throw new Error(`Resource prefix '${prefix}' must be ${RESOURCE_PREFIX_RULE}.`);
  }
  const batching = { ...DEFAULT_BATCHING, ...config.batching };
  const ingress = ingressOf(config.ingress);

  const subscriptionQueues: QueueSpec[] = config.subscriptions.map((sub) => {
    const name = queueNames.subscription(prefix, sub.id);
    return {
      key: `sub-${sub.id}`,
      role: sub.target.type === "http" ? "http-subscription" : "queue-subscription",
      name,
      subscriptionId: sub.id,
      // Queue subscriptions are read by internal consumers; give them the same room as delivery.
      visibilityTimeoutSeconds: visibilityTimeoutFor(DELIVER_TIMEOUT_SECONDS),
      retentionSeconds: QUEUE_RETENTION_SECONDS,
      dlq: {
        name: queueNames.dlq(name),
        maxReceiveCount: MAX_RECEIVE_COUNT,
        retentionSeconds: DLQ_RETENTION_SECONDS,
      },
    };
  });
  const httpQueues = subscriptionQueues.filter((q) => q.role === "http-subscription");

  const common: Record<string, EnvValue> = {
    [ENV.config]: { ref: "config-path" },
    [ENV.resourcePrefix]: prefix,
    POWERTOOLS_METRICS_NAMESPACE: "Webhooks",
    NODE_OPTIONS: "--enable-source-maps",
  };
  const allowPrivate = config.allowPrivateDestinations === true ? "true" : "false";
  const payloads = bucketObjects("events/");
  const streamFailuresQueue: ResourceRef = { ref: "stream-failures" };

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
        [ENV.allowPrivateDestinations]: allowPrivate, // JWKS fetches
        [ENV.eventTable]: { ref: "table-name", table: "events" },
        [ENV.payloadBucket]: { ref: "bucket-name" },
      },
      routes: ingress.httpApi ? INGEST_ROUTE_KEYS.map((key) => ({ key, auth: "none" as const })) : [],
      functionUrl: ingress.functionUrl,
      sqsTriggers: [],
      streamTriggers: [],
      grants: nonEmpty([
        // The one conditional write that accepts an event (shared/adapters/dynamodb-event-store.ts).
        { actions: ["dynamodb:PutItem"], resources: [table("events")] },
        // A body too large for the item goes to the bucket first (claim check).
        { actions: ["s3:PutObject"], resources: [payloads] },
        { actions: ["secretsmanager:GetSecretValue"], resources: secrets(sourceSecrets(config).secretArns) },
      ]),
      secrets: sourceSecrets(config),
    },
    {
      key: "router",
      name: functionName(prefix, "router"),
      entry: "functions/router/handler.ts",
      timeoutSeconds: ROUTER_TIMEOUT_SECONDS,
      memoryMb: 512,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: "webhooks-router",
        [ENV.queueUrlPrefix]: { ref: "queue-url-prefix" },
        [ENV.deliveryTable]: { ref: "table-name", table: "delivery" },
        [ENV.payloadBucket]: { ref: "bucket-name" },
      },
      routes: [],
      functionUrl: false,
      sqsTriggers: [],
      streamTriggers: [
        {
          table: "events",
          batchSize: ROUTER_BATCH_SIZE,
          maxBatchingWindowSeconds: batching.routerWindowSeconds,
          startingPosition: "TRIM_HORIZON",
          filters: ROUTER_STREAM_FILTERS,
          reportBatchItemFailures: true,
          bisectBatchOnFunctionError: true,
          maximumRetryAttempts: STREAM_MAX_RETRY_ATTEMPTS,
          maximumRecordAgeSeconds: STREAM_MAX_RECORD_AGE_SECONDS,
          onFailure: "stream-failures",
        },
      ],
      // Reading the stream comes with the trigger. The router sends each event to its subscriptions'
      // queues (SendMessageBatch is sqs:SendMessage), sets unroutable records aside on the failures
      // queue and writes the event index item of each batch. A body kept in the bucket travels as a
      // reference, so the router never reads the bucket.
      grants: nonEmpty([
        {
          actions: ["sqs:SendMessage"],
          resources: [...subscriptionQueues.map((q) => queueRef(q.key)), streamFailuresQueue],
        },
        { actions: ["dynamodb:PutItem"], resources: [table("delivery")] },
      ]),
      secrets: { secretArns: [], inlineAt: [] },
    },
  ];

  if (httpQueues.length > 0) {
    functions.push({
      key: "deliver",
      name: functionName(prefix, "deliver"),
      entry: "functions/deliver/handler.ts",
      timeoutSeconds: DELIVER_TIMEOUT_SECONDS,
      memoryMb: 512,
      environment: {
        ...common,
        POWERTOOLS_SERVICE_NAME: "webhooks-deliver",
        [ENV.allowPrivateDestinations]: allowPrivate,
        [ENV.queueUrlPrefix]: { ref: "queue-url-prefix" },
        [ENV.deliveryTable]: { ref: "table-name", table: "delivery" },
        [ENV.payloadBucket]: { ref: "bucket-name" },
      },
      routes: [],
      functionUrl: false,
      sqsTriggers: httpQueues.map((q) => {
        const sub = config.subscriptions.find((s) => s.id === q.subscriptionId);
        return {
          queue: q.key,
          batchSize: DELIVERY_BATCH_SIZE,
          maxBatchingWindowSeconds: batching.deliveryWindowSeconds,
          reportBatchItemFailures: true,
          ...(sub?.maxConcurrency === undefined ? {} : { maxConcurrency: sub.maxConcurrency }),
        };
      }),
      streamTriggers: [],
      grants: nonEmpty([
        // Retries and parking are new messages on the queue; dead letters go to its DLQ.
        {
          actions: ["sqs:SendMessage"],
          resources: httpQueues.flatMap((q) => [queueRef(q.key), dlq(q.key)]),
        },
        // Success ledger (read per batch, written per batch), attempt log, subscription state, breakers,
        // rate counters and statistics (shared/adapters/dynamodb-delivery-store.ts). The attempt-log
        // index is read by ops only.
        {
          actions: [
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
          ],
          resources: [table("delivery")],
        },
        // The body of an event too large for an SQS message (the message carries a reference).
        { actions: ["s3:GetObject"], resources: [payloads] },
        { actions: ["secretsmanager:GetSecretValue"], resources: secrets(targetSecrets(config).secretArns) },
      ]),
      secrets: targetSecrets(config),
    });
  }

  const opsAuth = config.ops?.auth;
  const opsJobs: QueueSpec[] = [];
  if (opsAuth !== undefined || options.runtime === "local") {
    const jobs: QueueSpec = {
      key: "ops-jobs",
      role: "ops-jobs",
      name: queueNames.opsJobs(prefix),
      visibilityTimeoutSeconds: visibilityTimeoutFor(OPS_TIMEOUT_SECONDS),
      retentionSeconds: QUEUE_RETENTION_SECONDS,
      dlq: {
        name: queueNames.dlq(queueNames.opsJobs(prefix)),
        maxReceiveCount: MAX_RECEIVE_COUNT,
        retentionSeconds: DLQ_RETENTION_SECONDS,
      },
    };
    opsJobs.push(jobs);
    functions.push(opsFunction(prefix, common, subscriptionQueues, jobs));
  }

  return {
    prefix,
    tables: {
      events: {
        name: tableNames.events(prefix),
        partitionKey: "pk",
        ttlAttribute: "exp",
        stream: "NEW_IMAGE",
      },
      delivery: {
        name: tableNames.delivery(prefix),
        partitionKey: "pk",
        sortKey: "sk",
        ttlAttribute: "expiresAt",
        index: { name: "bySubscription", partitionKey: "gsi1pk", sortKey: "gsi1sk" },
      },
    },
    payloadBucket: {
      localName: localBucketName(prefix),
      expiry: config.sources.map((source) => ({
        prefix: `events/${source.id}/`,
        days: Math.ceil(
          eventLifetimeSeconds(config, source, RETRY_HORIZON_SECONDS[source.provider]) / 86_400,
        ),
      })),
    },
    queues: [...subscriptionQueues, ...opsJobs],
    streamFailures: {
      name: queueNames.streamFailures(prefix),
      retentionSeconds: STREAM_FAILURES_RETENTION_SECONDS,
    },
    ingress,
    ...(opsAuth ? { opsAuth } : {}),
    functions,
  };
}

/**
 * The ops API and the ops jobs consumer: one function. Its grants are what the ops use cases obviously
 * need (finding events and their attempts, erasing payloads, resending and replaying onto subscription
 * queues, draining DLQs, subscription state and breakers, queue depths and delivery metrics).
 */
function opsFunction(
  prefix: string,
  common: Readonly<Record<string, EnvValue>>,
  subscriptionQueues: readonly QueueSpec[],
  jobs: QueueSpec,
): FunctionSpec {
  const subscriptionQueueRefs = subscriptionQueues.flatMap((q) => [queueRef(q.key), dlq(q.key)]);
  return {
    key: "ops",
    name: functionName(prefix, "ops"),
    entry: "functions/ops/handler.ts",
    timeoutSeconds: OPS_TIMEOUT_SECONDS,
    memoryMb: 512,
    environment: {
      ...common,
      POWERTOOLS_SERVICE_NAME: "webhooks-ops",
      [ENV.queueUrlPrefix]: { ref: "queue-url-prefix" },
      [ENV.eventTable]: { ref: "table-name", table: "events" },
      [ENV.deliveryTable]: { ref: "table-name", table: "delivery" },
      [ENV.payloadBucket]: { ref: "bucket-name" },
    },
    routes: OPS_FUNCTION_ROUTES,
    assets: OPS_CONSOLE_ASSETS,
    functionUrl: false,
    sqsTriggers: [
      // One replay slice per invocation: each fits the function's timeout.
      { queue: jobs.key, batchSize: 1, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true },
    ],
    streamTriggers: [],
    grants: nonEmpty([
      // Events by id; an erased payload leaves a tombstone (an update of the item).
      { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: [table("events")] },
      // The event index, attempts, success ledger, subscription state, breakers, statistics, replays.
      {
        actions: [
          "dynamodb:GetItem",
          "dynamodb:Query",
          "dynamodb:BatchGetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          // A replay's list of events, written in pages.
          "dynamodb:BatchWriteItem",
        ],
        resources: [table("delivery")],
      },
      // A subscription's failed attempts by time.
      { actions: ["dynamodb:Query"], resources: [table("delivery", "bySubscription")] },
      // Bodies kept in the bucket: read to show or resend, deleted when an operator erases the payload.
      { actions: ["s3:GetObject", "s3:DeleteObject"], resources: [bucketObjects("events/")] },
      // Depths and ages; resends and replays onto subscription queues; dead letters taken out of DLQs.
      {
        actions: [
          "sqs:GetQueueAttributes",
          "sqs:SendMessage",
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:ChangeMessageVisibility",
        ],
        resources: subscriptionQueueRefs,
      },
      // The next slice of a replay is a message to itself.
      { actions: ["sqs:SendMessage"], resources: [queueRef(jobs.key)] },
      // Delivery metrics for the subscriptions' health (GetMetricData has no resource-level permission).
      { actions: ["cloudwatch:GetMetricData"], resources: [anyResource] },
    ]),
    // Resends and replays go through the subscription queues: deliver signs them, ops reads no secret.
    secrets: { secretArns: [], inlineAt: [] },
  };
}

export function findQueue(topology: Topology, key: string): QueueSpec {
  const found = topology.queues.find((q) => q.key === key);
  if (!found) throw new Error(`Topology has no queue '${key}'.`);
  return found;
}
