import { beforeAll, describe, expect, it } from "vitest";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { OPS_CONSOLE_ROUTE_KEYS, OPS_ROUTE_KEYS } from "../../shared/http/ops-routes.js";
import { queueNames } from "../../shared/topology/names.js";
import {
  asArray,
  type CfnResource,
  functionNameOf,
  getAttArn,
  type PolicyStatement,
  render,
  resourcesOf,
  resourcesOfType,
  resourceWith,
  roleOfFunction,
  statementsAllowing,
  statementsOfRole,
} from "./template-helpers.js";

/**
 * The ops API in the deployed stack: never open. Without `ops.auth` there is no ops function and no ops
 * route at all; with it, every `/ops/api/*` route sits behind the authorizer it names.
 */
const routesOf = (synth: SynthResult): Array<[string, CfnResource]> =>
  resourcesOfType(synth.template, "AWS::ApiGatewayV2::Route");
const routeKeys = (synth: SynthResult): string[] =>
  routesOf(synth).map(([, r]) => String(r.Properties.RouteKey));
const opsStatements = (synth: SynthResult): PolicyStatement[] => {
  const [, fn] = resourceWith(
    synth.template,
    "AWS::Lambda::Function",
    "FunctionName",
    functionNameOf(synth.topology, "ops"),
  );
  return statementsOfRole(synth.template, roleOfFunction(fn));
};
const queueArn = (synth: SynthResult, name: string): string =>
  render(getAttArn(resourceWith(synth.template, "AWS::SQS::Queue", "QueueName", name)[0]));

describe("a stack whose config has no ops.auth", () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthTemplate({ bundle: false });
  }, 120_000);

  it("deploys no ops route, no ops function, no authorizer and no ops jobs queue", () => {
    expect(routeKeys(synth).filter((key) => key.includes("/ops"))).toEqual([]);
    expect(synth.topology.functions.map((f) => f.key)).not.toContain("ops");
    expect(resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer")).toEqual([]);
    const queues = resourcesOfType(synth.template, "AWS::SQS::Queue").map(([, q]) =>
      String(q.Properties.QueueName),
    );
    expect(queues.filter((name) => name.includes("ops-jobs"))).toEqual([]);
    expect(Object.keys(synth.template.toJSON().Outputs ?? {}).filter((o) => o.includes("OpsApiUrl"))).toEqual(
      [],
    );
  });
});

