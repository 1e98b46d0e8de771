import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Stack, Stage, Token } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import type { IConstruct } from "constructs";
import { ConfigError, issueLines, readConfigJson } from "../../shared/config/load-config.js";
import { configSchema, type WebhooksConfig } from "../../shared/config/schema.js";
import { isResourcePrefix, RESOURCE_PREFIX_RULE } from "../../shared/topology/names.js";

/** What `new WebhooksPlatform(scope, id, props)` takes. Only `config` is required. */
export interface WebhooksPlatformProps {
  /**
   * The webhooks config (sources and subscriptions; see the README's Configuration section): the path
   * of its JSON file (absolute, or relative to the working directory), or the config itself as an
   * object. It is validated when the construct is created. Every function gets a copy next to its
   * handler: a file is copied byte for byte; an object is first written as JSON into the cloud
   * assembly directory (`cdk.out`), under a name derived from its content.
   */
  readonly config: WebhooksConfig | string;
  /**
   * Prefix of every physical resource name: `<prefix>-ingress`, `<prefix>-sub-<id>` and their DLQs,
   * `<prefix>-dedupe`, `<prefix>-delivery`, `<prefix>-ingest`, ... 1-30 letters, digits or '-'. The
   * functions find their queues by it at run time, and `npm run ops -- … --prefix <prefix>` finds the
   * platform by it. Two platforms in one account and region need different prefixes; two in one app
   * with the same prefix and the same account and region are refused.
   *
   * @default - the stack's name (CloudFormation keeps stack names unique in an account and region)
   */
  readonly prefix?: string;
  /**
   * An existing SNS topic notified when a DLQ alarm changes state (ALARM and OK).
   *
   * @default - the alarms have no actions; watch them in the CloudWatch console
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Customer-managed KMS key that encrypts both DynamoDB tables (dedupe claims and delivery state). The
   * functions that use a table are granted encrypt/decrypt on it. Queues keep SQS-managed encryption.
   *
   * @default - the AWS-managed DynamoDB key (`alias/aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the functions' log groups and of the HTTP API's access log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Active X-Ray tracing on the functions.
   *
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Throttling of the HTTP API's `$default` stage (steady rate and burst).
   *
   * @default - no stage throttling: the account-level API Gateway limits apply
   */
  readonly throttle?: apigwv2.ThrottleSettings;
}

/** The props, checked, with their defaults filled in. */
export interface ResolvedPlatformProps {
  readonly config: WebhooksConfig;
  /** The config file every bundle gets a copy of. */
  readonly configFilePath: string;
  readonly prefix: string;
  readonly alarmTopic?: sns.ITopic;
  readonly encryptionKey?: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
  readonly throttle?: apigwv2.ThrottleSettings;
}

const PROP_NAMES = [
  "config",
  "prefix",
  "alarmTopic",
  "encryptionKey",
  "logRetention",
  "tracing",
  "throttle",
] as const satisfies ReadonlyArray<keyof WebhooksPlatformProps>;

/** One problem with a prop: `WebhooksPlatform props.prefix: must be …`. */
export interface PropProblem {
  readonly prop: string;
  readonly problem: string;
}

