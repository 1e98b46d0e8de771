import { mkdirSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { dirname, resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ENV } from "../shared/config/env.js";
import { loadConfigFile } from "../shared/config/load-config.js";
import type { WebhooksConfig } from "../shared/config/schema.js";
import { buildTopology, type EnvValue, type Topology } from "../shared/topology/topology.js";
import { createApiServer } from "./api-server.js";
import { type BuiltFunction, bundleFunction, bundleIamGuard } from "./bundle.js";
import {
  type Emulator,
  freePort,
  LOCAL_AWS_ENV,
  startDynamoDbEmulator,
  startSqsEmulator,
} from "./emulators.js";
import { FunctionHost } from "./function-host.js";
import { localPolicyFor } from "./iam-policy.js";
import { createLocalSink, type LocalSink } from "./local-sink.js";
import { provision } from "./provision.js";
import { SqsPoller } from "./sqs-poller.js";

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
}

export interface LocalState {
  readonly ingestUrl: string;
  /** The config file the stack runs (ops commands check subscription ids against it). */
  readonly configPath: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly queues: Record<string, { readonly url: string; readonly dlqUrl: string }>;
}

export interface LocalPlatform extends LocalState {
  readonly baseUrl: string;
  readonly ingressQueue: { readonly url: string; readonly dlqUrl: string };
  readonly tableName: string;
  readonly config: WebhooksConfig;
  readonly topology: Topology;
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
  const config = loadConfigFile(configPath);
  const built = buildTopology(config, { prefix: options.prefix ?? "webhooks-local" });
  const topology = options.alterTopology?.(built) ?? built;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const start = async (emulator: Promise<Emulator>): Promise<string> => {
      const started = await emulator;
      cleanups.push(() => started.stop());
      return started.endpoint;
    };
    const sqsEndpoint: string = options.sqsEndpoint ?? (await start(startSqsEmulator(options.sqsPort ?? 0)));
    const dynamodbEndpoint: string =
      options.dynamodbEndpoint ??
      (await start(startDynamoDbEmulator(options.dynamodbPort || (await freePort()))));

    const clientConfig = {
      region: LOCAL_AWS_ENV.AWS_REGION,
      credentials: {
        accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
      },
    };
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEndpoint });
    const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: dynamodbEndpoint });
    cleanups.push(async () => {
      sqs.destroy();
      dynamodb.destroy();
    });
    const provisioned = await provision(topology, { sqs, dynamodb });

    const buildDir = resolve(rootDir, ".local", "build", topology.prefix);
    const [iamGuardFile, ...bundles] = await Promise.all([
      bundleIamGuard(buildDir),
      ...topology.functions.map((spec) => bundleFunction(spec, { rootDir, outDir: buildDir, configPath })),
    ]);

    const resolveEnv = (value: EnvValue, bundle: BuiltFunction): string => {
      if (typeof value === "string") return value;
      switch (value.ref) {
        case "queue-url": {
          const q = provisioned.queues.get(value.queue);
          if (!q) throw new Error(`topology references unknown queue ${value.queue}`);
          return q.url;
        }
        case "queue-url-prefix":
          return provisioned.queueUrlPrefix;
        case "table-name":
          return provisioned.tableName;
        case "delivery-table-name":
          return provisioned.deliveryTableName;
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
        });
        poller.start();
        cleanups.push(() => poller.stop());
      }
    }

    const sink = createLocalSink(config, log);
    const routes = topology.functions.flatMap((spec) => {
      const fn = hosts.get(spec.key) as FunctionHost;
      return spec.http
        ? [
            {
              method: spec.http.method,
              path: spec.http.path,
              invoke: (e: unknown) => fn.invoke<APIGatewayProxyStructuredResultV2>(e),
            },
          ]
        : [];
    });
    const server: Server = createApiServer(routes, [sink.handle]);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port, host, () => ok());
    });
    cleanups.push(
      () =>
        new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        }),
    );
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : options.port;
    const baseUrl = `http://${host}:${port}`;

    const ingress = provisioned.queues.get("ingress");
    if (!ingress) throw new Error("no ingress queue");
    const queues: LocalState["queues"] = {};
    for (const spec of topology.queues) {
      const q = provisioned.queues.get(spec.key);
      if (spec.subscriptionId && q) queues[spec.subscriptionId] = { url: q.url, dlqUrl: q.dlqUrl };
    }
    const state: LocalState = {
      ingestUrl: `${baseUrl}/webhooks/`,
      configPath,
      sqsEndpoint,
      dynamodbEndpoint,
      queues,
    };
    if (options.statePath) {
      const statePath = resolve(rootDir, options.statePath);
      mkdirSync(dirname(statePath), { recursive: true });
      writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    }

    return {
      ...state,
      baseUrl,
      ingressQueue: { url: ingress.url, dlqUrl: ingress.dlqUrl },
      tableName: provisioned.tableName,
      config,
      topology,
      bundles,
      initMs,
      sink,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
