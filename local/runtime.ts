import { randomBytes } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import type { Server } from "node:http";
import { dirname, join, resolve } from "node:path";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ENV } from "../shared/config/env.js";
import { loadConfigFile, parseConfig } from "../shared/config/load-config.js";
import type { WebhooksConfig } from "../shared/config/schema.js";
import { localOperatorClaims, operatorRulesOf } from "../shared/http/ops-auth.js";
import { OPS_API_BASE_PATH } from "../shared/http/ops-routes.js";
import { BUNDLING } from "../shared/topology/bundling.js";
import type { TableKey } from "../shared/topology/grants.js";
import {
  buildTopology,
  type EnvValue,
  type FunctionKey,
  type FunctionSpec,
  type Topology,
} from "../shared/topology/topology.js";
import { type ApiRoute, createApiServer } from "./api-server.js";
import { type BuiltFunction, bundleFunction, bundleIamGuard } from "./bundle.js";
import { emulatorClients, LOCAL_CLIENT_CONFIG } from "./emulator-clients.js";
import {
  type Emulator,
  freePort,
  LOCAL_AWS_ENV,
  startDynamoDbEmulator,
  startSqsEmulator,
} from "./emulators.js";
import { FunctionHost, type InvocationReport } from "./function-host.js";
import type { Fault } from "./iam-guard.js";
import { localPolicyFor } from "./iam-policy.js";
import { createLocalSink, type LocalSink } from "./local-sink.js";
import { provision } from "./provision.js";
import type { CallUsage } from "./sandbox-meter.js";
import { pointSinkTargetsAt } from "./sink-targets.js";
import { SqsPoller } from "./sqs-poller.js";
import { StreamPoller, type StreamPollerOptions } from "./stream-poller.js";

/** A Function URL takes what Lambda takes: a 6 MB request. */
const FUNCTION_URL_MAX_BODY_BYTES = 6 * 1024 * 1024;

export interface LocalPlatformOptions {
  readonly configPath: string;
  /** Port of the ingest API; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** Use these emulator endpoints instead of starting embedded ones (LocalStack, a shared test emulator). */
  readonly sqsEndpoint?: string;
  readonly dynamodbEndpoint?: string;
  /** Ports for the embedded emulators; 0 picks free ones. */
  readonly sqsPort?: number;
  readonly dynamodbPort?: number;
  /** Resource name prefix; tests use a unique one per platform so they can share emulators. */
  readonly prefix?: string;
  readonly rootDir?: string;
  /** Where to write the JSON state file; undefined writes none. */
  readonly statePath?: string;
  /** POWERTOOLS_LOG_LEVEL of the functions. */
  readonly logLevel?: string;
  /**
   * Where the functions' own output goes: this process's stdout/stderr (default), or nowhere — for a
   * benchmark that meters log bytes at the deployed log level without printing them.
   */
  readonly functionOutput?: "inherit" | "discard";
  /** Event source mapping pollers per queue. */
  readonly pollersPerQueue?: number;
  readonly onLog?: (line: string) => void;
  /** Extra environment for every function (tests shorten waits with it). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /**
   * Tests only: change the topology before it runs, e.g. drop a grant to watch the local IAM check
   * refuse the call. `npm start` never sets it, so what runs is what CDK deploys.
   */
  readonly alterTopology?: (topology: Topology) => Topology;
  /** The ops API's token (default: a random one per start). */
  readonly opsToken?: string;
  /** Benchmarks: told what every sandbox's AWS calls, logs, invocations and the edges cost. */
  readonly meter?: PlatformMeter;
  /**
   * The crash-safety suite: the fault an invocation of a function carries, if any. `invocationId` is the
   * one its `onInvocation` report carries.
   */
  readonly faultFor?: (functionKey: FunctionKey, event: unknown, invocationId: string) => Fault | undefined;
  /** Told of every invocation of every function once it ends. */
  readonly onInvocation?: (functionKey: FunctionKey, report: InvocationReport) => void;
}

/** Where metered usage goes (see `bench/`): one sink per function's sandbox, and the edges. */
export interface PlatformMeter {
  sandbox(spec: FunctionSpec): { onUsage(usage: CallUsage): void; onLogBytes(bytes: number): void };
  invocation(spec: FunctionSpec, report: InvocationReport): void;
  /** A request through a front door (API Gateway bills by 512 KB; a Function URL not at all). */
  frontDoorRequest(kind: "http-api" | "function-url", bytes: number): void;
  /** A call the event source mappings make (SQS polls and deletes are billed to the account). */
  mappingCall(usage: CallUsage): void;
}