/** Props `WebhooksPlatform` cannot be built from; one line per problem, each naming its prop. */
export class WebhooksPlatformError extends ConfigError {
  override readonly name = "WebhooksPlatformError";
  readonly code = "invalid_props";
  constructor(readonly problems: readonly PropProblem[]) {
    super(problems.map((p) => `WebhooksPlatform props.${p.prop}: ${p.problem}`).join("\n"));
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks the props and fills in the defaults; throws `WebhooksPlatformError` naming every bad prop. */
export function resolvePlatformProps(scope: IConstruct, props: WebhooksPlatformProps): ResolvedPlatformProps {
  if (!isObject(props)) {
    throw new WebhooksPlatformError([{ prop: "config", problem: "required (props must be an object)" }]);
  }
  const problems: PropProblem[] = [];
  const fail = (prop: string, problem: string) => problems.push({ prop, problem });

  for (const name of Object.keys(props)) {
    if (
      !(PROP_NAMES as readonly string[]).includes(name) &&
      props[name as keyof typeof props] !== undefined
    ) {
      fail(name, `not a prop of WebhooksPlatform; its props are ${PROP_NAMES.join(", ")}`);
    }
  }
  const config = resolveConfig(scope, props.config, fail);
  const prefix = resolvePrefix(scope, props.prefix, fail);
  const { alarmTopic, encryptionKey, logRetention, tracing, throttle } = props;
  if (alarmTopic !== undefined && !hasStringMember(alarmTopic, "topicArn")) {
    fail("alarmTopic", "must be an sns.ITopic (e.g. sns.Topic.fromTopicArn(this, 'Alarms', arn))");
  }
  if (encryptionKey !== undefined && !hasStringMember(encryptionKey, "keyArn")) {
    fail("encryptionKey", "must be a kms.IKey (e.g. new kms.Key(this, 'Key') or kms.Key.fromKeyArn(...))");
  }
  if (logRetention !== undefined && !isRetentionDays(logRetention)) {
    fail(
      "logRetention",
      `must be a logs.RetentionDays value, e.g. logs.RetentionDays.ONE_MONTH; got ${show(logRetention)}`,
    );
  }
  if (tracing !== undefined && typeof tracing !== "boolean") {
    fail("tracing", `must be true or false; got ${show(tracing)}`);
  }
  if (throttle !== undefined) checkThrottle(throttle, fail);

  if (problems.length > 0 || config === undefined || prefix === undefined) {
    throw new WebhooksPlatformError(problems);
  }
  return {
    ...config,
    prefix,
    ...(alarmTopic === undefined ? {} : { alarmTopic }),
    ...(encryptionKey === undefined ? {} : { encryptionKey }),
    logRetention: logRetention ?? logs.RetentionDays.ONE_MONTH,
    tracing: tracing ?? false,
    ...(throttle === undefined ? {} : { throttle }),
  };
}

type Fail = (prop: string, problem: string) => void;

/** The validated config and the file the bundles copy: the given file, or the object written as JSON. */
function resolveConfig(
  scope: IConstruct,
  value: unknown,
  fail: Fail,
): { config: WebhooksConfig; configFilePath: string } | undefined {
  if (typeof value === "string") {
    if (value.trim() === "") {
      fail("config", "must be the path of the config's JSON file or the config object; got an empty string");
      return undefined;
    }
    const configFilePath = resolve(value);
    let json: unknown;
    try {
      json = readConfigJson(configFilePath);
    } catch (error) {
      fail("config", (error as Error).message);
      return undefined;
    }
    const config = validate(json, (line) => fail("config", `${configFilePath}: ${line}`));
    return config === undefined ? undefined : { config, configFilePath };
  }
  if (!isObject(value)) {
    fail("config", `required: the config object or the path of its JSON file; got ${show(value)}`);
    return undefined;
  }
  const config = validate(value, (line) => fail("config", line));
  return config === undefined ? undefined : { config, configFilePath: writeConfigFile(scope, config) };
}

function validate(value: unknown, fail: (line: string) => void): WebhooksConfig | undefined {
  const result = configSchema.safeParse(value);
  if (result.success) return result.data;
  for (const line of issueLines(result.error.issues)) fail(line);
  return undefined;
}

/**
 * Writes the config as JSON where the bundling step can copy it: into the cloud assembly directory,
 * named after its content, so the same config always gives the same file, the same bundles and the
 * same asset hashes (synth output stays deterministic).
 */
function writeConfigFile(scope: IConstruct, config: WebhooksConfig): string {
  const text = `${JSON.stringify(config, null, 2)}\n`;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const dir = Stage.of(scope)?.assetOutdir ?? join(tmpdir(), "webhooks-platform");
  const path = join(dir, `webhooks-config.${hash}.json`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, text);
  }
  return path;
}

function resolvePrefix(scope: IConstruct, value: unknown, fail: Fail): string | undefined {
  if (value !== undefined) {
    if (typeof value === "string" && isResourcePrefix(value)) return value;
    fail("prefix", `must be ${RESOURCE_PREFIX_RULE}; got ${show(value)}`);
    return undefined;
  }
  const { stackName } = Stack.of(scope);
  if (!Token.isUnresolved(stackName) && isResourcePrefix(stackName)) return stackName;
  fail(
    "prefix",
    `not given, and the default, the stack's name ${show(stackName)}, is not ${RESOURCE_PREFIX_RULE}; ` +
      "set prefix",
  );
  return undefined;
}

function checkThrottle(value: unknown, fail: Fail): void {
  if (!isObject(value)) {
    fail("throttle", `must be { rateLimit?, burstLimit? }; got ${show(value)}`);
    return;
  }
  const { rateLimit, burstLimit } = value;
  if (
    rateLimit !== undefined &&
    !(typeof rateLimit === "number" && Number.isFinite(rateLimit) && rateLimit >= 0)
  ) {
    fail("throttle.rateLimit", `must be a number of requests per second, 0 or more; got ${show(rateLimit)}`);
  }
  if (burstLimit !== undefined && !(Number.isInteger(burstLimit) && (burstLimit as number) >= 0)) {
    fail("throttle.burstLimit", `must be a whole number of requests, 0 or more; got ${show(burstLimit)}`);
  }
}

const isRetentionDays = (value: unknown): value is logs.RetentionDays =>
  typeof value === "number" && Object.values(logs.RetentionDays).includes(value);

const hasStringMember = (value: unknown, member: string): boolean =>
  isObject(value) && typeof value[member] === "string";

/** A short rendering of a bad value for an error line. */
function show(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (value === undefined || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : `a ${typeof value}`;
}
