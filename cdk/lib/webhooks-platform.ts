import { CfnOutput, Stack } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { buildTopology, type FunctionKey, type Topology } from "../../shared/topology/topology.js";
import { warnBlockedDestinations } from "./destination-checks.js";
import { pascalCase } from "./names.js";
import { WebhooksObservability } from "./observability.js";
import { resolvePlatformProps, WebhooksPlatformError, type WebhooksPlatformProps } from "./platform-props.js";
import { type WebhookQueue, WebhooksStateful, type WebhookTables } from "./stateful.js";
import { WebhooksStateless } from "./stateless.js";

/**
 * The whole webhook platform as one construct, for any CDK stack: the HTTP API (and Function URL), the
 * ingest, router, deliver and ops functions (`Stateless`), the event and delivery-state tables, the
 * payload bucket, the stream failures queue and one queue per subscription, each with a DLQ and an
 * alarm (`Stateful`), and the dashboard and alarms (`Observability`). Everything comes from the config,
 * through the topology (`shared/topology/topology.ts`): the same data the local runtime runs.
 *
 * Outputs: the construct adds its own `CfnOutput`s to the stack — `IngestUrl` (senders post to
 * `<IngestUrl><sourceId>`) and every queue's and DLQ's URL (`<Key>QueueUrl`, `<Key>DlqUrl`) — and
 * exposes the same values as members (`ingestUrl`, `queues`).
 *
 * Props are checked when it is created: a bad prop throws `WebhooksPlatformError`, one line per problem,
 * each naming the prop (`WebhooksPlatform props.config: subscriptions[0].target.url: …`).
 */
export class WebhooksPlatform extends Construct {
  /** Prefix of every physical resource name (`props.prefix`, or the stack's name). */
  readonly prefix: string;
  /** The validated config. */
  readonly config: WebhooksConfig;
  /** The wiring this construct deploys, as data. */
  readonly topology: Topology;
  /** The tables and queues. */
  readonly stateful: WebhooksStateful;
  /** The functions and the HTTP API. */
  readonly stateless: WebhooksStateless;
  /** The dashboard and the alarms beyond DLQ depth. */
  readonly observability: WebhooksObservability;
  /** Base URL senders post to: `<ingestUrl><sourceId>`. */
  readonly ingestUrl: string;
  /** The HTTP API that receives webhooks (config `ingress` `http-api` or `both`) and serves the ops API. */
  readonly api?: apigwv2.IHttpApi;
  /** Base URL of the ops API (`…/ops/api/`), deployed when the config has `ops.auth`. */
  readonly opsApiUrl?: string;
  /** The ingest function's URL (config `ingress` `function-url` or `both`). */
  readonly functionUrl?: lambda.IFunctionUrl;
  /** `events` (the event store: dedupe, archive, outbox) and `delivery` (ledger, attempts, state, index). */
  readonly tables: WebhookTables;
  /** Bodies too large for their event item. */
  readonly payloadBucket: s3.IBucket;
  /** Every subscription queue with its DLQ and DLQ alarm, by topology key: `sub-<subscription id>`. */
  readonly queues: ReadonlyMap<string, WebhookQueue>;
  /**
   * Every function by key: `ingest`, `router`, `deliver` when a subscription delivers over HTTP, and `ops`
   * when the config has `ops.auth`.
   */
  readonly functions: ReadonlyMap<FunctionKey, lambda.IFunction>;