export interface LocalState {
  /** Where senders post: `<ingestUrl><sourceId>` (the HTTP API's, or the Function URL's if it is the only ingress). */
  readonly ingestUrl: string;
  /** The Function URL's ingest base, when the config's `ingress` is `both`. */
  readonly functionIngestUrl?: string;
  /** Absolute path of the config the stack runs (its own copy, local sink targets pointed at it). */
  readonly configPath: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly queues: Record<string, { readonly url: string; readonly dlqUrl: string }>;
  /** The stream mapping's on-failure queue. */
  readonly streamFailuresUrl: string;
  /** The ops API's base, ending in `/ops/api/`; send `Authorization: Bearer <opsToken>`. */
  readonly opsUrl: string;
  /** The ops console with the token in the URL fragment (`#token=…`), which never reaches a server log. */
  readonly consoleUrl: string;
  /** The local stand-in for the ops authorizer accepts this token (random per start). */
  readonly opsToken: string;
}

export interface LocalPlatform extends LocalState {
  readonly baseUrl: string;
  /** The event table and the delivery-state table. */
  readonly tableNames: Readonly<Record<TableKey, string>>;
  readonly bucketName: string;
  readonly config: WebhooksConfig;
  readonly topology: Topology;
  /** This stack's own build directory (removed on stop). */
  readonly buildDir: string;
  readonly bundles: readonly BuiltFunction[];
  /** Module init time of each function's bundle, in ms (its cold-start cost). */
  readonly initMs: Readonly<Record<string, number>>;
  readonly sink: LocalSink;
  stop(): Promise<void>;
}

