import { App, Stack } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { type SynthOptions, synthTemplate } from "../../cdk/lib/synth-template.js";

/** Unacknowledged AwsSolutions findings of a synthesized stack, as `rule @ construct path` lines. */
function findings(options: SynthOptions, severity: "error" | "warning"): string[] {
  // cdk-nag reads the construct tree only; the code assets are irrelevant, so skip bundling.
  const { stack } = synthTemplate({ ...options, bundle: false });
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations
    .filter((v) => v.severity === severity)
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath ?? "?"}`));
}

const variants: ReadonlyArray<[string, SynthOptions]> = [
  ["the sample config", {}],
  [
    "Secrets Manager secrets, X-Ray tracing and an alarm topic",
    {
      configPath: "test/cdk/fixtures/webhooks.secret-arns.json",
      stage: "prod",
      tracing: true,
      alarmTopicArn: "arn:aws:sns:eu-west-1:111122223333:webhooks-alarms",
    },
  ],
  [
    "the ops API behind a JWT authorizer",
    { configPath: "test/cdk/fixtures/webhooks.ops-jwt.json", stage: "ops" },
  ],
  [
    "the ops API behind IAM, Function URL ingress and X-Ray tracing",
    { configPath: "test/cdk/fixtures/webhooks.ops-iam.json", stage: "opsiam", tracing: true },
  ],
];

describe("cdk-nag AwsSolutions checks", () => {
  it.each(variants)("report no unacknowledged errors for %s", (_name, options) => {
    expect(findings(options, "error")).toEqual([]);
  });

  it.each(variants)("report no unacknowledged warnings for %s", (_name, options) => {
    expect(findings(options, "warning")).toEqual([]);
  });

  it("leave no AwsSolutions error annotation on the stack", () => {
    const { stack } = synthTemplate({ bundle: false });
    expect(Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"))).toEqual(
      [],
    );
    expect(Annotations.fromStack(stack).findError("*", Match.anyValue())).toEqual([]);
  });

  it("flag a queue without DLQ or TLS enforcement (the checks are live in this test runner)", () => {
    const stack = new Stack(new App(), "Live");
    new sqs.Queue(stack, "Plain");
    const rules = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(["AwsSolutions-SQS3", "AwsSolutions-SQS4"]));
  });
});
