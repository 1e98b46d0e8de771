import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDbDeliveryStore } from "../shared/adapters/dynamodb-delivery-store.js";
import { ENV } from "../shared/config/env.js";
import { ConfigError, loadConfigFile } from "../shared/config/load-config.js";
import type { SubscriptionConfig, WebhooksConfig } from "../shared/config/schema.js";
import type { AttemptLogReader, AttemptRecord } from "../shared/ports/attempt-log.js";
import type { BreakerStore } from "../shared/ports/breaker-store.js";
import type { SubscriptionStateStore } from "../shared/ports/subscription-state.js";
import { tableNames } from "../shared/topology/names.js";
import { DEFAULT_PAUSED_RECHECK_SECONDS } from "../shared/use-cases/deliver/deps.js";
import { type BreakerSummary, breakerStatus, closeBreaker } from "./breaker.js";
import { type DlqMessageSummary, dlqDepth, listDlq, replayDlq, resolveSubscriptionQueues } from "./dlq.js";
import { OPS_ERROR_CODES, OpsError } from "./errors.js";
import { type Column, jsonLines, table } from "./format.js";
import {
  findSubscription,
  pauseSubscription,
  type ReplayRefusal,
  replayRefusal,
  requireHttp,
  resumeSubscription,
  type SubscriptionStatus,
  subscriptionStatus,
} from "./subscriptions.js";

const DEFAULT_STATE = ".local/stack.json";
const DEFAULT_MAX = 100;

export const USAGE = `Usage: npm run ops -- <command> [options]

Dead-letter queues:
  dlq list <subscriptionId> [--max N]     what sits in a subscription's DLQ and why (messages stay, visible)
  dlq depth <subscriptionId>              how many messages the DLQ holds: visible, in flight, delayed
  dlq replay <subscriptionId> [--max N]   move the messages in the DLQ back onto the subscription's queue;
           [--force]                      refuses while the subscription is paused or disabled, unless --force

Attempt log:
  attempts event <eventId>                every delivery attempt of one event, oldest first
  attempts subscription <id> [--max N]    a subscription's latest attempts, newest first

Subscriptions (HTTP subscriptions; a queue subscription's consumers read their queue themselves):
  subscription status <id>                active / paused / disabled, since when and why
  subscription pause <id>                 hold deliveries (messages wait in the queue; nothing is dropped)
  subscription resume <id>                deliver again (also re-enables one its receiver disabled)

Circuit breakers (one per destination origin, shared by every subscription that delivers there):
  breaker status <url>                    closed / open / half-open, until when, the failure-rate window
  breaker close <url>                     close it now (the receiver is back): new messages go at once,
                                          parked ones when their parking delay ends, with no probe

Options:
  --prefix P     resource prefix of a deployed stack (webhooks-<stage>); without it, the local stack
                 that npm start runs (its state file: ${ENV.localState}, default ${DEFAULT_STATE})
  --config PATH  the config the deployed stack was deployed with (default: ${ENV.config}); subscription
                 ids are checked against it. The local stack's state file names its own config
  --max N        at most N items (default ${DEFAULT_MAX})
  --force        dlq replay: replay even though the subscription is paused or disabled
  --json         one JSON object per line instead of a table
  -h, --help     this text

Results go to standard output; progress and notes to standard error. Exit code 0 on success, 1 when
the command failed or refused, 2 for a usage error. Against AWS, the usual credentials and AWS_REGION
apply (${ENV.sqsEndpoint} / ${ENV.dynamodbEndpoint} point at other endpoints, e.g. LocalStack).`;

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
}

const usageError = (message: string) =>
  new OpsError(OPS_ERROR_CODES.usage, `${message} Run 'npm run ops -- --help' for the commands.`);