describe("a stack with ops.auth of type jwt", () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthTemplate({
      configPath: "test/cdk/fixtures/webhooks.ops-jwt.json",
      stage: "opsjwt",
      bundle: false,
    });
  }, 120_000);

  it("creates one JWT authorizer with the config's issuer and audience, reading the Authorization header", () => {
    const authorizers = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer");
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.[1].Properties).toMatchObject({
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
      JwtConfiguration: {
        Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
        Audience: ["ops-console", "ops-cli"],
      },
    });
  });

  it("puts every ops API route and the /ops/api/ fallback behind it, and only the console's files outside", () => {
    const [authorizerId] = resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer")[0] ?? ["?"];
    const opsRoutes = routesOf(synth).filter(([, r]) => String(r.Properties.RouteKey).includes("/ops"));
    expect(opsRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(
      [...OPS_ROUTE_KEYS, "ANY /ops/api/{proxy+}", ...OPS_CONSOLE_ROUTE_KEYS].sort(),
    );
    for (const [, route] of opsRoutes) {
      const key = String(route.Properties.RouteKey);
      if (key.startsWith("GET /ops/api/") || key.includes(" /ops/api/")) {
        expect(route.Properties.AuthorizationType, key).toBe("JWT");
        expect(render(route.Properties.AuthorizerId), key).toBe(`\${${authorizerId}}`);
      } else {
        expect(OPS_CONSOLE_ROUTE_KEYS as readonly string[], key).toContain(key);
        expect(route.Properties.AuthorizationType ?? "NONE", key).toBe("NONE");
      }
    }
  });

  it("deploys the ops function (30 s, 512 MB) consuming its jobs queue one message at a time", () => {
    const [fnId, fn] = resourceWith(
      synth.template,
      "AWS::Lambda::Function",
      "FunctionName",
      functionNameOf(synth.topology, "ops"),
    );
    expect(fn.Properties).toMatchObject({ Timeout: 30, MemorySize: 512 });
    const [jobsId, jobs] = resourceWith(
      synth.template,
      "AWS::SQS::Queue",
      "QueueName",
      queueNames.opsJobs(synth.topology.prefix),
    );
    const [dlqId] = resourceWith(
      synth.template,
      "AWS::SQS::Queue",
      "QueueName",
      queueNames.dlq(queueNames.opsJobs(synth.topology.prefix)),
    );
    expect(jobs.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAttArn(dlqId),
      maxReceiveCount: 5,
    });
    const mapping = resourcesOfType(synth.template, "AWS::Lambda::EventSourceMapping").find(
      ([, m]) => render(m.Properties.EventSourceArn) === render(getAttArn(jobsId)),
    );
    expect(render(mapping?.[1].Properties.FunctionName)).toBe(`\${${fnId}}`);
    expect(mapping?.[1].Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("outputs the ops API's base URL", () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const [, output] = Object.entries(outputs).find(([name]) => name.includes("OpsApiUrl")) ?? [];
    expect(render(output?.Value)).toMatch(/\/ops\/api\/$/);
  });

  it("grants the ops function what the contract needs: CloudWatch metrics on *, DLQs drained, payloads erased", () => {
    const statements = opsStatements(synth);
    expect(resourcesOf(statementsAllowing(statements, "cloudwatch:GetMetricData"))).toEqual(["*"]);
    for (const spec of synth.topology.queues.filter((q) => q.role !== "ops-jobs")) {
      const receives = resourcesOf(statementsAllowing(statements, "sqs:ReceiveMessage"));
      expect(receives).toContain(queueArn(synth, spec.dlq.name));
    }
    expect(resourcesOf(statementsAllowing(statements, "sqs:SendMessage"))).toContain(
      queueArn(synth, queueNames.opsJobs(synth.topology.prefix)),
    );
    const deletes = statementsAllowing(statements, "s3:DeleteObject");
    expect(resourcesOf(deletes)).toHaveLength(1);
    expect(resourcesOf(deletes)[0]).toMatch(/\/events\/\*$/);
    expect(statementsAllowing(statements, "secretsmanager:GetSecretValue")).toEqual([]);
    // Never a wildcard action, and `*` only for the one action that supports no resource-level permission.
    for (const statement of statements) {
      for (const action of asArray(statement.Action)) expect(action).not.toContain("*");
      if (asArray(statement.Resource).map(render).includes("*")) {
        expect(asArray(statement.Action)).toEqual(["cloudwatch:GetMetricData"]);
      }
    }
  });
});

describe("a stack with ops.auth of type iam and a Function URL as the only ingress", () => {
  let synth: SynthResult;
  beforeAll(() => {
    synth = synthTemplate({
      configPath: "test/cdk/fixtures/webhooks.ops-iam.json",
      stage: "opsiam",
      bundle: false,
    });
  }, 120_000);

  it("creates an HTTP API for the ops routes alone, each /ops/api/ route with AWS_IAM authorization", () => {
    expect(resourcesOfType(synth.template, "AWS::ApiGatewayV2::Api")).toHaveLength(1);
    expect(resourcesOfType(synth.template, "AWS::Lambda::Url")).toHaveLength(1);
    expect(routeKeys(synth).filter((key) => key.includes("/webhooks") || key === "$default")).toEqual([]);
    for (const [, route] of routesOf(synth)) {
      const key = String(route.Properties.RouteKey);
      const expected = (OPS_CONSOLE_ROUTE_KEYS as readonly string[]).includes(key) ? "NONE" : "AWS_IAM";
      expect(route.Properties.AuthorizationType ?? "NONE", key).toBe(expected);
    }
    expect(resourcesOfType(synth.template, "AWS::ApiGatewayV2::Authorizer")).toEqual([]);
  });
});
