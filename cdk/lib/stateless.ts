import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Annotations, type CfnElement, Duration, Stack, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer, HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { OPS_API_BASE_PATH } from "../../shared/http/ops-routes.js";
import { parseRouteKey } from "../../shared/http/routes.js";
import { type AssetSpec, assetBuildOptions, BUNDLING, LAMBDA } from "../../shared/topology/bundling.js";
import type { SecretUsage } from "../../shared/topology/secrets.js";
import {
  type FunctionKey,
  type FunctionSpec,
  type Topology,
  WEBHOOK_ROUTE_KEY,
} from "../../shared/topology/topology.js";
import { resolveEnvironment } from "./function-environment.js";
import { pascalCase } from "./names.js";
import type { ResolvedPlatformProps } from "./platform-props.js";
import type { WebhooksStateful } from "./stateful.js";

/** The router's iterator-age alarm fires when it is this far behind the stream. */
const ITERATOR_AGE_ALARM_SECONDS = 300;

/** Repository root: `cdk/lib/` is two levels down. */
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Log retention, tracing and throttling as `WebhooksPlatform` resolved them (see its props). */
export interface WebhooksStatelessProps
  extends Pick<ResolvedPlatformProps, "logRetention" | "tracing" | "throttle"> {
  /** The wiring to deploy: one function per `topology.functions` entry, with its triggers and routes. */
  readonly topology: Topology;
  /** Absolute path of the config file copied into every bundle as `BUNDLING.configFileName`. */
  readonly configFilePath: string;
  /** The tables and queues (`WebhooksStateful`), which also grant each function its topology grants. */
  readonly resources: WebhooksStateful;
  /**
   * Directory the topology's `entry` paths are relative to; holds `package-lock.json`.
   *
   * @default - the package this file belongs to
   */
  readonly projectRoot?: string;
}

/** Architecture and runtime named by `LAMBDA`, checked so the two can never drift apart silently. */
function lambdaPlatform(): { runtime: lambda.Runtime; architecture: lambda.Architecture } {
  const runtime = lambda.Runtime.NODEJS_24_X;
  const architecture = lambda.Architecture.ARM_64;
  if (runtime.name !== LAMBDA.runtime || architecture.name !== LAMBDA.architecture) {
    throw new Error(
      `LAMBDA asks for ${LAMBDA.runtime}/${LAMBDA.architecture} but the stack deploys ` +
        `${runtime.name}/${architecture.name}; update cdk/lib/stateless.ts.`,
    );
  }
  return { runtime, architecture };
}

const OUTPUT_FORMATS = { esm: OutputFormat.ESM, cjs: OutputFormat.CJS } as const;

/** `"POST"` → `HttpMethod.POST`; a route key naming no HTTP method fails the synth. */
function httpMethod(method: string): apigwv2.HttpMethod {
  const found = Object.values(apigwv2.HttpMethod).find((m) => m === method);
  if (!found) throw new Error(`Route method '${method}' is not an API Gateway HTTP method.`);
  return found;
}

/**
 * Where esbuild runs and which lock file it reads: this package's own root and lock file when it has one
 * (this repository, or the package linked by path); otherwise (a workspace member, whose lock file is
 * the workspace's) NodejsFunction looks for the lock file upwards from the working directory and runs
 * from the folder holding it.
 */
function bundlingRoot(projectRoot: string): { projectRoot?: string; depsLockFilePath?: string } {
  const lockFile = join(projectRoot, "package-lock.json");
  return existsSync(lockFile) ? { projectRoot, depsLockFilePath: lockFile } : {};
}

/** Quotes a path for the POSIX shell that runs the bundling command hooks. */
const shellQuote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** esbuild's JS API as a module URL: the project's own esbuild (the one NodejsFunction runs), else ours. */
function esbuildModuleUrl(projectRoot: string): string {
  for (const base of [join(projectRoot, "package.json"), fileURLToPath(import.meta.url)]) {
    try {
      return pathToFileURL(createRequire(base).resolve("esbuild")).href;
    } catch {
      // not installed there: try the next place
    }
  }
  throw new Error(
    "The ops console's assets need esbuild to bundle them; add esbuild to your devDependencies (CDK bundles locally with it too).",
  );
}

/**
 * The commands that put a function's assets into its code asset, as `local/bundle.ts` does: a `copy`
 * asset is copied, a `bundle` asset is built by esbuild's `build` with the very options object the local
 * runtime passes (`assetBuildOptions`), handed over as JSON to a `node` process.
 */