/** Parses the command line; `--name value` and `--name=value` both work. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === "--prefix" || name === "--config" || name === "--max") {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === "" || (eq === -1 && value.startsWith("-")))
        throw usageError(`${name} needs a value.`);
      values[name] = value;
    } else if (name === "--force" || name === "--json" || name === "--help" || name === "-h") {
      if (eq !== -1) throw usageError(`${name} takes no value.`);
      flags.add(name === "-h" ? "--help" : name);
    } else {
      throw usageError(`Unknown option '${name}'.`);
    }
  }
  let max: number | undefined;
  if (values["--max"] !== undefined) {
    max = Number(values["--max"]);
    if (!Number.isInteger(max) || max < 1)
      throw usageError(`--max must be a positive whole number, got '${values["--max"]}'.`);
  }
  return {
    help: flags.has("--help") || positionals.length === 0 || positionals[0] === "help",
    positionals,
    ...(values["--prefix"] !== undefined ? { prefix: values["--prefix"] } : {}),
    ...(values["--config"] !== undefined ? { config: values["--config"] } : {}),
    ...(max !== undefined ? { max } : {}),
    force: flags.has("--force"),
    json: flags.has("--json"),
  };
}

/** The stack a command talks to, and the config its subscriptions come from. */
interface Stack {
  readonly prefix: string;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** The delivery-state table, through the ports ops use. */
  readonly store: AttemptLogReader & SubscriptionStateStore & BreakerStore;
  config(): WebhooksConfig;
  /** A complete command line for the same stack, to suggest in a message. */
  command(args: string): string;
  /** Explains a connection failure (the local stack is not running). */
  unreachable?: string;
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
    const configPath = args.config ?? io.env[ENV.config];
    const dynamodb = new DynamoDBClient(dynamodbEndpoint ? { endpoint: dynamodbEndpoint } : {});
    return {
      prefix,
      sqs: new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint } : {}),
      dynamodb,
      store: new DynamoDbDeliveryStore(dynamodb, tableNames.delivery(prefix)),
      config: configPath
        ? once(configPath)
        : () => {
            throw new OpsError(
              OPS_ERROR_CODES.usage,
              `--prefix ${prefix} needs the config the stack was deployed with: pass --config <path> (or set ${ENV.config}).`,
            );
          },
      command,
    };
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
  const dynamodb = new DynamoDBClient(local(state.dynamodbEndpoint));
  return {
    prefix,
    sqs: new SQSClient(local(state.sqsEndpoint)),
    dynamodb,
    store: new DynamoDbDeliveryStore(dynamodb, tableNames.delivery(prefix)),
    config: configPath
      ? once(configPath)
      : () => {
          throw new OpsError(
            OPS_ERROR_CODES.noTarget,
            `${statePath} names no config (an older npm start wrote it): restart npm start, or pass --config <path>.`,
          );
        },
    command,
    unreachable: `is npm start running? ${statePath} says SQS is at ${state.sqsEndpoint} and DynamoDB at ${state.dynamodbEndpoint}`,
  };
}

const oneLine = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join(" ");

