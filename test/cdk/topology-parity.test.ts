import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOYED_CONFIG_PATH } from "../../cdk/lib/function-environment.js";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
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

beforeAll(() => {
  synth = synthTemplate();
  topology = synth.topology;
}, 120_000);

const queueNamed = (name: string): [string, CfnResource] =>
  resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", name);

const functionFor = (key: string): [string, CfnResource] =>
  resourceWith(synth.template, "AWS::Lambda::Function", "FunctionName", functionNameOf(topology, key));

describe("topology parity (sample config)", () => {
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
    const specified = topology.queues.flatMap((q) => [q.name, q.dlq.name]);
    expect(new Set(deployed)).toEqual(new Set(specified));
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
        case "queue-url":
          return ref(queueNamed(findQueue(topology, value.queue).name)[0]);
        case "table-name":
          return ref(String(tableIdNamed(topology.table.name)));
        case "delivery-table-name":
          return ref(String(tableIdNamed(topology.deliveryTable.name)));
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
      for (const routeKey of spec.routes) {
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
          const spec = resource.table === "dedupe" ? topology.table : topology.deliveryTable;
          const arn = render(getAttArn(tableIdNamed(spec.name)));
          return resource.index === undefined ? arn : `${arn}/index/${resource.index}`;
        }
        case "queue":
          return render(getAttArn(queueNamed(findQueue(topology, resource.queue).name)[0]));
        case "dlq":
          return render(getAttArn(queueNamed(findQueue(topology, resource.queue).dlq.name)[0]));
        case "secret":
          return resource.arn;
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
      const fromTriggers = spec.sqsTriggers.flatMap((t) =>
        pairs(consumption, [render(getAttArn(queueNamed(findQueue(topology, t.queue).name)[0]))]),
      );
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
    expect(deployed.sort()).toEqual(topology.functions.flatMap((f) => f.routes).sort());
  });

  it("routes POST /webhooks/{sourceId} and $default (unmatched requests) to ingest", () => {
    expect(topology.functions.find((f) => f.key === "ingest")?.routes).toEqual([
      "POST /webhooks/{sourceId}",
      "$default",
    ]);
    synth.template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "POST /webhooks/{sourceId}",
    });
    synth.template.hasResourceProperties("AWS::ApiGatewayV2::Route", { RouteKey: "$default" });
  });
});
