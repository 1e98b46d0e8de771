import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { CloudWatchQueueMetrics } from "../shared/adapters/cloudwatch-queue-metrics.js";
import { opsAdapters } from "../shared/adapters/ops-adapters.js";
import { S3PayloadStore } from "../shared/adapters/s3-payload-store.js";
import { queueUrlsByLookup } from "../shared/adapters/sqs-subscription-queues.js";
import { ENV } from "../shared/config/env.js";
import { ConfigError, loadConfigFile } from "../shared/config/load-config.js";
import type { SubscriptionConfig, WebhooksConfig } from "../shared/config/schema.js";
import { ERROR_CODES, WebhookError } from "../shared/domain/errors.js";
import { EVENT_ID_PATTERN } from "../shared/http/ops-schemas.js";
import type { AttemptRecord } from "../shared/ports/attempt-log.js";
import { systemClock } from "../shared/ports/clock.js";
import type { PayloadStore } from "../shared/ports/event-store.js";
import type { DeadLetter } from "../shared/ports/subscription-queues.js";
import { localBucketName, queueNames, tableNames } from "../shared/topology/names.js";
import { DEFAULT_PAUSED_RECHECK_SECONDS } from "../shared/use-cases/deliver/deps.js";
import type {
  DeliveryStatus,
  DiscardSetAsideReport,
  EventDetail,
  EventFilter,
  EventSummary,
  Operator,
  RedriveReport,
  RedriveRequest,
  ReplayFilter,
  ReplayStatus,
  SetAsideView,
  StreamFailureView,
  SubscriptionHealth,
} from "../shared/use-cases/ops/contract.js";
import { DELIVERY_STATUSES, DISCARD_IDS_MAX } from "../shared/use-cases/ops/contract.js";
import { createOpsUseCases } from "../shared/use-cases/ops/create-ops-use-cases.js";
import { replayDeadLetters } from "../shared/use-cases/ops/dead-letters.js";
import { findSubscription, type OpsDeps } from "../shared/use-cases/ops/deps.js";
import type { attemptView } from "../shared/use-cases/ops/events.js";
import type { OpsUseCases } from "../shared/use-cases/ops/ops-use-cases.js";
import type { ReplayRecord } from "../shared/use-cases/ops/replay-record.js";
import { REDRIVE_MARGIN_MS } from "../shared/use-cases/ops/stream-failures.js";
import {
  type BreakerSummary,
  createSubscriptionOps,
  type ReplayRefusal,
  replayRefusal,
  requireHttp,
  type SubscriptionStatus,
} from "../shared/use-cases/ops/subscriptions.js";
import { OPS_ERROR_CODES, OpsError } from "./errors.js";
import { type Column, jsonLines, table } from "./format.js";

const DEFAULT_STATE = ".local/stack.json";
const DEFAULT_MAX = 100;
const DEFAULT_EVENTS = 50;

export const USAGE = `Usage: npm run ops -- <command> [options]

Events (the archive, newest first):
  events list [filters] [--max N]         events with each subscription's delivery status (default 50);
           [--cursor C]                   --cursor continues where a listing stopped
  events show <eventId>                   the payload, kept headers and every attempt per subscription
  events resend <eventId>                 a fresh delivery (same event id and webhook-id) to every
           [--subscription S]...          subscription of the event, or to the named ones
  events erase <eventId>                  drop the stored payload, keep a tombstone (metadata, attempts)

Replays (dry-run first: how many, per subscription, and the first ids):
  replay --dry-run [filters]              what a replay of the filter would send; sends nothing
  replay [filters] [--force]              start it, then run it here and print progress n/total until done;
                                          --dead-lettered takes the matching messages out of the DLQs
  replay status <replayId>                a replay's progress and failures

Dead-letter queues:
  dlq list <subscriptionId> [--max N]     what sits in a subscription's DLQ and why (messages stay, visible)
  dlq depth <subscriptionId>              how many messages the DLQ holds: visible, in flight, delayed
  dlq replay <subscriptionId> [--max N]   move the messages in the DLQ back onto the subscription's queue;
           [--force]                      refuses while the subscription is paused or disabled, unless --force

Attempt log:
  attempts event <eventId>                every delivery attempt of one event, oldest first
  attempts subscription <id> [--max N]    a subscription's latest failed attempts, newest first

Subscriptions:
  subscriptions                           the health table: state, backlog, DLQ, oldest message, last hour's
                                          deliveries, success rate, p50/p99 latency, breaker, last error
  subscription status <id>                active / paused / disabled, since when and why
  subscription pause <id>                 hold deliveries (messages wait in the queue; nothing is dropped)
  subscription resume <id>                deliver again (also re-enables one its receiver disabled)
  (pause and resume apply to HTTP subscriptions; a queue subscription's consumers read their queue)

Circuit breakers (one per destination origin, shared by every subscription that delivers there):
  breaker status <url>                    closed / open / half-open, until when, the failure-rate window
  breaker close <url>                     close it now (the receiver is back): new messages go at once,
                                          parked ones when their parking delay ends, with no probe

Stream failures (what the router never fanned out; alarm <prefix>-stream-failures-not-empty):
  stream-failures [list] [--max N]        the queue's messages, decoded: batches the router's stream mapping
                                          gave up on, records the router set aside (nothing is taken away)
  stream-failures redrive --dry-run       how many stored events of those batches' windows (±${REDRIVE_MARGIN_MS / 60_000} min) the
           [--since T] [--until T]        event index does not list, per subscription, and the first ids
  stream-failures redrive                 route them as the router does (index item, a copy per subscription),
           [--since T] [--until T]        then delete the batch messages covered; --since/--until: your own
           [--cursor C]                   window instead; --cursor continues a redrive that stopped
  stream-failures discard --dry-run       the records the router set aside that a discard would delete (event
           [--event ID]...                id and why); deletes nothing
  stream-failures discard                 delete the set-aside records (with --event: only those naming these
           [--event ID]...                event ids) once you have read them; never a batch message

Filters (events list, replay):
  --source ID  --type TYPE  --subscription ID  --since TIME  --until TIME (ISO 8601, since inclusive,
  until exclusive; default: the whole retention window); events list also --status
  (${DELIVERY_STATUSES.join(", ")}); replay also --dead-lettered [--reason R]

Options:
  --prefix P     resource prefix of a deployed stack (webhooks-<stage>); without it, the local stack
                 that npm start runs (its state file: ${ENV.localState}, default ${DEFAULT_STATE})
  --config PATH  the config the deployed stack was deployed with (default: ${ENV.config}); subscription
                 ids are checked against it. The local stack's state file names its own config
  --max N        at most N items (default ${DEFAULT_MAX}; events list ${DEFAULT_EVENTS})
  --force        dlq replay, replay: replay even though a subscription is paused or disabled
  --json         one JSON object per line instead of a table
  -h, --help     this text

Results go to standard output; progress and notes to standard error. Exit code 0 on success, 1 when
the command failed or refused, 2 for a usage error (including an unknown subscription or event). Against
AWS, the usual credentials and AWS_REGION apply (${ENV.sqsEndpoint} / ${ENV.dynamodbEndpoint} /
${ENV.s3Endpoint} point at other endpoints, e.g. LocalStack; ${ENV.payloadBucket} names the payload bucket
of a deployed stack, needed to show a body too large for its event item). Changes are made as
cli:<your OS user>.`;

/** Where a command's output goes: results to `out`, progress and notes to `err`. */
export interface OpsIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  out(line: string): void;
  err(line: string): void;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly positionals: readonly string[];
  readonly prefix?: string;
  readonly config?: string;
  readonly max?: number;
  readonly force: boolean;
  readonly json: boolean;
  /** `--dry-run` */
  readonly dryRun?: true;
  /** `--dead-lettered` */
  readonly deadLettered?: true;
  /** Filters and other valued options, by name without dashes (`--subscription` may repeat). */
  readonly values?: Readonly<Record<string, readonly string[]>>;
}