function assetCommands(assets: readonly AssetSpec[], projectRoot: string, outputDir: string): string[] {
  return assets.flatMap((asset) => {
    const out = join(outputDir, asset.out);
    const mkdir = `mkdir -p ${shellQuote(dirname(out))}`;
    if (asset.kind === "copy") {
      return [mkdir, `cp ${shellQuote(join(projectRoot, asset.entry))} ${shellQuote(out)}`];
    }
    const options = assetBuildOptions(asset, { rootDir: projectRoot, outDir: outputDir });
    const script = `const { build } = await import(${JSON.stringify(esbuildModuleUrl(projectRoot))}); await build(${JSON.stringify(options)});`;
    return [mkdir, `${shellQuote(process.execPath)} --input-type=module -e ${shellQuote(script)}`];
  });
}

/** One JSON object per request; no headers or bodies, so no signatures or payloads reach the log. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: "$context.requestId",
    requestTime: "$context.requestTime",
    sourceIp: "$context.identity.sourceIp",
    userAgent: "$context.identity.userAgent",
    httpMethod: "$context.httpMethod",
    routeKey: "$context.routeKey",
    path: "$context.path",
    protocol: "$context.protocol",
    status: "$context.status",
    responseLength: "$context.responseLength",
    responseLatency: "$context.responseLatency",
    integrationStatus: "$context.integrationStatus",
    integrationLatency: "$context.integrationLatency",
    integrationError: "$context.integrationErrorMessage",
  }),
);

/**
 * The stateless half of the platform: the functions, their triggers and permissions, and the front doors
 * of ingest (an HTTP API, a Function URL, or both, as the config's `ingress` says). Can be destroyed and
 * recreated without losing data.
 */
export class WebhooksStateless extends Construct {
  /** Every deployed function, by topology key. */
  readonly functions: ReadonlyMap<FunctionKey, lambda.IFunction>;
  /** The HTTP API that receives webhooks (`ingress` `http-api` or `both`). */
  readonly api?: apigwv2.IHttpApi;
  /** The API's `$default` stage, with access logging. */
  readonly stage?: apigwv2.IHttpStage;
  /** The ingest function's URL (`ingress` `function-url` or `both`). */
  readonly functionUrl?: lambda.IFunctionUrl;
  /** Base URL senders post to, `<ingestUrl><sourceId>`: the HTTP API's when there is one, else the Function URL's. */
  readonly ingestUrl: string;
  /** Base URL of the ops API (`…/ops/api/`), when the config's `ops.auth` deploys it. */
  readonly opsApiUrl?: string;

  private readonly props: WebhooksStatelessProps;

