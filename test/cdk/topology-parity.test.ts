import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOYED_CONFIG_PATH } from "../../cdk/lib/function-environment.js";
import { PROJECT_ROOT } from "../../cdk/lib/stateless.js";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { bundleAssets } from "../../local/bundle.js";
import { LAMBDA } from "../../shared/topology/bundling.js";
import type { ResourceRef } from "../../shared/topology/grants.js";
import { type EnvValue, findQueue, type Topology } from "../../shared/topology/topology.js";
import {
  asArray,
  type CfnResource,
  functionNameOf,
  getAttArn,
  ref,
  render,
  resourcesOfType,
  resourceWith,
  roleOfFunction,
  statementsOfRole,
} from "./template-helpers.js";

let synth: SynthResult;
let topology: Topology;
const bucketId = (): string => resourcesOfType(synth.template, "AWS::S3::Bucket")[0]?.[0] ?? "?";

/**
 * The sample config (no ops API: it has no `ops.auth`), a config whose ops API sits behind a JWT
 * authorizer, and one behind IAM with a Function URL as the only ingress (the HTTP API carries ops only).
 */
const CONFIGS: ReadonlyArray<[string, string | undefined]> = [
  ["sample config", undefined],
  ["ops API behind a JWT authorizer", "test/cdk/fixtures/webhooks.ops-jwt.json"],
  ["ops API behind IAM, Function URL ingress", "test/cdk/fixtures/webhooks.ops-iam.json"],
];

const queueNamed = (name: string): [string, CfnResource] =>
  resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", name);

const functionFor = (key: string): [string, CfnResource] =>
  resourceWith(synth.template, "AWS::Lambda::Function", "FunctionName", functionNameOf(topology, key));