const usageError = (message: string) =>
  new OpsError(OPS_ERROR_CODES.usage, `${message} Run 'npm run ops -- --help' for the commands.`);

/** Options that take a value, and whether they may repeat. */
const VALUED: Readonly<Record<string, { readonly repeat: boolean }>> = {
  "--prefix": { repeat: false },
  "--config": { repeat: false },
  "--max": { repeat: false },
  "--source": { repeat: false },
  "--type": { repeat: false },
  "--subscription": { repeat: true },
  "--status": { repeat: false },
  "--since": { repeat: false },
  "--until": { repeat: false },
  "--reason": { repeat: false },
  "--cursor": { repeat: false },
  "--event": { repeat: true },
};
const SWITCHES = new Set(["--force", "--json", "--help", "-h", "--dry-run", "--dead-lettered"]);

/** Parses the command line; `--name value` and `--name=value` both work. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const values: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const valued = VALUED[name];
    if (valued) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "" || (eq === -1 && value.startsWith("-")))
        throw usageError(`${name} needs a value.`);
      if (values[name] && !valued.repeat) throw usageError(`${name} is given twice.`);
      values[name] = [...(values[name] ?? []), value];
    } else if (SWITCHES.has(name)) {
      if (eq !== -1) throw usageError(`${name} takes no value.`);
      flags.add(name === "-h" ? "--help" : name);
    } else {
      throw usageError(`Unknown option '${name}'.`);
    }
  }
  const one = (name: string) => values[name]?.[0];
  let max: number | undefined;
  if (one("--max") !== undefined) {
    max = Number(one("--max"));
    if (!Number.isInteger(max) || max < 1)
      throw usageError(`--max must be a positive whole number, got '${one("--max")}'.`);
  }
  const others = Object.fromEntries(
    Object.entries(values)
      .filter(([name]) => !["--prefix", "--config", "--max"].includes(name))
      .map(([name, list]) => [name.slice(2), list]),
  );
  return {
    help: flags.has("--help") || positionals.length === 0 || positionals[0] === "help",
    positionals,
    ...(one("--prefix") !== undefined ? { prefix: one("--prefix") as string } : {}),
    ...(one("--config") !== undefined ? { config: one("--config") as string } : {}),
    ...(max !== undefined ? { max } : {}),
    force: flags.has("--force"),
    json: flags.has("--json"),
    ...(flags.has("--dry-run") ? { dryRun: true as const } : {}),
    ...(flags.has("--dead-lettered") ? { deadLettered: true as const } : {}),
    ...(Object.keys(others).length > 0 ? { values: others } : {}),
  };
}

/** The stack a command talks to, and the config its subscriptions come from. */
interface Stack {
  readonly prefix: string;
  config(): WebhooksConfig;
  /** The ops use cases' ports on this stack (built on first use). */
  deps(): OpsDeps;
  /** A complete command line for the same stack, to suggest in a message. */
  command(args: string): string;
  /** Explains a connection failure (the local stack is not running). */
  unreachable?: string;
  /** Whether the oldest message age can be known (CloudWatch: deployed stacks only). */
  readonly metrics: boolean;
  close(): void;
}

interface LocalStateFile {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly configPath?: string;
}

function readLocalState(path: string): LocalStateFile {
  if (!existsSync(path)) {
    throw new OpsError(
      OPS_ERROR_CODES.noTarget,
      `No local stack: ${path} does not exist. Start it with npm start, or pass --prefix webhooks-<stage> --config <path> for a deployed stack.`,
    );
  }
  let state: Partial<Record<keyof LocalStateFile, unknown>>;
  try {
    state = JSON.parse(readFileSync(path, "utf8")) as typeof state;
  } catch (error) {
    throw new OpsError(
      OPS_ERROR_CODES.noTarget,
      `${path} is not JSON (${(error as Error).message}): restart npm start.`,
    );
  }
  if (typeof state.sqsEndpoint !== "string" || typeof state.dynamodbEndpoint !== "string") {
    throw new OpsError(
      OPS_ERROR_CODES.noTarget,
      `${path} names no SQS and DynamoDB endpoints: restart npm start.`,
    );
  }
  return {
    sqsEndpoint: state.sqsEndpoint,
    dynamodbEndpoint: state.dynamodbEndpoint,
    ...(typeof state.configPath === "string" ? { configPath: state.configPath } : {}),
  };
}

function loadConfig(path: string): WebhooksConfig {
  try {
    return loadConfigFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new OpsError(OPS_ERROR_CODES.noTarget, oneLine(error.message));
    throw error;
  }
}

interface Clients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: () => S3Client;
  readonly cloudwatch?: CloudWatchClient;
  readonly bucket?: string;
}

function stackOf(
  prefix: string,
  clients: Clients,
  config: () => WebhooksConfig,
  command: (args: string) => string,
  unreachable?: string,
): Stack {
  let deps: OpsDeps | undefined;
  let s3: S3Client | undefined;
  const payloads = (): PayloadStore => {
    if (clients.bucket === undefined)
      throw new OpsError(
        OPS_ERROR_CODES.noTarget,
        `This event's body is kept in the payload bucket: set ${ENV.payloadBucket} to the stack's payload bucket (the functions' ${ENV.payloadBucket}).`,
      );
    s3 ??= clients.s3();
    const client = s3;
    return new S3PayloadStore(clients.bucket, () => client);
  };
  return {
    prefix,
    config,
    command,
    ...(unreachable === undefined ? {} : { unreachable }),
    metrics: clients.cloudwatch !== undefined,
    deps: () => {
      if (deps) return deps;
      const cloudwatch = clients.cloudwatch;
      deps = {
        config: config(),
        ...opsAdapters<ReplayRecord>({
          dynamodb: clients.dynamodb,
          sqs: clients.sqs,
          tables: { events: tableNames.events(prefix), delivery: tableNames.delivery(prefix) },
          prefix,
          locate: queueUrlsByLookup(clients.sqs, prefix),
          payloads,
          clock: systemClock,
        }),
        ...(cloudwatch
          ? {
              queueMetrics: new CloudWatchQueueMetrics(cloudwatch, (id) =>
                queueNames.subscription(prefix, id),
              ),
            }
          : {}),
      };
      return deps;
    },
    close: () => {
      clients.sqs.destroy();
      clients.dynamodb.destroy();
      s3?.destroy();
      clients.cloudwatch?.destroy();
    },
  };
}