const DLQ_COLUMNS: readonly Column<DlqMessageSummary>[] = [
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

type Command = (ctx: {
  readonly target: string;
  readonly args: ParsedArgs;
  readonly io: OpsIo;
  readonly stack: () => Stack;
  print<T extends object>(rows: readonly T[], columns: readonly Column<T>[]): void;
}) => Promise<void>;

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

const COMMANDS: Record<string, Record<string, { target: string; flags: readonly string[]; run: Command }>> = {
  dlq: {
    list: {
      target: "subscription id",
      flags: ["max"],
      run: async ({ target, args, io, stack, print }) => {
        const s = stack();
        subscriptionOf(s, target);
        const pair = await resolveSubscriptionQueues(s.sqs, s.prefix, target);
        const max = args.max ?? DEFAULT_MAX;
        const listing = await listDlq(s.sqs, pair.dlqUrl, { max });
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
    depth: {
      target: "subscription id",
      flags: [],
      run: async ({ target, stack, print }) => {
        const s = stack();
        subscriptionOf(s, target);
        const pair = await resolveSubscriptionQueues(s.sqs, s.prefix, target);
        const depth = await dlqDepth(s.sqs, pair.dlqUrl);
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
    replay: {
      target: "subscription id",
      flags: ["max", "force"],
      run: async ({ target, args, io, stack, print }) => {
        const s = stack();
        const subscription = subscriptionOf(s, target);
        const refusal = replayRefusal(await subscriptionStatus(s.store, subscription));
        if (refusal && !args.force)
          throw new OpsError(OPS_ERROR_CODES.refused, refusalText(s, target, refusal));
        const pair = await resolveSubscriptionQueues(s.sqs, s.prefix, target);
        const max = args.max ?? DEFAULT_MAX;
        const result = await replayDlq(s.sqs, pair, {
          max,
          onProgress: (done, total) => io.err(`replaying '${target}': ${done}/${total}`),
        });
        print(result.moved, DLQ_COLUMNS);
        if (result.total === 0) {
          io.err(`The DLQ of '${target}' is empty: nothing to replay.`);
          return;
        }
        const missing = result.total - result.moved.length;
        io.err(
          `Replayed ${result.moved.length} of ${result.total} message(s) onto ${pair.queueUrl}` +
            (missing > 0 ? `; ${missing} were no longer in the DLQ when asked for.` : ".") +
            (refusal ? ` Forced: ${forcedNote(target, refusal)}.` : ""),
        );
        if (result.total === max) {
          const after = await dlqDepth(s.sqs, pair.dlqUrl);
          if (after.total > 0)
            io.err(
              `${after.total} message(s) are in the DLQ now (--max ${max} reached); run it again to move more.`,
            );
        }
      },
    },
  },
  attempts: {
    event: {
      target: "event id",
      flags: [],
      run: async ({ target, io, stack, print }) => {
        const attempts = await stack().store.attemptsForEvent(target);
        print(attempts, ATTEMPT_COLUMNS);
        io.err(`${attempts.length} attempt(s) of ${target}.`);
      },
    },
    subscription: {
      target: "subscription id",
      flags: ["max"],
      run: async ({ target, args, io, stack, print }) => {
        const s = stack();
        requireHttp(subscriptionOf(s, target), "the attempt log");
        const attempts = await s.store.attemptsForSubscription(target, args.max ?? DEFAULT_MAX);
        print(attempts, ATTEMPT_COLUMNS);
        io.err(`${attempts.length} attempt(s) of '${target}', newest first.`);
      },
    },
  },
  subscription: {
    status: {
      target: "subscription id",
      flags: [],
      run: async ({ target, io, stack, print }) => {
        const s = stack();
        const subscription = subscriptionOf(s, target);
        print([await subscriptionStatus(s.store, subscription)], STATUS_COLUMNS);
        if (subscription.target.type === "queue")
          io.err(
            `'${target}' is a queue subscription: its consumers read the queue; nothing is paused or disabled.`,
          );
      },
    },
    pause: {
      target: "subscription id",
      flags: [],
      run: async ({ target, io, stack, print }) => {
        const s = stack();
        const change = await pauseSubscription(s.store, subscriptionOf(s, target));
        print([change.after], STATUS_COLUMNS);
        io.err(
          change.changed
            ? `Paused '${target}': deliveries wait in its queue (nothing is dropped) and re-check every ` +
                `${DEFAULT_PAUSED_RECHECK_SECONDS} s; deliver them again with ${s.command(`subscription resume ${target}`)}.`
            : `'${target}' was already paused (since ${change.before.changedAt ?? "?"}); nothing changed.`,
        );
        if (change.after.disabledReason)
          io.err(`It is also disabled (${oneLine(change.after.disabledReason)}); resume re-enables it.`);
      },
    },
    resume: {
      target: "subscription id",
      flags: [],
      run: async ({ target, io, stack, print }) => {
        const s = stack();
        const subscription = subscriptionOf(s, target);
        const change = await resumeSubscription(s.store, subscription);
        print([change.after], STATUS_COLUMNS);
        const { before } = change;
        if (!change.changed) {
          io.err(`'${target}' was neither paused nor disabled by ops or its receiver; nothing changed.`);
        }
        if (before.pausedByOps) {
          io.err(
            `Resumed '${target}': held messages flow again within ${DEFAULT_PAUSED_RECHECK_SECONDS} s (each ` +
              `re-checks every ${DEFAULT_PAUSED_RECHECK_SECONDS} s), ${rateText(subscription)}.`,
          );
        }
        if (before.disabledReason) {
          const pair = await resolveSubscriptionQueues(s.sqs, s.prefix, target);
          const depth = await dlqDepth(s.sqs, pair.dlqUrl);
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
  },
  breaker: {
    status: {
      target: "destination URL",
      flags: [],
      run: async ({ target, stack, print }) => {
        print([await breakerStatus(stack().store, target)], BREAKER_COLUMNS);
      },
    },
    close: {
      target: "destination URL",
      flags: [],
      run: async ({ target, io, stack, print }) => {
        const before = await closeBreaker(stack().store, target);
        print([before], BREAKER_COLUMNS);
        io.err(
          `Closed the breaker of ${before.destination} (it was ${before.state}; shown above as it was).`,
        );
      },
    },
  },
};

const COMMAND_LIST = Object.entries(COMMANDS)
  .map(([group, commands]) => `${group} ${Object.keys(commands).join("|")}`)
  .join(", ");

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
    const [group = "", name = "", target, ...extra] = args.positionals;
    const command = COMMANDS[group]?.[name];
    if (!command) {
      throw usageError(
        `Unknown command '${[group, name].filter(Boolean).join(" ")}'; commands: ${COMMAND_LIST}.`,
      );
    }
    label = `ops ${group} ${name}`;
    if (!target) throw usageError(`${group} ${name} needs a ${command.target}.`);
    if (extra.length > 0)
      throw usageError(`Unexpected argument '${extra[0]}' after ${group} ${name} ${target}.`);
    for (const flag of ["max", "force"] as const) {
      if (args[flag] !== undefined && args[flag] !== false && !command.flags.includes(flag))
        throw usageError(`--${flag} does not apply to ${group} ${name}.`);
    }
    await command.run({
      target,
      args,
      io,
      stack: () => {
        stack ??= openStack(args, io);
        return stack;
      },
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
    const message = oneLine(error instanceof Error ? error.message : String(error));
    const refused = /ECONNREFUSED|ENOTFOUND/.test(message) && stack?.unreachable;
    io.err(`${label} failed: ${message}${refused ? ` (${stack?.unreachable})` : ""}`);
    return 1;
  } finally {
    stack?.sqs.destroy();
    stack?.dynamodb.destroy();
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