  constructor(scope: Construct, id: string, props: WebhooksStatelessProps) {
    super(scope, id);
    this.props = props;
    const { topology } = props;
    const retention = props.logRetention;

    const functions = new Map<FunctionKey, NodejsFunction>();
    for (const spec of topology.functions) {
      functions.set(spec.key, this.createFunction(spec, retention));
    }
    this.functions = functions;

    let ingestUrl: string | undefined;
    for (const spec of topology.functions) {
      const fn = functions.get(spec.key);
      if (!fn || !spec.functionUrl) continue;
      const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      Validations.of(url.node.defaultChild ?? url).acknowledge({
        id: "AwsSolutions-L1",
        reason: "Not a runtime finding: the function URL is public on purpose (see the APIG4 reason).",
      });
      this.functionUrl = url;
      ingestUrl = `${url.url}webhooks/`;
    }

    // The HTTP API carries ingest (ingress http-api or both) and the ops API (when ops.auth is set).
    if (topology.functions.some((spec) => spec.routes.length > 0)) {
      const { api, stage } = this.createHttpApi(props.throttle, retention);
      this.api = api;
      this.stage = stage;
      for (const spec of topology.functions) {
        const fn = functions.get(spec.key);
        if (!fn || spec.routes.length === 0) continue;
        const integration = new HttpLambdaIntegration(`${pascalCase(spec.key)}Integration`, fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        for (const { key: routeKey, auth } of spec.routes) {
          const parsed = parseRouteKey(routeKey);
          // Same construct ids as HttpApi.addRoutes would give, so existing routes keep their logical ids.
          const route = new apigwv2.HttpRoute(
            api,
            parsed ? `${parsed.method}${parsed.path}` : "DefaultRoute",
            {
              httpApi: api,
              routeKey: parsed
                ? apigwv2.HttpRouteKey.with(parsed.path, httpMethod(parsed.method))
                : apigwv2.HttpRouteKey.DEFAULT,
              integration,
              ...(auth === "ops" ? { authorizer: this.opsAuthorizer(routeKey) } : {}),
            },
          );
          if (auth === "none") {
            Validations.of(route.node.defaultChild ?? route).acknowledge({
              id: "AwsSolutions-APIG4",
              reason:
                spec.key === "ops"
                  ? "The ops console's static files (HTML, scripts, styles) hold no data and must load in a " +
                    "browser before it has a token; every call they make goes to /ops/api/*, which is behind " +
                    "the ops authorizer."
                  : "Webhook senders (GitHub, Stripe, Standard Webhooks) cannot use IAM, Cognito or a custom authorizer; " +
                    "the ingest function authenticates every request by verifying the provider's HMAC signature " +
                    "and rejects unsigned or mis-signed requests with 401 (requests no other route matches reach " +
                    "$default and get 404/405).",
            });
          }
          if (routeKey === WEBHOOK_ROUTE_KEY && parsed) {
            // `/webhooks/{sourceId}` → `<stage url>webhooks/`
            ingestUrl = `${stage.url}${parsed.path.replace(/^\//, "").replace(/\{[^}]+\}$/, "")}`;
          }
        }
      }
    }
    if (this.stage && topology.functions.some((spec) => spec.key === "ops" && spec.routes.length > 0)) {
      this.opsApiUrl = `${this.stage.url}${OPS_API_BASE_PATH.replace(/^\//, "")}`;
    }
    if (ingestUrl === undefined) throw new Error("The topology gives the ingest function no front door.");
    this.ingestUrl = ingestUrl;
  }

  private authorizer?: apigwv2.IHttpRouteAuthorizer;

  /**
   * The authorizer of the ops routes, as the config's `ops.auth` names it: a JWT authorizer (issuer,
   * audience; API Gateway checks the signature against the issuer's keys, the expiry, `iss` and `aud`)
   * or AWS_IAM. One for all ops routes.
   */
  private opsAuthorizer(routeKey: string): apigwv2.IHttpRouteAuthorizer {
    if (this.authorizer) return this.authorizer;
    const auth = this.props.topology.opsAuth;
    if (!auth) {
      throw new Error(`Route '${routeKey}' needs the ops authorizer, but the config has no ops.auth.`);
    }
    this.authorizer =
      auth.type === "iam"
        ? new HttpIamAuthorizer()
        : new HttpJwtAuthorizer("OpsAuthorizer", auth.issuer, {
            authorizerName: `${this.props.topology.prefix}-ops`,
            jwtAudience: [...auth.audience],
          });
    return this.authorizer;
  }

  private createHttpApi(
    throttle: apigwv2.ThrottleSettings | undefined,
    retention: logs.RetentionDays,
  ): { api: apigwv2.HttpApi; stage: apigwv2.HttpStage } {
    const { topology } = this.props;
    const api = new apigwv2.HttpApi(this, "HttpApi", {
      apiName: `${topology.prefix}-api`,
      description: `Webhook ingestion endpoint (${topology.prefix})`,
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, "ApiAccessLogs", { retention });
    const stage = new apigwv2.HttpStage(this, "DefaultStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
      throttle,
    });
    return { api, stage };
  }

  private createFunction(spec: FunctionSpec, retention: logs.RetentionDays): NodejsFunction {
    const { topology, resources } = this.props;
    const scope = new Construct(this, pascalCase(spec.key));
    const projectRoot = this.props.projectRoot ?? PROJECT_ROOT;
    const configFilePath = this.props.configFilePath;

    const logGroup = new logs.LogGroup(scope, "LogGroup", { retention });
    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write to its log group only.
    const role = new iam.Role(scope, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${spec.name}`,
    });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(scope, "Function", {
      functionName: spec.name,
      description: `Webhooks ${spec.key} (${topology.prefix})`,
      entry: join(projectRoot, spec.entry),
      handler: "handler",
      ...bundlingRoot(projectRoot),
      ...lambdaPlatform(),
      timeout: Duration.seconds(spec.timeoutSeconds),
      memorySize: spec.memoryMb,
      role,
      logGroup,
      tracing: this.props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: resolveEnvironment(this, spec.environment, {
        tables: resources.tables,
        payloadBucket: resources.payloadBucket,
      }),
      // JSON logs; Lambda's own START/END/REPORT lines (billed like any other) only from WARN up.
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      bundling: {
        forceDockerBundling: false,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourcemap,
        target: BUNDLING.target,
        format: OUTPUT_FORMATS[BUNDLING.format],
        externalModules: [...BUNDLING.externalModules],
        banner: BUNDLING.banner,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp ${shellQuote(configFilePath)} ${shellQuote(join(outputDir, BUNDLING.configFileName))}`,
            ...assetCommands(spec.assets ?? [], projectRoot, outputDir),
          ],
        },
      },
    });

    for (const trigger of spec.sqsTriggers) {
      fn.addEventSource(
        new SqsEventSource(resources.queue(trigger.queue).queue, {
          batchSize: trigger.batchSize,
          maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
          reportBatchItemFailures: trigger.reportBatchItemFailures,
          ...(trigger.maxConcurrency === undefined ? {} : { maxConcurrency: trigger.maxConcurrency }),
        }),
      );
    }

    for (const trigger of spec.streamTriggers) {
      const table = resources.tables[trigger.table];
      fn.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: lambda.StartingPosition.TRIM_HORIZON,
          batchSize: trigger.batchSize,
          maxBatchingWindow: Duration.seconds(trigger.maxBatchingWindowSeconds),
          filters: trigger.filters.map((pattern) => ({ pattern: JSON.stringify(pattern) })),
          reportBatchItemFailures: trigger.reportBatchItemFailures,
          bisectBatchOnError: trigger.bisectBatchOnFunctionError,
          retryAttempts: trigger.maximumRetryAttempts,
          maxRecordAge: Duration.seconds(trigger.maximumRecordAgeSeconds),
          onFailure: new SqsDlq(resources.streamFailures),
        }),
      );
      // How far behind the router is: the age of the last record it read.
      resources.alarm(
        `${pascalCase(spec.key)}IteratorAge`,
        `${spec.name}-iterator-age`,
        `${spec.name} is more than ${ITERATOR_AGE_ALARM_SECONDS / 60} minutes behind the event stream: ` +
          "new events wait to be fanned out. Check its errors and throttles.",
        fn.metric("IteratorAge", {
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        ITERATOR_AGE_ALARM_SECONDS * 1000,
      );
    }

    // Least privilege, per function: exactly the topology's grants (what each handler calls, on the
    // resources it calls it on), which the local runtime enforces too. Consuming a trigger's queue or
    // stream is granted by its event source mapping.
    resources.grant(role, spec.grants);
    this.warnInlineSecrets(fn, spec.secrets);
    const policy = role.node.tryFindChild("DefaultPolicy") ?? role;
    if (spec.grants.some((g) => g.resources.some((r) => r.ref === "bucket-objects"))) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(resources.payloadBucket.node.defaultChild as CfnElement)}.Arn>/events/*]`,
        reason:
          "Payload objects are one per event (events/<source>/<event id>); the key prefix is the narrowest " +
          "grant that lets the function write or read the object of the event it handles.",
      });
    }
    // Actions without resource-level permissions, granted on `*`: one acknowledgement naming them all.
    const anyResourceReasons = [
      ...(spec.streamTriggers.length > 0
        ? [
            "dynamodb:ListStreams, which the stream event source mapping needs, supports no resource-level " +
              "permission (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html).",
          ]
        : []),
      ...(spec.grants.some((g) => g.resources.some((r) => r.ref === "any-resource"))
        ? [
            `${spec.grants
              .filter((g) => g.resources.some((r) => r.ref === "any-resource"))
              .flatMap((g) => g.actions)
              .join(", ")} supports no resource-level permission ` +
              "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html); " +
              "it only reads metrics.",
          ]
        : []),
      // Lambda adds the X-Ray statement to the role's default policy.
      ...(this.props.tracing
        ? [
            "xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions " +
              "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).",
          ]
        : []),
    ];
    if (anyResourceReasons.length > 0) {
      Validations.of(policy).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason: anyResourceReasons.join(" "),
      });
    }
    return fn;
  }

  /** Inline secrets synthesize (for local development) but are bundled in plain text: say so. */
  private warnInlineSecrets(fn: NodejsFunction, usage: SecretUsage): void {
    if (usage.inlineAt.length > 0) {
      Annotations.of(fn).addWarningV2(
        "webhooks:inline-secret",
        `Inline secrets at ${usage.inlineAt.join(", ")}: inline secrets are for local development only. ` +
          'They are bundled into the function package in plain text; use { "secretArn": ... } for deployed stacks.',
      );
    }
  }
}