function openStack(args: ParsedArgs, io: OpsIo): Stack {
  const suffix = [
    args.prefix !== undefined ? ` --prefix ${args.prefix}` : "",
    args.config !== undefined ? ` --config ${args.config}` : "",
  ].join("");
  const command = (rest: string) => `npm run ops -- ${rest}${suffix}`;
  let config: WebhooksConfig | undefined;
  const once = (path: string) => () => {
    config ??= loadConfig(resolve(io.cwd, path));
    return config;
  };

  if (args.prefix !== undefined) {
    const prefix = args.prefix;
    const sqsEndpoint = io.env[ENV.sqsEndpoint];
    const dynamodbEndpoint = io.env[ENV.dynamodbEndpoint];
    const s3Endpoint = io.env[ENV.s3Endpoint];
    const bucket = io.env[ENV.payloadBucket];
    const configPath = args.config ?? io.env[ENV.config];
    return stackOf(
      prefix,
      {
        sqs: new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint } : {}),
        dynamodb: new DynamoDBClient(dynamodbEndpoint ? { endpoint: dynamodbEndpoint } : {}),
        s3: () => new S3Client(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
        // CloudWatch only for AWS itself: endpoints pointed elsewhere (LocalStack, the emulators) have none.
        ...(sqsEndpoint ? {} : { cloudwatch: new CloudWatchClient({}) }),
        ...(bucket ? { bucket } : {}),
      },
      configPath
        ? once(configPath)
        : () => {
            throw new OpsError(
              OPS_ERROR_CODES.usage,
              `--prefix ${prefix} needs the config the stack was deployed with: pass --config <path> (or set ${ENV.config}).`,
            );
          },
      command,
    );
  }

  const statePath = resolve(io.cwd, io.env[ENV.localState] ?? DEFAULT_STATE);
  const state = readLocalState(statePath);
  const local = (endpoint: string) => ({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const prefix = "webhooks-local";
  const configPath = args.config ?? state.configPath;
  return stackOf(
    prefix,
    {
      sqs: new SQSClient(local(state.sqsEndpoint)),
      dynamodb: new DynamoDBClient(local(state.dynamodbEndpoint)),
      // fauxqs serves S3 on the SQS endpoint (path-style), as the local runtime sets it up.
      s3: () => new S3Client({ ...local(state.sqsEndpoint), forcePathStyle: true }),
      bucket: localBucketName(prefix),
    },
    configPath
      ? once(configPath)
      : () => {
          throw new OpsError(
            OPS_ERROR_CODES.noTarget,
            `${statePath} names no config (an older npm start wrote it): restart npm start, or pass --config <path>.`,
          );
        },
    command,
    `is npm start running? ${statePath} says SQS is at ${state.sqsEndpoint} and DynamoDB at ${state.dynamodbEndpoint}`,
  );
}

const oneLine = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ");

const DLQ_COLUMNS: readonly Column<DeadLetter>[] = [
  { header: "EVENT ID", value: (m) => m.eventId },
  { header: "TYPE", value: (m) => m.type },
  { header: "REASON", value: (m) => m.reason },
  { header: "ATTEMPTS", value: (m) => m.attempts },
  { header: "LAST STATUS", value: (m) => m.lastStatus },
  { header: "ERROR CLASS", value: (m) => m.errorClass },
  { header: "FAILED AT", value: (m) => m.failedAt },
  { header: "DETAIL", value: (m) => m.detail, maxWidth: 60 },
];

const iso = (ms: number) => new Date(ms).toISOString();

const ATTEMPT_COLUMNS: readonly Column<AttemptRecord>[] = [
  { header: "AT", value: (a) => iso(a.at) },
  { header: "EVENT ID", value: (a) => a.eventId },
  { header: "SUBSCRIPTION", value: (a) => a.subscriptionId },
  { header: "ATTEMPT", value: (a) => a.attempt },
  { header: "RESULT", value: (a) => a.result },
  { header: "STATUS", value: (a) => a.status },
  { header: "ERROR CLASS", value: (a) => a.errorClass },
  { header: "LATENCY MS", value: (a) => a.latencyMs },
  { header: "DETAIL", value: (a) => a.detail, maxWidth: 60 },
];

const pausedBy = (s: SubscriptionStatus) =>
  [s.pausedByOps ? "ops" : "", s.pausedInConfig ? "config" : ""].filter(Boolean).join(", ");

const STATUS_COLUMNS: readonly Column<SubscriptionStatus>[] = [
  { header: "SUBSCRIPTION", value: (s) => s.subscription },
  { header: "TARGET", value: (s) => s.target },
  { header: "STATE", value: (s) => s.state },
  { header: "PAUSED BY", value: pausedBy },
  { header: "SINCE", value: (s) => s.changedAt },
  { header: "DISABLED BECAUSE", value: (s) => s.disabledReason, maxWidth: 60 },
];

const BREAKER_COLUMNS: readonly Column<BreakerSummary>[] = [
  { header: "DESTINATION", value: (b) => b.destination },
  { header: "STATE", value: (b) => b.state },
  { header: "FAILURES", value: (b) => b.failures },
  { header: "OPEN UNTIL", value: (b) => b.openUntil },
  { header: "PROBE UNTIL", value: (b) => b.probeUntil },
  { header: "OPENS", value: (b) => b.opens },
  {
    header: "WINDOW",
    value: (b) =>
      b.window ? `${b.window.failures}/${b.window.attempts} failed since ${b.window.since}` : undefined,
  },
];

const EVENT_COLUMNS: readonly Column<EventSummary>[] = [
  { header: "RECEIVED", value: (e) => e.receivedAt },
  { header: "EVENT ID", value: (e) => e.id },
  { header: "SOURCE", value: (e) => e.source },
  { header: "TYPE", value: (e) => e.type },
  {
    header: "DELIVERIES",
    value: (e) => e.deliveries.map((d) => `${d.subscription}:${d.status}`).join(" "),
  },
];

interface AttemptRow {
  readonly subscription: string;
  readonly status: DeliveryStatus;
  readonly attempt?: ReturnType<typeof attemptView>;
}

const EVENT_ATTEMPT_COLUMNS: readonly Column<AttemptRow>[] = [
  { header: "SUBSCRIPTION", value: (r) => r.subscription },
  { header: "DELIVERY", value: (r) => r.status },
  { header: "AT", value: (r) => r.attempt?.at },
  { header: "ATTEMPT", value: (r) => r.attempt?.attempt },
  { header: "RESULT", value: (r) => r.attempt?.result },
  { header: "STATUS", value: (r) => r.attempt?.status },
  { header: "ERROR CLASS", value: (r) => r.attempt?.errorClass },
  { header: "LATENCY MS", value: (r) => r.attempt?.latencyMs },
  { header: "DETAIL", value: (r) => r.attempt?.detail, maxWidth: 60 },
];

const percent = (rate: number | undefined) =>
  rate === undefined ? undefined : `${(rate * 100).toFixed(1)}%`;

const HEALTH_COLUMNS: readonly Column<SubscriptionHealth>[] = [
  { header: "SUBSCRIPTION", value: (s) => s.id },
  { header: "TARGET", value: (s) => s.target },
  { header: "STATE", value: (s) => s.state },
  { header: "BACKLOG", value: (s) => s.backlog },
  { header: "DLQ", value: (s) => s.dlqDepth },
  { header: "OLDEST S", value: (s) => s.oldestMessageAgeSeconds },
  { header: "DELIVERED 1H", value: (s) => s.lastHour?.delivered },
  { header: "FAILED 1H", value: (s) => s.lastHour?.failed },
  { header: "SUCCESS", value: (s) => percent(s.lastHour?.successRate) },
  { header: "P50 MS", value: (s) => s.lastHour?.p50Ms },
  { header: "P99 MS", value: (s) => s.lastHour?.p99Ms },
  { header: "BREAKER", value: (s) => s.breaker?.state },
  {
    header: "WHY",
    value: (s) =>
      s.disabledReason ?? (s.pausedBy ? `paused by ${s.pausedBy.join(", ")}` : undefined) ?? s.lastError,
    maxWidth: 60,
  },
];

const REPLAY_COLUMNS: readonly Column<ReplayStatus>[] = [
  { header: "REPLAY", value: (r) => r.id },
  { header: "STATE", value: (r) => r.state },
  { header: "SENT", value: (r) => r.sent },
  { header: "TOTAL", value: (r) => r.total },
  { header: "FAILURES", value: (r) => r.failures.length },
  { header: "STARTED", value: (r) => r.startedAt },
  { header: "FINISHED", value: (r) => r.finishedAt },
  { header: "BY", value: (r) => r.by },
];

/** What a stream failures message names: the shard and its sequence range, or the event set aside. */
const STREAM_FAILURE_COLUMNS: readonly Column<StreamFailureView>[] = [
  { header: "KIND", value: (m) => m.kind },
  { header: "SENT", value: (m) => m.sentAt },
  {
    header: "SHARD / EVENT",
    value: (m) => (m.kind === "batch" ? m.shardId : m.kind === "set-aside" ? m.eventId : undefined),
  },
  {
    header: "SEQUENCE",
    value: (m) =>
      m.kind === "batch"
        ? `${m.startSequenceNumber}..${m.endSequenceNumber}`
        : m.kind === "set-aside"
          ? m.sequenceNumber
          : undefined,
  },
  { header: "FIRST ARRIVAL", value: (m) => (m.kind === "batch" ? m.firstArrival : undefined) },
  { header: "LAST ARRIVAL", value: (m) => (m.kind === "batch" ? m.lastArrival : undefined) },
  { header: "RECORDS", value: (m) => (m.kind === "batch" ? m.records : undefined) },
  {
    header: "WHY",
    value: (m) => (m.kind === "batch" ? m.condition : m.kind === "set-aside" ? m.reason : m.detail),
    maxWidth: 80,
  },
];

type UnroutableRow = RedriveReport["unroutable"][number];
const UNROUTABLE_COLUMNS: readonly Column<UnroutableRow>[] = [
  { header: "EVENT ID", value: (u) => u.eventId },
  { header: "RECEIVED", value: (u) => u.receivedAt },
  { header: "CANNOT BE ROUTED BECAUSE", value: (u) => u.reason, maxWidth: 100 },
];

/** Calls of a redrive in a row whose copies could not be queued before the command gives up. */
const REDRIVE_STALLS = 3;

/** The redrive's command line without --dry-run and --cursor (to suggest the real run). */
function redriveArgs(args: ParsedArgs): string {
  return [
    "stream-failures redrive",
    ...["since", "until"].flatMap((n) => {
      const v = value(args, n);
      return v === undefined ? [] : [`--${n} ${v}`];
    }),
  ].join(" ");
}

/** Runs a redrive call after call until it is done, printing progress; its last answer. */
async function runRedrive(ctx: Context, first: RedriveRequest): Promise<RedriveReport> {
  const dryRun = first.dryRun === true;
  let request = first;
  let stalls = 0;
  for (;;) {
    const report = await ctx.useCases().redriveStreamFailures(request, ctx.operator);
    if (report.done) return report;
    ctx.io.err(
      `${dryRun ? "dry run" : "redrive"}: scanned ${report.scannedItems} item(s) of the event table; ` +
        `${report.inWindows} event(s) in the window(s), ${report.indexed} listed by the index, ` +
        `${report.routed} ${dryRun ? "to route" : "routed"} so far`,
    );
    const cursor = report.cursor as string;
    if (report.failures.length > 0) {
      stalls++;
      const firstFailure = report.failures[0];
      if (stalls >= REDRIVE_STALLS)
        throw new OpsError(
          OPS_ERROR_CODES.partial,
          `Routed ${report.routed} event(s), then the copies of ${report.failures.length} could not be queued ` +
            `${REDRIVE_STALLS} times in a row (${firstFailure?.eventId}: ${firstFailure?.error}); nothing was ` +
            `deleted from the stream failures queue. Continue once the queues answer: ` +
            `${ctx.stack().command(`stream-failures redrive --cursor ${cursor}`)}`,
        );
      ctx.io.err(
        `the copies of ${report.failures.length} event(s) could not be queued (${firstFailure?.eventId}: ` +
          `${firstFailure?.error}); sending them again`,
      );
      await new Promise((r) => setTimeout(r, 1_000));
    } else stalls = 0;
    request = { ...(dryRun ? { dryRun: true } : {}), cursor };
  }
}

function printRedrive(ctx: Context, report: RedriveReport): void {
  const { io, args } = ctx;
  if (args.json) io.out(JSON.stringify(report));
  else {
    const rows = Object.entries(report.perSubscription).map(([subscription, events]) => ({
      subscription,
      events,
    }));
    for (const line of table(rows, [
      { header: "SUBSCRIPTION", value: (r) => r.subscription },
      { header: report.dryRun ? "WOULD ROUTE" : "ROUTED", value: (r) => r.events },
    ]))
      io.out(line);
    if (report.unroutable.length > 0) {
      io.out("");
      for (const line of table(report.unroutable, UNROUTABLE_COLUMNS)) io.out(line);
    }
  }
  const windows = report.windows.map((w) => `${w.since} → ${w.until}`).join(", ");
  io.err(
    report.windowsFrom === "operator"
      ? `Window (--since/--until): ${windows}.`
      : `Windows (the stream failures queue's batches, ±${REDRIVE_MARGIN_MS / 60_000} min): ${windows}.`,
  );
  const found =
    `${report.inWindows} stored event(s) received in them, ${report.indexed} listed by the event index ` +
    `(left alone); the scan read ${report.scannedItems} item(s) of the event table (${report.readUnits} read units)`;
  const unmatched =
    report.unmatched > 0 ? ` (${report.unmatched} to no subscription: listed, sent nowhere)` : "";
  const firstIds = report.firstIds.length > 0 ? `; first ids: ${report.firstIds.join(" ")}` : "";
  if (report.dryRun) {
    io.err(
      `Dry run: would route ${report.routed} event(s)${unmatched}${firstIds}. ${found}. Nothing was sent or ` +
        `deleted; then ${report.messages.deleted} batch message(s) would be deleted from the stream failures ` +
        `queue and ${report.messages.left} left there.`,
    );
    if (report.routed > 0 || report.messages.deleted > 0)
      io.err(`Run it: ${ctx.stack().command(redriveArgs(args))}`);
  } else {
    io.err(
      `Routed ${report.routed} event(s)${unmatched} as ${ctx.operator.id}, as the router does (listed in the event ` +
        `index, a copy on each subscription's queue)${firstIds}. ${found}. Deleted ${report.messages.deleted} ` +
        `batch message(s) from the stream failures queue; ${report.messages.left} message(s) left there.`,
    );
  }
  if (report.messages.setAside > 0)
    io.err(
      `${report.messages.setAside} record(s) the router set aside are in the queue: their items cannot be routed ` +
        `(${ctx.stack().command("stream-failures list")} shows why); a redrive never routes them, and leaves them there ` +
        `(${ctx.stack().command("stream-failures discard --dry-run")} says what a discard would delete).`,
    );
  if (report.unroutableCount > 0 && !report.dryRun)
    throw new OpsError(
      OPS_ERROR_CODES.partial,
      `${report.unroutableCount} event(s) of the windows cannot be routed (${report.unroutable.length < report.unroutableCount ? "the first ones are " : ""}listed above); the batch messages whose windows hold them stay in the queue.`,
    );
  if (report.unroutableCount > 0)
    io.err(`${report.unroutableCount} event(s) of the windows cannot be routed (listed above).`);
}

async function listStreamFailures(ctx: Context): Promise<void> {
  const list = await ctx
    .useCases()
    .listStreamFailures({ limit: Math.min(ctx.args.max ?? DEFAULT_MAX, 1000) });
  ctx.print(list.messages, STREAM_FAILURE_COLUMNS);
  const batches = list.messages.filter((m) => m.kind === "batch").length;
  const setAside = list.messages.filter((m) => m.kind === "set-aside").length;
  const other = list.messages.length - batches - setAside;
  if (list.queued === 0 && list.messages.length === 0) {
    ctx.io.err("The stream failures queue is empty: the router has fanned out every stored event.");
    return;
  }
  ctx.io.err(
    `${list.messages.length} message(s) listed${list.queued > list.messages.length ? ` of ${list.queued} (--max to see more)` : ""}; they stay in the queue.`,
  );
  if (batches > 0)
    ctx.io.err(
      `${batches} batch(es) the router's stream mapping gave up on: their events are stored but were never ` +
        `routed. See what a redrive would do: ${ctx.stack().command("stream-failures redrive --dry-run")}`,
    );
  if (setAside > 0)
    ctx.io.err(
      `${setAside} record(s) the router set aside: their items cannot be routed (WHY says why); a redrive ` +
        `reports them and leaves them in the queue. Once read, discard them: ${ctx.stack().command("stream-failures discard --dry-run")}`,
    );
  if (other > 0) ctx.io.err(`${other} message(s) of neither kind (WHY shows the start of each).`);
}

const SET_ASIDE_COLUMNS: readonly Column<SetAsideView>[] = [
  { header: "EVENT ID", value: (r) => r.eventId },
  { header: "SEQUENCE", value: (r) => r.sequenceNumber },
  { header: "SENT", value: (r) => r.sentAt },
  { header: "WHY", value: (r) => r.reason, maxWidth: 80 },
];

/** The --event ids of a discard, checked as the API checks its eventIds. */
function discardEventIds(args: ParsedArgs): readonly string[] | undefined {
  const ids = args.values?.event;
  if (ids === undefined) return undefined;
  const bad = ids.find((id) => !EVENT_ID_PATTERN.test(id));
  if (bad !== undefined)
    throw usageError(
      `--event '${bad}' is not an event id: 'evt_' followed by 22 letters, digits, '-' or '_'.`,
    );
  if (ids.length > DISCARD_IDS_MAX)
    throw usageError(`--event is given ${ids.length} times; a discard names at most ${DISCARD_IDS_MAX}.`);
  return ids;
}

function printDiscard(ctx: Context, report: DiscardSetAsideReport, ids: readonly string[] | undefined): void {
  const { io, args } = ctx;
  if (args.json) io.out(JSON.stringify(report));
  else for (const line of table(report.discarded, SET_ASIDE_COLUMNS)) io.out(line);
  const n = report.discarded.length;
  const { batches, setAside, unreadable } = report.left;
  const stays =
    `${batches} batch message(s)${batches > 0 ? " (a redrive routes their events)" : ""}, ` +
    `${setAside} set-aside record(s)${unreadable > 0 ? ` and ${unreadable} message(s) of neither kind` : ""}`;
  if (report.dryRun) {
    io.err(
      n === 0
        ? `Dry run: no set-aside record${ids ? " naming these event ids" : ""} in the stream failures queue: nothing to discard.`
        : `Dry run: would discard the ${n} set-aside record(s) above from the stream failures queue; nothing ` +
            `was deleted. ${stays} would stay.`,
    );
    if (n > 0)
      io.err(
        `Run it: ${ctx.stack().command(["stream-failures discard", ...(ids ?? []).map((id) => `--event ${id}`)].join(" "))}`,
      );
  } else {
    io.err(
      n === 0
        ? `No set-aside record${ids ? " naming these event ids" : ""} in the stream failures queue: nothing discarded. ${stays} stay.`
        : `Discarded the ${n} set-aside record(s) above from the stream failures queue as ${ctx.operator.id}; ${stays} stay.`,
    );
  }
  const looked = n + batches + setAside + unreadable;
  if (report.queued > looked)
    io.err(
      `The queue held ${report.queued} message(s) when it began and ${looked} were looked at (the others were in ` +
        "flight, or past the first 1000): run it again for them.",
    );
  if (report.notDeleted > 0)
    throw new OpsError(
      OPS_ERROR_CODES.partial,
      `${report.notDeleted} set-aside record(s) could not be deleted (SQS refused them); they stay in the queue: run it again.`,
    );
  if (report.unmatched.length > 0)
    throw new OpsError(
      OPS_ERROR_CODES.partial,
      `No set-aside record in the stream failures queue names ${report.unmatched.join(", ")} (already discarded, ` +
        `or a typo: ${ctx.stack().command("stream-failures list")} shows them)` +
        (n > 0 ? `; the other records named were ${report.dryRun ? "found" : "discarded"}.` : "."),
    );
}

type FailureRow = ReplayStatus["failures"][number];
const FAILURE_COLUMNS: readonly Column<FailureRow>[] = [
  { header: "EVENT ID", value: (f) => f.eventId },
  { header: "SUBSCRIPTION", value: (f) => f.subscription },
  { header: "ERROR", value: (f) => f.error, maxWidth: 100 },
];

/** What a command is handed. */
interface Context {
  /** The command's argument (an id, a URL), when it takes one. */
  readonly target: string;
  readonly args: ParsedArgs;
  readonly io: OpsIo;
  readonly stack: () => Stack;
  readonly useCases: () => OpsUseCases;
  readonly operator: Operator;
  print<T extends object>(rows: readonly T[], columns: readonly Column<T>[]): void;
}

interface Command {
  /** What the argument is (`subscription id`), or undefined for a command that takes none. */
  readonly target?: string;
  /** The options it accepts beyond --prefix, --config, --json and --help. */
  readonly flags: readonly string[];
  run(ctx: Context): Promise<void>;
}

/** The subscription named on the command line, checked against the stack's config. */
const subscriptionOf = (stack: Stack, id: string): SubscriptionConfig => findSubscription(stack.config(), id);

function refusalText(stack: Stack, id: string, refusal: ReplayRefusal): string {
  const anyway = "or replay anyway with --force.";
  switch (refusal.why) {
    case "disabled":
      return (
        `'${id}' is disabled (${oneLine(refusal.detail).slice(0, 120)}): replayed messages would dead-letter again. ` +
        `Re-enable it first with ${stack.command(`subscription resume ${id}`)}, ${anyway}`
      );
    case "paused":
      return refusal.inConfig
        ? `'${id}' is paused in the config ("paused": true): replayed messages would wait in its queue. ` +
            `Remove "paused" and redeploy (locally: restart npm start), ${anyway}`
        : `'${id}' is paused: replayed messages would wait in its queue until it is resumed. ` +
            `Resume it first with ${stack.command(`subscription resume ${id}`)}, ${anyway}`;
  }
}

function forcedNote(id: string, refusal: ReplayRefusal): string {
  if (refusal.why === "disabled") return `'${id}' is disabled, so they will dead-letter again`;
  return `'${id}' is paused, so they wait in its queue until it is resumed`;
}

function rateText(subscription: SubscriptionConfig): string {
  const parts = [
    subscription.rateLimitPerSecond
      ? `at most ${subscription.rateLimitPerSecond} per second`
      : "no rate limit",
    ...(subscription.maxConcurrency ? [`at most ${subscription.maxConcurrency} at a time`] : []),
  ];
  return `at the subscription's rate (${parts.join(", ")})`;
}

const value = (args: ParsedArgs, name: string) => args.values?.[name]?.[0];

function eventFilterOf(args: ParsedArgs): EventFilter {
  const status = value(args, "status");
  if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus))
    throw usageError(`--status must be one of ${DELIVERY_STATUSES.join(", ")}, got '${status}'.`);
  const subscriptions = args.values?.subscription ?? [];
  if (subscriptions.length > 1)
    throw usageError("--subscription is given twice; events list filters by one.");
  const f: Record<string, string> = {};
  for (const name of ["source", "type", "subscription", "since", "until"] as const) {
    const v = value(args, name);
    if (v !== undefined) f[name] = v;
  }
  return { ...f, ...(status === undefined ? {} : { status: status as DeliveryStatus }) };
}