  constructor(scope: Construct, id: string, props: WebhooksPlatformProps) {
    super(scope, id);
    const resolved = resolvePlatformProps(this, props);
    this.refuseSharedPrefix(resolved.prefix);
    this.prefix = resolved.prefix;
    this.config = resolved.config;
    this.topology = buildTopology(resolved.config, { prefix: resolved.prefix });
    warnBlockedDestinations(this, resolved.config);

    this.stateful = new WebhooksStateful(this, "Stateful", {
      topology: this.topology,
      alarmTopic: resolved.alarmTopic,
      tableEncryptionKey: resolved.encryptionKey,
    });
    this.stateless = new WebhooksStateless(this, "Stateless", {
      topology: this.topology,
      configFilePath: resolved.configFilePath,
      resources: this.stateful,
      tracing: resolved.tracing,
      logRetention: resolved.logRetention,
      throttle: resolved.throttle,
    });
    this.observability = new WebhooksObservability(this, "Observability", {
      topology: this.topology,
      stateful: this.stateful,
      stateless: this.stateless,
    });
    this.ingestUrl = this.stateless.ingestUrl;
    if (this.stateless.api) this.api = this.stateless.api;
    if (this.stateless.functionUrl) this.functionUrl = this.stateless.functionUrl;
    if (this.stateless.opsApiUrl) this.opsApiUrl = this.stateless.opsApiUrl;
    this.tables = this.stateful.tables;
    this.payloadBucket = this.stateful.payloadBucket;
    this.queues = this.stateful.queues;
    this.functions = this.stateless.functions;

    new CfnOutput(this, "IngestUrl", {
      value: this.ingestUrl,
      description: "Webhook senders post to <IngestUrl><sourceId>.",
    });
    if (this.functionUrl && this.api) {
      new CfnOutput(this, "FunctionIngestUrl", {
        value: `${this.functionUrl.url}webhooks/`,
        description: "The same ingest through the Lambda Function URL: <FunctionIngestUrl><sourceId>.",
      });
    }
    if (this.opsApiUrl) {
      new CfnOutput(this, "OpsApiUrl", {
        value: this.opsApiUrl,
        description:
          "The ops API (behind the ops.auth authorizer); GET <OpsApiUrl>openapi.json describes it.",
      });
    }
    new CfnOutput(this, "StreamFailuresQueueUrl", {
      value: this.stateful.streamFailures.queueUrl,
      description: "Stream batches the router gave up on (see README, Operate).",
    });
    for (const { spec, queue, dlq } of this.queues.values()) {
      const name = pascalCase(spec.key);
      new CfnOutput(this, `${name}QueueUrl`, { value: queue.queueUrl, description: `URL of ${spec.name}` });
      new CfnOutput(this, `${name}DlqUrl`, { value: dlq.queueUrl, description: `URL of ${spec.dlq.name}` });
    }
  }

  /** The queue of a subscription (and its DLQ); throws for an id the config does not have. */
  subscriptionQueue(subscriptionId: string): WebhookQueue {
    const found = this.topology.queues.find((q) => q.subscriptionId === subscriptionId);
    if (!found) {
      const known = this.config.subscriptions.map((s) => s.id).join(", ") || "(none)";
      throw new Error(`WebhooksPlatform has no subscription '${subscriptionId}'; known: ${known}.`);
    }
    return this.stateful.queue(found.key);
  }

  /**
   * Lets an internal consumer read a queue subscription (`"target": { "type": "queue" }`): receive,
   * delete and change visibility of its messages. Refused for an http subscription, whose queue the
   * deliver function consumes.
   */
  grantConsumeMessages(subscriptionId: string, grantee: iam.IGrantable): iam.Grant {
    const { spec, queue } = this.subscriptionQueue(subscriptionId);
    if (spec.role !== "queue-subscription") {
      throw new Error(
        `WebhooksPlatform subscription '${subscriptionId}' delivers over HTTP; only a queue subscription ` +
          "can be consumed by your own code.",
      );
    }
    // An event too large for an SQS message carries a `dataref`: its body's key in the payload bucket.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ["s3:GetObject"],
      resourceArns: [this.payloadBucket.arnForObjects("events/*")],
    });
    this.payloadBucket.encryptionKey?.grantDecrypt(grantee);
    return queue.grantConsumeMessages(grantee);
  }

  /** Physical names are derived from the prefix: two platforms that share one would collide on deploy. */
  private refuseSharedPrefix(prefix: string): void {
    const stack = Stack.of(this);
    for (const other of this.node.root.node.findAll()) {
      if (other === this || !(other instanceof WebhooksPlatform) || other.prefix !== prefix) continue;
      const otherStack = Stack.of(other);
      if (otherStack.account !== stack.account || otherStack.region !== stack.region) continue;
      throw new WebhooksPlatformError([
        {
          prop: "prefix",
          problem:
            `'${prefix}' is already the prefix of the WebhooksPlatform at ${other.node.path}; their ` +
            "resource names would collide: give each platform its own prefix",
        },
      ]);
    }
  }
}