describe.each(CONFIGS)("topology parity (%s)", (_name, configPath) => {
  beforeAll(() => {
    synth = synthTemplate(configPath === undefined ? {} : { configPath, stage: "parity" });
    topology = synth.topology;
  }, 120_000);

  it("deploys every topology queue with its name, visibility timeout and retention", () => {
    for (const spec of topology.queues) {
      const [, queue] = queueNamed(spec.name);
      expect(queue.Properties).toMatchObject({
        VisibilityTimeout: spec.visibilityTimeoutSeconds,
        MessageRetentionPeriod: spec.retentionSeconds,
      });
    }
  });

  it("gives every topology queue its DLQ with the spec's name, retention and maxReceiveCount", () => {
    for (const spec of topology.queues) {
      const [, queue] = queueNamed(spec.name);
      const [dlqId, dlq] = queueNamed(spec.dlq.name);
      expect(queue.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: getAttArn(dlqId),
        maxReceiveCount: spec.dlq.maxReceiveCount,
      });
      expect(dlq.Properties.MessageRetentionPeriod).toBe(spec.dlq.retentionSeconds);
    }
  });

  it("deploys no queue the topology does not name", () => {
    const deployed = resourcesOfType(synth.template, "AWS::SQS::Queue").map(
      ([, q]) => q.Properties.QueueName,
    );
    const specified = [...topology.queues.flatMap((q) => [q.name, q.dlq.name]), topology.streamFailures.name];
    expect(new Set(deployed)).toEqual(new Set(specified));
  });

  it("deploys both tables with the spec's keys, TTL attribute, index and stream", () => {
    for (const spec of Object.values(topology.tables)) {
      const [, table] = resourceWith(synth.template, "AWS::DynamoDB::Table", "TableName", spec.name);
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: spec.partitionKey, KeyType: "HASH" },
        ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: "RANGE" }] : []),
      ]);
      expect(table.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: spec.ttlAttribute,
        Enabled: true,
      });
      expect(table.Properties.StreamSpecification).toEqual(
        spec.stream ? { StreamViewType: spec.stream } : undefined,
      );
      expect(
        (table.Properties.GlobalSecondaryIndexes as { IndexName: string }[] | undefined)?.map(
          (i) => i.IndexName,
        ),
      ).toEqual(spec.index ? [spec.index.name] : undefined);
    }
  });

  it("deploys the payload bucket private, encrypted, TLS only, with one expiry per source as the spec says", () => {
    const [, bucket] = resourcesOfType(synth.template, "AWS::S3::Bucket")[0] ?? [];
    expect(bucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: expect.any(Object) }],
      },
    });
    const lifecycle = bucket?.Properties.LifecycleConfiguration as
      | { Rules: { Prefix: string; ExpirationInDays: number }[] }
      | undefined;
    const rules = lifecycle?.Rules ?? [];
    expect(rules.map((r) => [r.Prefix, r.ExpirationInDays])).toEqual(
      topology.payloadBucket.expiry.map((e) => [e.prefix, e.days]),
    );
    const [, policy] = resourcesOfType(synth.template, "AWS::S3::BucketPolicy")[0] ?? [];
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it("maps every stream trigger with the spec's batching, filters, bisect, retries, record age and on-failure queue", () => {
    const mappings = resourcesOfType(synth.template, "AWS::Lambda::EventSourceMapping");
    for (const spec of topology.functions) {
      const [fnId] = functionFor(spec.key);
      for (const trigger of spec.streamTriggers) {
        const [tableId] = resourceWith(
          synth.template,
          "AWS::DynamoDB::Table",
          "TableName",
          topology.tables[trigger.table].name,
        );
        const matching = mappings.filter(
          ([, m]) =>
            render(m.Properties.FunctionName) === render(ref(fnId)) &&
            render(m.Properties.EventSourceArn) === `\${${tableId}.StreamArn}`,
        );
        expect(matching, `${spec.key} <- ${trigger.table} stream`).toHaveLength(1);
        expect(matching[0]?.[1].Properties).toMatchObject({
          BatchSize: trigger.batchSize,
          MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
          StartingPosition: trigger.startingPosition,
          FunctionResponseTypes: ["ReportBatchItemFailures"],
          BisectBatchOnFunctionError: trigger.bisectBatchOnFunctionError,
          MaximumRetryAttempts: trigger.maximumRetryAttempts,
          MaximumRecordAgeInSeconds: trigger.maximumRecordAgeSeconds,
          FilterCriteria: { Filters: trigger.filters.map((f) => ({ Pattern: JSON.stringify(f) })) },
          DestinationConfig: {
            OnFailure: { Destination: getAttArn(queueNamed(topology.streamFailures.name)[0]) },
          },
        });
      }
    }
  });

  it("gives the ingest function the front doors the spec names: HTTP API routes and a Function URL", () => {
    const urls = resourcesOfType(synth.template, "AWS::Lambda::Url");
    const withUrl = topology.functions.filter((f) => f.functionUrl);
    expect(urls).toHaveLength(withUrl.length);
    for (const spec of withUrl) {
      const [fnId] = functionFor(spec.key);
      const url = urls.find(([, u]) => render(u.Properties.TargetFunctionArn) === render(getAttArn(fnId)));
      expect(url?.[1].Properties.AuthType, spec.key).toBe("NONE");
    }
    expect(resourcesOfType(synth.template, "AWS::ApiGatewayV2::Api")).toHaveLength(
      topology.functions.some((f) => f.routes.length > 0) ? 1 : 0,
    );
  });

  it("puts each function's assets into its code asset, byte for byte what the local runtime builds", async () => {
    const assembly = synth.app.synth();
    const withAssets = topology.functions.filter((spec) => (spec.assets ?? []).length > 0);
    // The ops console comes with the ops function, which only a config with ops.auth deploys.
    expect(withAssets.map((spec) => spec.key)).toEqual(topology.opsAuth ? ["ops"] : []);
    for (const spec of withAssets) {
      const [, fn] = functionFor(spec.key);
      const key = render((fn.Properties.Code as { S3Key: unknown }).S3Key);
      const assetDir = join(assembly.directory, `asset.${key.replace(/\.zip$/, "")}`);
      const local = await bundleAssets(spec.assets ?? [], {
        rootDir: PROJECT_ROOT,
        outDir: mkdtempSync(join(tmpdir(), "webhooks-assets-")),
      });
      expect(local.map((a) => a.out)).toEqual(["console/index.html", "console/app.js", "console/app.css"]);
      for (const built of local) {
        const deployed = join(assetDir, built.out);
        expect(existsSync(deployed), built.out).toBe(true);
        expect(readFileSync(deployed).equals(readFileSync(built.file)), built.out).toBe(true);
        expect(built.bytes, built.out).toBeGreaterThan(100);
      }
    }
  });

  it("deploys every function with the spec's timeout, memory, runtime and architecture", () => {
    for (const spec of topology.functions) {
      const [, fn] = functionFor(spec.key);
      expect(fn.Properties).toMatchObject({
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
        Runtime: LAMBDA.runtime,
        Architectures: [LAMBDA.architecture],
      });
    }
  });

  it("deploys no function the topology does not name", () => {
    const deployed = resourcesOfType(synth.template, "AWS::Lambda::Function").map(
      ([, fn]) => fn.Properties.FunctionName,
    );
    expect(new Set(deployed)).toEqual(
      new Set(topology.functions.map((f) => functionNameOf(topology, f.key))),
    );
  });

  it("sets exactly the environment variable names of each function spec", () => {
    for (const spec of topology.functions) {
      const [, fn] = functionFor(spec.key);
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables).sort()).toEqual(Object.keys(spec.environment).sort());
    }
  });

  it("resolves each environment value to the literal or the resource the spec references", () => {
    const tableIdNamed = (name: string) =>
      resourcesOfType(synth.template, "AWS::DynamoDB::Table").find(
        ([, t]) => t.Properties.TableName === name,
      )?.[0];
    const expected = (value: EnvValue): unknown => {
      if (typeof value === "string") return value;
      switch (value.ref) {
        case "table-name":
          return ref(String(tableIdNamed(topology.tables[value.table].name)));
        case "bucket-name":
          return ref(resourcesOfType(synth.template, "AWS::S3::Bucket")[0]?.[0] ?? "?");
        case "config-path":
          return DEPLOYED_CONFIG_PATH;
        case "queue-url-prefix":
          return `https://sqs.\${AWS::Region}.\${AWS::URLSuffix}/\${AWS::AccountId}/`;
      }
    };
    for (const spec of topology.functions) {
      const [, fn] = functionFor(spec.key);
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [name, value] of Object.entries(spec.environment)) {
        const actual = variables[name];
        if (typeof value === "object" && value.ref === "queue-url-prefix") {
          expect(render(actual), `${spec.key} ${name}`).toBe(expected(value));
        } else {
          expect(actual, `${spec.key} ${name}`).toEqual(expected(value));
        }
      }
    }
  });

  it("maps every sqs trigger to an event source mapping with the spec's batch size and window", () => {
    const mappings = resourcesOfType(synth.template, "AWS::Lambda::EventSourceMapping");
    for (const spec of topology.functions) {
      const [fnId] = functionFor(spec.key);
      for (const trigger of spec.sqsTriggers) {
        const [queueId] = queueNamed(findQueue(topology, trigger.queue).name);
        const matching = mappings.filter(
          ([, m]) =>
            render(m.Properties.FunctionName) === render(ref(fnId)) &&
            render(m.Properties.EventSourceArn) === render(getAttArn(queueId)),
        );
        expect(matching, `${spec.key} <- ${trigger.queue}`).toHaveLength(1);
        expect(matching[0]?.[1].Properties).toMatchObject({
          BatchSize: trigger.batchSize,
          MaximumBatchingWindowInSeconds: trigger.maxBatchingWindowSeconds,
          FunctionResponseTypes: ["ReportBatchItemFailures"],
        });
      }
    }
  });

  it("deploys every route key of every function spec, integrated with that function (payload 2.0)", () => {
    for (const spec of topology.functions) {
      const [fnId] = functionFor(spec.key);
      for (const { key: routeKey } of spec.routes) {
        const [, route] = resourceWith(synth.template, "AWS::ApiGatewayV2::Route", "RouteKey", routeKey);
        const integrationId = render(route.Properties.Target).replace(/^integrations\/\$\{(.+)\}$/, "$1");
        const integration = synth.template.toJSON().Resources[integrationId] as CfnResource;
        expect(integration.Properties, routeKey).toMatchObject({
          IntegrationType: "AWS_PROXY",
          IntegrationUri: getAttArn(fnId),
          PayloadFormatVersion: "2.0",
        });
      }
    }
  });

  it("grants each function's role exactly the topology's grants, beyond logs and trigger consumption", () => {
    const tableIdNamed = (name: string) =>
      resourceWith(synth.template, "AWS::DynamoDB::Table", "TableName", name)[0];
    const arnOf = (resource: ResourceRef): string => {
      switch (resource.ref) {
        case "table": {
          const arn = render(getAttArn(tableIdNamed(topology.tables[resource.table].name)));
          return resource.index === undefined ? arn : `${arn}/index/${resource.index}`;
        }
        case "bucket-objects":
          return `${render(getAttArn(bucketId()))}/${resource.prefix}*`;
        case "stream-failures":
          return render(getAttArn(queueNamed(topology.streamFailures.name)[0]));
        case "queue":
          return render(getAttArn(queueNamed(findQueue(topology, resource.queue).name)[0]));
        case "dlq":
          return render(getAttArn(queueNamed(findQueue(topology, resource.queue).dlq.name)[0]));
        case "secret":
          return resource.arn;
        case "any-resource":
          return "*";
      }
    };
    // What the event source mappings need to consume their queues (added by CDK for each trigger).
    const consumption = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
    ];
    const streamReading = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"];
    const onFailureSending = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"];
    const pairs = (actions: readonly string[], resources: readonly string[]) =>
      actions.flatMap((action) => resources.map((resource) => `${action} ${resource}`));
    for (const spec of topology.functions) {
      const [, fn] = functionFor(spec.key);
      const [logGroupId] = resourcesOfType(synth.template, "AWS::Logs::LogGroup").find(([id]) =>
        render(fn.Properties.LoggingConfig).includes(id),
      ) ?? ["?"];
      const granted = new Set(
        statementsOfRole(synth.template, roleOfFunction(fn)).flatMap((st) =>
          pairs(asArray(st.Action), asArray(st.Resource).map(render)),
        ),
      );
      const fromTopology = spec.grants.flatMap((g) => pairs(g.actions, g.resources.map(arnOf)));
      const fromTriggers = [
        ...spec.sqsTriggers.flatMap((t) =>
          pairs(consumption, [render(getAttArn(queueNamed(findQueue(topology, t.queue).name)[0]))]),
        ),
        // A stream mapping reads its stream, and sends what it gives up on to its on-failure queue.
        ...spec.streamTriggers.flatMap((t) => [
          ...pairs(streamReading, [
            `\${${resourceWith(synth.template, "AWS::DynamoDB::Table", "TableName", topology.tables[t.table].name)[0]}.StreamArn}`,
          ]),
          "dynamodb:ListStreams *",
          ...pairs(onFailureSending, [render(getAttArn(queueNamed(topology.streamFailures.name)[0]))]),
        ]),
      ];
      const logs = pairs(["logs:CreateLogStream", "logs:PutLogEvents"], [render(getAttArn(logGroupId))]);
      expect(fromTopology.length, spec.key).toBeGreaterThan(0);
      expect([...granted].sort(), spec.key).toEqual(
        [...new Set([...fromTopology, ...fromTriggers, ...logs])].sort(),
      );
    }
  });

  it("deploys no route the topology does not name", () => {
    const deployed = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Route").map(
      ([, r]) => r.Properties.RouteKey,
    );
    expect(deployed.sort()).toEqual(topology.functions.flatMap((f) => f.routes.map((r) => r.key)).sort());
  });

  it("puts each route behind the authorizer its spec names: none, or the ops authorizer of ops.auth", () => {
    const authorizers = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer");
    for (const spec of topology.functions) {
      for (const { key, auth } of spec.routes) {
        const [, route] = resourceWith(synth.template, "AWS::ApiGatewayV2::Route", "RouteKey", key);
        if (auth === "none") {
          expect(route.Properties.AuthorizationType ?? "NONE", key).toBe("NONE");
          continue;
        }
        const opsAuth = topology.opsAuth;
        if (opsAuth?.type === "iam") {
          expect(route.Properties.AuthorizationType, key).toBe("AWS_IAM");
          continue;
        }
        expect(opsAuth?.type, key).toBe("jwt");
        expect(route.Properties.AuthorizationType, key).toBe("JWT");
        const authorizer = authorizers.find(([id]) => render(route.Properties.AuthorizerId) === `\${${id}}`);
        expect(authorizer?.[1].Properties, key).toMatchObject({
          AuthorizerType: "JWT",
          IdentitySource: ["$request.header.Authorization"],
          JwtConfiguration:
            opsAuth?.type === "jwt" ? { Issuer: opsAuth.issuer, Audience: [...opsAuth.audience] } : {},
        });
      }
    }
    expect(authorizers).toHaveLength(topology.opsAuth?.type === "jwt" ? 1 : 0);
  });

  it("routes POST /webhooks/{sourceId} and $default (unmatched requests) to ingest (ingress http-api)", () => {
    const ingestRoutes = topology.functions.find((f) => f.key === "ingest")?.routes.map((r) => r.key);
    const expected = topology.ingress.httpApi ? ["POST /webhooks/{sourceId}", "$default"] : [];
    expect(ingestRoutes).toEqual(expected);
    for (const routeKey of expected) {
      synth.template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: routeKey });
    }
  });
});