function replayFilterOf(args: ParsedArgs): ReplayFilter {
  const subscriptions = args.values?.subscription ?? [];
  if (subscriptions.length > 1) throw usageError("--subscription is given twice; a replay filters by one.");
  const f: Record<string, string> = {};
  for (const name of ["source", "type", "subscription", "since", "until", "reason"] as const) {
    const v = value(args, name);
    if (v !== undefined) f[name] = v;
  }
  if (f.reason !== undefined && !args.deadLettered)
    throw usageError("--reason applies to dead letters only: add --dead-lettered.");
  return { ...f, ...(args.deadLettered ? { deadLettered: true } : {}) };
}

/** A filter in words: "the dead letters (billing, reason retries_exhausted)", "the archive (type invoice.paid)". */
function describeFilter(filter: ReplayFilter): string {
  const { deadLettered, ...rest } = filter;
  const parts = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`);
  const what = deadLettered ? "the dead letters" : "the archive";
  return parts.length > 0
    ? `${what} (${parts.join(", ")})`
    : deadLettered
      ? "every dead letter"
      : "the whole archive";
}

function printEvent(ctx: Context, event: EventDetail): void {
  if (ctx.args.json) {
    ctx.io.out(JSON.stringify(event));
    return;
  }
  const fields: [string, string | undefined][] = [
    ["EVENT ID", event.id],
    ["SOURCE", `${event.source} (${event.provider})`],
    ["TYPE", event.type],
    ["DELIVERY ID", event.deliveryId],
    ["RECEIVED", event.receivedAt],
    ["CONTENT TYPE", event.contentType],
    ...Object.entries(event.headers).map(([k, v]): [string, string] => [`HEADER ${k}`, v]),
    [
      "PAYLOAD",
      event.payload.kind === "erased"
        ? `erased at ${event.payload.erasedAt} (${event.payload.bytes} bytes)`
        : `${event.payload.kind === "json" ? "JSON" : "binary, base64"}, ${event.payload.bytes} bytes`,
    ],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) if (v !== undefined) ctx.io.out(`${k.padEnd(width)}  ${v}`);
  if (event.payload.kind === "json") ctx.io.out(JSON.stringify(event.payload.json, null, 2));
  else if (event.payload.kind === "base64") ctx.io.out(event.payload.base64);
  const rows: AttemptRow[] = event.subscriptions.flatMap((s) =>
    s.attempts.length === 0
      ? [{ subscription: s.subscription, status: s.status }]
      : s.attempts.map((attempt) => ({ subscription: s.subscription, status: s.status, attempt })),
  );
  if (rows.length > 0) {
    ctx.io.out("");
    for (const line of table(rows, EVENT_ATTEMPT_COLUMNS)) ctx.io.out(line);
  }
}

/** Runs a replay's slices here until it is no longer running, printing progress; returns its status. */
async function runReplay(ctx: Context, id: string): Promise<ReplayStatus> {
  const useCases = ctx.useCases();
  let status = await useCases.getReplay(id);
  let shown = -1;
  while (status.state === "running") {
    const before = status.sent;
    status = await useCases.continueReplay(id);
    if (status.sent !== shown) {
      ctx.io.err(`replay ${id}: ${status.sent}/${status.total}`);
      shown = status.sent;
    }
    // Another runner holds the replay (its lease): look again shortly instead of spinning.
    if (status.state === "running" && status.sent === before) await new Promise((r) => setTimeout(r, 500));
  }
  return status;
}

function printReplay(ctx: Context, status: ReplayStatus): void {
  if (ctx.args.json) {
    ctx.io.out(JSON.stringify(status));
    return;
  }
  for (const line of table([status], REPLAY_COLUMNS)) ctx.io.out(line);
  const per = Object.entries(status.perSubscription);
  if (per.length > 0) {
    ctx.io.out("");
    for (const line of table(
      per.map(([subscription, sent]) => ({ subscription, sent })),
      [
        { header: "SUBSCRIPTION", value: (r) => r.subscription },
        { header: "SENT", value: (r) => r.sent },
      ],
    ))
      ctx.io.out(line);
  }
  if (status.failures.length > 0) {
    ctx.io.out("");
    for (const line of table(status.failures, FAILURE_COLUMNS)) ctx.io.out(line);
  }
}

const COMMANDS: Readonly<Record<string, Command>> = {
  "events list": {
    flags: ["max", "source", "type", "subscription", "status", "since", "until", "cursor"],
    run: async ({ args, io, useCases, print }) => {
      const filter = eventFilterOf(args);
      const max = args.max ?? DEFAULT_EVENTS;
      const events: EventSummary[] = [];
      let cursor = value(args, "cursor");
      do {
        const page = await useCases().listEvents(filter, {
          limit: Math.min(200, max - events.length),
          ...(cursor === undefined ? {} : { cursor }),
        });
        events.push(...page.events);
        cursor = page.nextCursor;
      } while (cursor !== undefined && events.length < max);
      print(events, EVENT_COLUMNS);
      io.err(
        `${events.length} event(s), newest first` +
          (cursor !== undefined ? `; more with --cursor ${cursor}` : ""),
      );
    },
  },
  "events show": {
    target: "event id",
    flags: [],
    run: async (ctx) => printEvent(ctx, await ctx.useCases().getEvent(ctx.target)),
  },
  "events resend": {
    target: "event id",
    flags: ["subscription"],
    run: async ({ target, args, io, useCases, operator, print }) => {
      const result = await useCases().resendEvent(target, args.values?.subscription, operator);
      print(
        [result],
        [
          { header: "EVENT ID", value: (r) => r.id },
          { header: "RESEND ID", value: (r) => r.resendId },
          { header: "SUBSCRIPTIONS", value: (r) => r.subscriptions.join(" ") },
        ],
      );
      io.err(
        `Resent ${target} to ${result.subscriptions.join(", ")} as ${operator.id}: a fresh delivery under the same ` +
          "event id and webhook-id (an earlier success does not stop it; it is POSTed once).",
      );
    },
  },
  "events erase": {
    target: "event id",
    flags: [],
    run: async ({ target, io, useCases, operator, print }) => {
      const result = await useCases().erasePayload(target, operator);
      print(
        [result],
        [
          { header: "EVENT ID", value: (r) => r.id },
          { header: "ERASED AT", value: (r) => r.erasedAt },
        ],
      );
      io.err(`Erased the payload of ${target} as ${operator.id}; its metadata, headers and attempts stay.`);
    },
  },
  replay: {
    flags: [
      "source",
      "type",
      "subscription",
      "since",
      "until",
      "reason",
      "dry-run",
      "dead-lettered",
      "force",
    ],
    run: async (ctx) => {
      const { args, io, stack, useCases, operator } = ctx;
      const filter = replayFilterOf(args);
      if (args.dryRun) {
        if (args.force) throw usageError("--force does not apply to replay --dry-run.");
        const estimate = await useCases().estimateReplay(filter);
        if (args.json) io.out(JSON.stringify(estimate));
        else
          for (const line of table(
            Object.entries(estimate.perSubscription).map(([subscription, n]) => ({ subscription, n })),
            [
              { header: "SUBSCRIPTION", value: (r) => r.subscription },
              { header: filter.deadLettered ? "DEAD LETTERS" : "EVENTS", value: (r) => r.n },
            ],
          ))
            io.out(line);
        io.err(
          `A replay of ${describeFilter(filter)} would send ${estimate.total} deliver${estimate.total === 1 ? "y" : "ies"}` +
            (estimate.firstIds.length > 0 ? `; the newest: ${estimate.firstIds.join(", ")}` : "") +
            (estimate.total === 0
              ? ": nothing to replay."
              : Object.keys(filter).length === 0
                ? `. A real replay needs a filter (--source, --type, --subscription, --since, --until or --dead-lettered).`
                : `. Start it with ${stack().command(`replay ${replayArgs(args)}`.trim())}.`),
        );
        return;
      }
      if (Object.keys(filter).length === 0)
        throw usageError(
          "replay needs a filter (--source, --type, --subscription, --since, --until or --dead-lettered): " +
            "it would resend every archived event. See first what it sends with replay --dry-run.",
        );
      const s = stack();
      if (filter.subscription) subscriptionOf(s, filter.subscription);
      // Only the subscriptions the replay would send to: a paused one it does not touch is no reason to refuse.
      const estimate = await useCases().estimateReplay(filter);
      const targets = s.config().subscriptions.filter((sub) => (estimate.perSubscription[sub.id] ?? 0) > 0);
      const subscriptions = createSubscriptionOps(s.deps());
      const refusals: string[] = [];
      for (const subscription of targets) {
        if (subscription.target.type !== "http") continue;
        const refusal = replayRefusal(await subscriptions.subscriptionStatus(subscription.id));
        if (!refusal) continue;
        if (!args.force)
          throw new OpsError(OPS_ERROR_CODES.refused, refusalText(s, subscription.id, refusal));
        refusals.push(forcedNote(subscription.id, refusal));
      }
      const { id } = await useCases().startReplay(filter, operator);
      const started = await useCases().getReplay(id);
      io.err(
        `Started replay ${id} of ${describeFilter(started.filter)} as ${operator.id}: ${started.total} to send` +
          (refusals.length > 0 ? ` (forced: ${refusals.join("; ")})` : "") +
          `. It runs here; if interrupted, ${s.command(`replay status ${id}`)} shows where it stopped.`,
      );
      const status = await runReplay(ctx, id);
      printReplay(ctx, status);
      io.err(`Replay ${id} ${status.state}: sent ${status.sent} of ${status.total}.`);
      if (status.state === "failed" || status.failures.length > 0)
        throw new OpsError(
          OPS_ERROR_CODES.partial,
          `Replay ${id} ${status.state === "failed" ? "failed" : "finished"} with ${status.failures.length} failure(s) (listed above).`,
        );
    },
  },
  "replay status": {
    target: "replay id",
    flags: [],
    run: async (ctx) => printReplay(ctx, await ctx.useCases().getReplay(ctx.target)),
  },
  "dlq list": {
    target: "subscription id",
    flags: ["max"],
    run: async ({ target, args, io, stack, print }) => {
      const s = stack();
      subscriptionOf(s, target);
      const max = args.max ?? DEFAULT_MAX;
      const listing = await s.deps().deadLetters.list(target, { max });
      print(listing.messages, DLQ_COLUMNS);
      const n = listing.messages.length;
      io.err(
        `${n} message(s) in the DLQ of '${target}'${n === max ? ` (at most --max ${max} shown)` : ""}; they stay there, visible.`,
      );
      if (listing.stillHidden > 0) {
        io.err(
          `${listing.stillHidden} of them could not be made visible again at once; they are back within ${listing.hiddenForSeconds} s.`,
        );
      }
    },
  },
  "dlq depth": {
    target: "subscription id",
    flags: [],
    run: async ({ target, stack, print }) => {
      const s = stack();
      subscriptionOf(s, target);
      const depth = await s.deps().deadLetters.depth(target);
      print(
        [{ subscription: target, ...depth }],
        [
          { header: "SUBSCRIPTION", value: (d) => d.subscription },
          { header: "TOTAL", value: (d) => d.total },
          { header: "VISIBLE", value: (d) => d.visible },
          { header: "IN FLIGHT", value: (d) => d.inFlight },
          { header: "DELAYED", value: (d) => d.delayed },
        ],
      );
    },
  },
  "dlq replay": {
    target: "subscription id",
    flags: ["max", "force"],
    run: async ({ target, args, io, stack, print }) => {
      const s = stack();
      subscriptionOf(s, target);
      const refusal = replayRefusal(await createSubscriptionOps(s.deps()).subscriptionStatus(target));
      if (refusal && !args.force)
        throw new OpsError(OPS_ERROR_CODES.refused, refusalText(s, target, refusal));
      const max = args.max ?? DEFAULT_MAX;
      const { total, report } = await replayDeadLetters(s.deps().deadLetters, target, {
        max,
        now: () => Date.now(),
        onProgress: (done, all) => io.err(`replaying '${target}': ${done}/${all}`),
      });
      print(report.moved, DLQ_COLUMNS);
      const unsent = report.unsent.length;
      if (unsent > 0 || report.notDeleted > 0) {
        const why = report.unsent[0]?.error ?? "";
        throw new OpsError(
          OPS_ERROR_CODES.partial,
          `Replayed ${report.moved.length} of ${total} message(s), then stopped: ` +
            [
              unsent > 0 ? `${unsent} could not be re-sent${why ? ` (${why})` : ""} and stay in the DLQ` : "",
              report.notDeleted > 0
                ? `${report.notDeleted} were re-sent but not deleted from the DLQ (they show up there again; ` +
                  "a copy whose POST succeeded is never POSTed twice)"
                : "",
            ]
              .filter(Boolean)
              .join("; "),
        );
      }
      if (total === 0) {
        io.err(`The DLQ of '${target}' is empty: nothing to replay.`);
        return;
      }
      const missing = total - report.moved.length;
      io.err(
        `Replayed ${report.moved.length} of ${total} message(s) onto the queue of '${target}'` +
          (missing > 0 ? `; ${missing} were no longer in the DLQ when asked for.` : ".") +
          (refusal ? ` Forced: ${forcedNote(target, refusal)}.` : ""),
      );
      if (total === max) {
        const after = await s.deps().deadLetters.depth(target);
        if (after.total > 0)
          io.err(
            `${after.total} message(s) are in the DLQ now (--max ${max} reached); run it again to move more.`,
          );
      }
    },
  },
  "attempts event": {
    target: "event id",
    flags: [],
    run: async ({ target, io, stack, print }) => {
      const attempts = await stack().deps().attempts.attemptsForEvent(target);
      print(attempts, ATTEMPT_COLUMNS);
      io.err(`${attempts.length} attempt(s) of ${target}.`);
    },
  },
  "attempts subscription": {
    target: "subscription id",
    flags: ["max"],
    run: async ({ target, args, io, stack, print }) => {
      const s = stack();
      requireHttp(subscriptionOf(s, target), "the attempt log");
      const attempts = await s.deps().attempts.attemptsForSubscription(target, args.max ?? DEFAULT_MAX);
      print(attempts, ATTEMPT_COLUMNS);
      io.err(`${attempts.length} attempt(s) of '${target}', newest first.`);
    },
  },
  subscriptions: {
    flags: [],
    run: async ({ io, stack, useCases, print }) => {
      const health = await useCases().listSubscriptions();
      print(health, HEALTH_COLUMNS);
      if (!stack().metrics)
        io.err(
          "OLDEST S (the age of a queue's oldest message) comes from CloudWatch: a deployed stack only.",
        );
    },
  },
  "subscription status": {
    target: "subscription id",
    flags: [],
    run: async ({ target, io, stack, print }) => {
      const s = stack();
      const subscription = subscriptionOf(s, target);
      print([await createSubscriptionOps(s.deps()).subscriptionStatus(target)], STATUS_COLUMNS);
      if (subscription.target.type === "queue")
        io.err(
          `'${target}' is a queue subscription: its consumers read the queue; nothing is paused or disabled.`,
        );
    },
  },
  "subscription pause": {
    target: "subscription id",
    flags: [],
    run: async ({ target, io, stack, operator, print }) => {
      const s = stack();
      subscriptionOf(s, target);
      const change = await createSubscriptionOps(s.deps()).changeSubscription(target, "pause", operator);
      print([change.after], STATUS_COLUMNS);
      io.err(
        change.changed
          ? `Paused '${target}' as ${operator.id}: deliveries wait in its queue (nothing is dropped) and re-check every ` +
              `${DEFAULT_PAUSED_RECHECK_SECONDS} s; deliver them again with ${s.command(`subscription resume ${target}`)}.`
          : `'${target}' was already paused (since ${change.before.changedAt ?? "?"}); nothing changed.`,
      );
      if (change.after.disabledReason)
        io.err(`It is also disabled (${oneLine(change.after.disabledReason)}); resume re-enables it.`);
    },
  },
  "subscription resume": {
    target: "subscription id",
    flags: [],
    run: async ({ target, io, stack, operator, print }) => {
      const s = stack();
      const subscription = subscriptionOf(s, target);
      const change = await createSubscriptionOps(s.deps()).changeSubscription(target, "resume", operator);
      print([change.after], STATUS_COLUMNS);
      const { before } = change;
      if (!change.changed) {
        io.err(`'${target}' was neither paused nor disabled by ops or its receiver; nothing changed.`);
      }
      if (before.pausedByOps) {
        io.err(
          `Resumed '${target}' as ${operator.id}: held messages flow again within ${DEFAULT_PAUSED_RECHECK_SECONDS} s (each ` +
            `re-checks every ${DEFAULT_PAUSED_RECHECK_SECONDS} s), ${rateText(subscription)}.`,
        );
      }
      if (before.disabledReason) {
        const depth = await s.deps().deadLetters.depth(target);
        io.err(
          `Resumed '${target}': it had been disabled (${oneLine(before.disabledReason).slice(0, 120)}); new ` +
            `messages are delivered again. Messages that arrived meanwhile are in its DLQ (${depth.total} now): ` +
            `replay them with ${s.command(`dlq replay ${target}`)}.`,
        );
      }
      if (subscription.paused === true) {
        throw new OpsError(
          OPS_ERROR_CODES.refused,
          `'${target}' stays paused: its config sets "paused": true. Remove that and redeploy (locally: restart npm start).`,
        );
      }
    },
  },
  "breaker status": {
    target: "destination URL",
    flags: [],
    run: async ({ target, stack, print }) => {
      print([await createSubscriptionOps(stack().deps()).breakerStatus(target)], BREAKER_COLUMNS);
    },
  },
  "breaker close": {
    target: "destination URL",
    flags: [],
    run: async ({ target, io, stack, operator, print }) => {
      const before = await createSubscriptionOps(stack().deps()).closeBreakerSummary(target, operator);
      print([before], BREAKER_COLUMNS);
      io.err(
        `Closed the breaker of ${before.destination} as ${operator.id} (it was ${before.state}; shown above as it was).`,
      );
    },
  },
  "stream-failures": {
    flags: ["max"],
    run: listStreamFailures,
  },
  "stream-failures list": {
    flags: ["max"],
    run: listStreamFailures,
  },
  "stream-failures redrive": {
    flags: ["dry-run", "since", "until", "cursor"],
    run: async (ctx) => {
      const { args } = ctx;
      const since = value(args, "since");
      const until = value(args, "until");
      const cursor = value(args, "cursor");
      const report = await runRedrive(ctx, {
        ...(args.dryRun ? { dryRun: true } : {}),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (report.windows.length === 0) {
        if (args.json) ctx.io.out(JSON.stringify(report));
        ctx.io.err(
          "No batch in the stream failures queue: nothing to redrive (--since and --until redrive a window of your choice).",
        );
        if (report.messages.setAside > 0)
          ctx.io.err(
            `${report.messages.setAside} record(s) the router set aside are there: their items cannot be routed (${ctx.stack().command("stream-failures list")} shows why).`,
          );
        return;
      }
      printRedrive(ctx, report);
    },
  },
  "stream-failures discard": {
    flags: ["dry-run", "event"],
    run: async (ctx) => {
      const ids = discardEventIds(ctx.args);
      const report = await ctx
        .useCases()
        .discardSetAside(
          { ...(ctx.args.dryRun ? { dryRun: true } : {}), ...(ids === undefined ? {} : { eventIds: ids }) },
          ctx.operator,
        );
      printDiscard(ctx, report, ids);
    },
  },
};

/** The replay command line of a dry run, without --dry-run (to suggest starting it). */
function replayArgs(args: ParsedArgs): string {
  const parts: string[] = [];
  for (const [name, list] of Object.entries(args.values ?? {}))
    for (const v of list) parts.push(`--${name} ${v}`);
  if (args.deadLettered) parts.push("--dead-lettered");
  return parts.join(" ");
}

const COMMAND_LIST = (() => {
  const entries: { group: string; names: string[] }[] = [];
  for (const key of Object.keys(COMMANDS)) {
    const [group = "", name] = key.split(" ");
    const last = entries[entries.length - 1];
    if (name !== undefined && last?.group === group && last.names.length > 0) last.names.push(name);
    else entries.push({ group, names: name === undefined ? [] : [name] });
  }
  return entries.map((e) => (e.names.length > 0 ? `${e.group} ${e.names.join("|")}` : e.group)).join(", ");
})();

/** The command the positionals name: the longest match of its words, and what follows them. */
function commandOf(
  positionals: readonly string[],
): { key: string; command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const key = positionals.slice(0, words).join(" ");
    const command = COMMANDS[key];
    if (command && positionals.length >= words) return { key, command, rest: positionals.slice(words) };
  }
  return undefined;
}

/** Where a use case's error goes: a usage error (2) names something that does not exist or does not apply. */
function exitCodeOf(error: WebhookError): 1 | 2 {
  return error.code === ERROR_CODES.invalidRequest || error.code === ERROR_CODES.notFound ? 2 : 1;
}

/** Runs one ops command line; returns the exit code. Never throws. */
export async function runOps(argv: readonly string[], io: OpsIo): Promise<number> {
  let stack: Stack | undefined;
  let label = "ops";
  try {
    const args = parseArgs(argv);
    if (args.help) {
      if (args.positionals.length > 1 && args.positionals[0] === "help")
        throw usageError("'help' takes no arguments.");
      io.out(USAGE);
      return 0;
    }
    const found = commandOf(args.positionals);
    if (!found) {
      throw usageError(
        `Unknown command '${args.positionals.slice(0, 2).join(" ")}'; commands: ${COMMAND_LIST}.`,
      );
    }
    const { key, command, rest } = found;
    label = `ops ${key}`;
    const [target, ...extra] = rest;
    if (command.target !== undefined && target === undefined)
      throw usageError(`${key} needs ${/^[aeiou]/.test(command.target) ? "an" : "a"} ${command.target}.`);
    const unexpected = command.target === undefined ? target : extra[0];
    if (unexpected !== undefined)
      throw usageError(
        `Unexpected argument '${unexpected}' after ${key}${command.target !== undefined ? ` ${target}` : ""}.`,
      );
    const given = [
      ...(args.max !== undefined ? ["max"] : []),
      ...(args.force ? ["force"] : []),
      ...(args.dryRun ? ["dry-run"] : []),
      ...(args.deadLettered ? ["dead-lettered"] : []),
      ...Object.keys(args.values ?? {}),
    ];
    for (const flag of given)
      if (!command.flags.includes(flag)) throw usageError(`--${flag} does not apply to ${key}.`);
    let useCases: OpsUseCases | undefined;
    const openedStack = () => {
      stack ??= openStack(args, io);
      return stack;
    };
    await command.run({
      target: target ?? "",
      args,
      io,
      stack: openedStack,
      useCases: () => {
        useCases ??= createOpsUseCases(openedStack().deps());
        return useCases;
      },
      operator: { id: `cli:${osUser(io)}`, canWrite: true },
      print: (rows, columns) => {
        for (const line of args.json ? jsonLines(rows) : table(rows, columns)) io.out(line);
      },
    });
    return 0;
  } catch (error) {
    if (error instanceof OpsError) {
      io.err(error.message);
      return error.exitCode;
    }
    if (error instanceof WebhookError) {
      io.err(oneLine(error.detail));
      return exitCodeOf(error);
    }
    const message = oneLine(error instanceof Error ? error.message : String(error));
    const refused = /ECONNREFUSED|ENOTFOUND/.test(message) && stack?.unreachable;
    io.err(`${label} failed: ${message}${refused ? ` (${stack?.unreachable})` : ""}`);
    return 1;
  } finally {
    stack?.close();
  }
}

function osUser(io: OpsIo): string {
  try {
    return userInfo().username;
  } catch {
    return io.env.USER ?? io.env.USERNAME ?? "unknown";
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await runOps(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