/**
 * Brings the whole platform up on this machine: emulators, the topology's table and queues, each
 * function's production bundle in its own sandbox, an HTTP front door and event source mappings.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const rootDir = options.rootDir ?? process.cwd();
  const host = options.host ?? "127.0.0.1";
  const log = options.onLog ?? (() => undefined);
  const configPath = resolve(rootDir, options.configPath);
  const loaded = loadConfigFile(configPath);
  const built = buildTopology(loaded, { prefix: options.prefix ?? "webhooks-local", runtime: "local" });
  const topology = options.alterTopology?.(built) ?? built;
  const cleanups: (() => Promise<unknown>)[] = [];
  const opsToken = options.opsToken ?? randomBytes(24).toString("base64url");
  const hostsReady = deferred<ReadonlyMap<string, FunctionHost>>();
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const start = async (emulator: Promise<Emulator>): Promise<string> => {
      const started = await emulator;
      cleanups.push(() => started.stop());
      if (started.warning) log(started.warning);
      return started.endpoint;
    };
    const sqsEndpoint: string = options.sqsEndpoint ?? (await start(startSqsEmulator(options.sqsPort ?? 0)));
    const dynamodbEndpoint: string =
      options.dynamodbEndpoint ??
      (await start(startDynamoDbEmulator(options.dynamodbPort || (await freePort()))));

    // fauxqs serves S3 on the SQS endpoint (path-style).
    const s3Endpoint = sqsEndpoint;
    const { sqs, dynamodb, s3 } = emulatorClients({ sqs: sqsEndpoint, dynamodb: dynamodbEndpoint });
    const streams = new DynamoDBStreamsClient({ ...LOCAL_CLIENT_CONFIG, endpoint: dynamodbEndpoint });
    cleanups.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
      streams.destroy();
      s3.destroy();
    });
    const provisioned = await provision(topology, { sqs, dynamodb, s3 });

    // The front doors listen first: the config the functions read points local sinks at the port. The
    // HTTP API routes by the topology's route keys; a Function URL hands every request to its function
    // (route key `$default`), with Lambda's own payload limit.
    let sink: LocalSink | undefined;
    const invokerOf =
      (key: string) =>
      async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> =>
        (await hostsReady.promise).get(key)?.invoke<APIGatewayProxyStructuredResultV2>(event) ??
        Promise.reject(new Error(`no function ${key}`));
    const listen = async (
      kind: "http-api" | "function-url",
      routes: readonly ApiRoute[],
      port: number,
      maxBodyBytes?: number,
    ) => {
      const server: Server = createApiServer({
        routes,
        opsAuth: { token: opsToken, claims: localOperatorClaims(operatorRulesOf(loaded.ops?.auth)) },
        ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
        ...(options.meter
          ? { onRequest: (bytes: number) => options.meter?.frontDoorRequest(kind, bytes) }
          : {}),
        extra: [(request, response) => sink?.handle(request, response) ?? false],
        log,
      });
      server.keepAliveTimeout = 5_000;
      await new Promise<void>((ok, fail) => {
        server.once("error", fail);
        server.listen(port, host, () => ok());
      });
      cleanups.push(
        () =>
          new Promise<void>((ok) => {
            server.close(() => ok());
            server.closeAllConnections();
          }),
      );
      const address = server.address();
      return `http://${host}:${typeof address === "object" && address ? address.port : port}`;
    };
    const apiRoutes = topology.functions.flatMap((spec) =>
      spec.routes.map(
        (route): ApiRoute => ({ routeKey: route.key, auth: route.auth, invoke: invokerOf(spec.key) }),
      ),
    );
    const urlFunction = topology.functions.find((spec) => spec.functionUrl);
    const urlRoutes: ApiRoute[] = urlFunction
      ? [{ routeKey: "$default", invoke: invokerOf(urlFunction.key) }]
      : [];
    const baseUrl = topology.ingress.httpApi
      ? await listen("http-api", apiRoutes, options.port)
      : await listen("function-url", urlRoutes, options.port, FUNCTION_URL_MAX_BODY_BYTES);
    const functionUrlBase =
      topology.ingress.httpApi && urlFunction
        ? await listen("function-url", urlRoutes, 0, FUNCTION_URL_MAX_BODY_BYTES)
        : undefined;
    // With a Function URL as the only ingress, the ops API still has an HTTP API of its own, as in AWS.
    const httpApiBase =
      topology.ingress.httpApi || apiRoutes.length === 0 ? baseUrl : await listen("http-api", apiRoutes, 0);

    const { config: runConfigJson, rewritten } = pointSinkTargetsAt(
      JSON.parse(readFileSync(configPath, "utf8")),
      baseUrl,
    );
    const config = parseConfig(runConfigJson, configPath);
    for (const r of rewritten) log(`subscription ${r.subscriptionId}: local sink ${r.from} → ${r.to}`);
    sink = createLocalSink(config, log);

    // Each running stack bundles into a directory of its own, so two stacks never share a config.
    const buildRoot = resolve(rootDir, ".local", "build");
    mkdirSync(buildRoot, { recursive: true });
    removeStaleBuilds(buildRoot);
    const buildDir = mkdtempSync(join(buildRoot, `${topology.prefix}-${process.pid}-`));
    cleanups.push(async () => rmSync(buildDir, { recursive: true, force: true }));
    const runConfigPath = join(buildDir, BUNDLING.configFileName);
    writeFileSync(runConfigPath, `${JSON.stringify(runConfigJson, null, 2)}\n`);
    const [iamGuardFile, ...bundles] = await Promise.all([
      bundleIamGuard(buildDir),
      ...topology.functions.map((spec) =>
        bundleFunction(spec, { rootDir, outDir: buildDir, configPath: runConfigPath }),
      ),
    ]);

    const resolveEnv = (value: EnvValue, bundle: BuiltFunction): string => {
      if (typeof value === "string") return value;
      switch (value.ref) {
        case "queue-url-prefix":
          return provisioned.queueUrlPrefix;
        case "table-name":
          return provisioned.tableNames[value.table];
        case "bucket-name":
          return provisioned.bucketName;
        case "config-path":
          return bundle.configPath;
      }
    };

    const hosts = new Map<string, FunctionHost>();
    const initMs: Record<string, number> = {};
    for (const spec of topology.functions) {
      const bundle = bundles.find((b) => b.key === spec.key) as BuiltFunction;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        ...LOCAL_AWS_ENV,
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
        [ENV.sqsEndpoint]: sqsEndpoint,
        [ENV.dynamodbEndpoint]: dynamodbEndpoint,
        [ENV.s3Endpoint]: s3Endpoint,
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? "INFO",
        POWERTOOLS_METRICS_DISABLED: "true",
        ...options.functionEnv,
      };
      for (const [name, value] of Object.entries(spec.environment)) env[name] = resolveEnv(value, bundle);
      // The local stack always reaches loopback and private networks, so local sinks (and local JWKS
      // servers) work out of the box. The loopback switch exists only here: no topology sets it, so no
      // deployed function can carry it.
      env[ENV.allowPrivateDestinations] = "true";
      env[ENV.localAllowLoopback] = "true";
      const fn = new FunctionHost({
        name: spec.name,
        file: bundle.file,
        env,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
        iam: { guardFile: iamGuardFile, policy: localPolicyFor(topology, spec) },
        onDenied: (message) => log(`[${spec.key}] AccessDeniedException: ${message}`),
        ...(options.meter ? { meter: options.meter.sandbox(spec) } : {}),
        onInvocation: (report) => {
          options.meter?.invocation(spec, report);
          options.onInvocation?.(spec.key, report);
        },
        faultFor: (event, invocationId) => options.faultFor?.(spec.key, event, invocationId),
        ...(options.functionOutput ? { output: options.functionOutput } : {}),
      });
      cleanups.push(() => fn.stop());
      hosts.set(spec.key, fn);
      initMs[spec.key] = await fn.whenReady();
    }

    for (const spec of topology.functions) {
      const fn = hosts.get(spec.key) as FunctionHost;
      for (const trigger of spec.sqsTriggers) {
        const queue = provisioned.queues.get(trigger.queue);
        if (!queue) throw new Error(`topology trigger references unknown queue ${trigger.queue}`);
        const poller = new SqsPoller({
          sqs,
          queueUrl: queue.url,
          queueArn: queue.arn,
          batchSize: trigger.batchSize,
          maxBatchingWindowSeconds: trigger.maxBatchingWindowSeconds,
          concurrency: Math.min(
            options.pollersPerQueue ?? 2,
            trigger.maxConcurrency ?? Number.POSITIVE_INFINITY,
          ),
          invoke: (event) => fn.invoke(event),
          onError: (message, error) =>
            log(`[${spec.key}] ${message}: ${(error as Error).message ?? String(error)}`),
          ...(options.meter ? { onCall: (usage: CallUsage) => options.meter?.mappingCall(usage) } : {}),
        });
        poller.start();
        cleanups.push(() => poller.stop());
      }
      for (const trigger of spec.streamTriggers) {
        if (trigger.table !== "events") throw new Error(`no stream on table ${trigger.table}`);
        const poller = new StreamPoller({
          streams,
          streamArn: provisioned.eventStreamArn,
          batchSize: trigger.batchSize,
          maxBatchingWindowSeconds: trigger.maxBatchingWindowSeconds,
          filters: trigger.filters as StreamPollerOptions["filters"],
          bisectBatchOnFunctionError: trigger.bisectBatchOnFunctionError,
          maximumRetryAttempts: trigger.maximumRetryAttempts,
          maximumRecordAgeSeconds: trigger.maximumRecordAgeSeconds,
          invoke: (event) => fn.invoke(event),
          onFailure: async (failure) => {
            log(
              `[${spec.key}] stream batch given up on (${failure.requestContext.condition}): sent to ${topology.streamFailures.name}`,
            );
            await sqs.send(
              new SendMessageCommand({
                QueueUrl: provisioned.streamFailures.url,
                MessageBody: JSON.stringify(failure),
              }),
            );
          },
          onError: (message, error) =>
            log(`[${spec.key}] ${message}: ${(error as Error).message ?? String(error)}`),
        });
        poller.start();
        cleanups.push(() => poller.stop());
      }
    }

    hostsReady.resolve(hosts);

    const queues: LocalState["queues"] = {};
    for (const spec of topology.queues) {
      const q = provisioned.queues.get(spec.key);
      if (spec.subscriptionId && q) queues[spec.subscriptionId] = { url: q.url, dlqUrl: q.dlqUrl };
    }
    const state: LocalState = {
      ingestUrl: `${baseUrl}/webhooks/`,
      ...(functionUrlBase ? { functionIngestUrl: `${functionUrlBase}/webhooks/` } : {}),
      streamFailuresUrl: provisioned.streamFailures.url,
      configPath: runConfigPath,
      sqsEndpoint,
      dynamodbEndpoint,
      queues,
      opsUrl: `${httpApiBase}${OPS_API_BASE_PATH}`,
      consoleUrl: `${httpApiBase}/ops/#token=${opsToken}`,
      opsToken,
    };
    if (options.statePath) {
      const statePath = resolve(rootDir, options.statePath);
      const text = `${JSON.stringify(state, null, 2)}\n`;
      mkdirSync(dirname(statePath), { recursive: true });
      // It holds the ops token: readable by this user only. Written whole and renamed into place, so a
      // reader (npm run send, npm run ops, a test) never sees it half written.
      const partial = `${statePath}.${process.pid}.tmp`;
      writeFileSync(partial, text, { mode: 0o600 });
      renameSync(partial, statePath);
      // Removed on stop, unless another stack has written its own state there since.
      cleanups.unshift(async () => {
        if (readFileSync(statePath, "utf8") === text) unlinkSync(statePath);
      });
    }

    return {
      ...state,
      baseUrl,
      tableNames: provisioned.tableNames,
      bucketName: provisioned.bucketName,
      config,
      topology,
      buildDir,
      bundles,
      initMs,
      sink,
      stop,
    };
  } catch (error) {
    hostsReady.reject(error);
    await stop();
    throw error;
  }
}

/** Build directories (`<prefix>-<pid>-<random>`) of processes that no longer run. */
function removeStaleBuilds(buildRoot: string): void {
  for (const name of readdirSync(buildRoot)) {
    const pid = Number(/-(\d+)-[A-Za-z0-9]{6}$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !isRunning(pid)) {
      rmSync(join(buildRoot, name), { recursive: true, force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
