import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ENV } from "../../shared/config/env.js";
import { ConfigError } from "../../shared/config/load-config.js";
import { addWebhooksStack, DEFAULT_CONFIG_PATH, DEFAULT_STAGE } from "../lib/webhooks-app.js";

const app = new App();

/** A string context value (`-c key=value`), or undefined when not given. */
function stringContext(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" && typeof value !== "boolean") {
    throw new ConfigError(`Context '${key}' must be a string, got ${JSON.stringify(value)}.`);
  }
  return String(value);
}

try {
  addWebhooksStack(app, {
    configPath: stringContext("config") ?? process.env[ENV.config] ?? DEFAULT_CONFIG_PATH,
    stage: stringContext("stage") ?? DEFAULT_STAGE,
    alarmTopicArn: stringContext("alarmTopicArn"),
    tracing: stringContext("tracing") === "true",
  });
} catch (error) {
  // A config problem is the user's to fix: its lines, without a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// cdk-nag v3 runs as a policy validation plugin (v2's Aspects-based API is gone): any unacknowledged
// finding fails the synth. Acknowledgements (with their reasons) are also written into the template.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
);
