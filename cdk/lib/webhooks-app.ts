import { resolve } from "node:path";
import { type App, Tags } from "aws-cdk-lib";
import { ConfigError, loadConfigFile } from "../../shared/config/load-config.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { isResourcePrefix, RESOURCE_PREFIX_RULE } from "../../shared/topology/names.js";
import type { Topology } from "../../shared/topology/topology.js";
import { WebhooksStack } from "./webhooks-stack.js";

export const DEFAULT_CONFIG_PATH = "config/webhooks.sample.json";
export const DEFAULT_STAGE = "dev";

/** Prefix of every resource name of a stage: `webhooks-dev-events`, `webhooks-dev-sub-billing`. */
export const resourcePrefix = (stage: string): string => `webhooks-${stage}`;

export interface WebhooksAppOptions {
  /** Path of the webhooks config JSON, absolute or relative to the working directory. */
  readonly configPath: string;
  /** Deployment stage; names the stack and prefixes every resource name. */
  readonly stage: string;
  /**
   * ARN of an existing SNS topic for the platform's alarms.
   *
   * @default - alarms without actions
   */
  readonly alarmTopicArn?: string;
  /**
   * Active X-Ray tracing on the functions.
   *
   * @default false
   */
  readonly tracing?: boolean;
}

export interface WebhooksApp {
  readonly stack: WebhooksStack;
  readonly topology: Topology;
  readonly config: WebhooksConfig;
}

/** Loads the config and adds the stage's stack to `app`. Performs no lookups. */
export function addWebhooksStack(app: App, options: WebhooksAppOptions): WebhooksApp {
  const configFilePath = resolve(options.configPath);
  // Read here first so that a bad config reads as the config's own problems (`Invalid webhooks config
  // (path): …`), as `npm start` prints them; the platform then bundles this very file.
  loadConfigFile(configFilePath);
  const prefix = resourcePrefix(options.stage);
  if (!isResourcePrefix(prefix)) {
    throw new ConfigError(
      `Stage '${options.stage}' gives the resource prefix '${prefix}', which must be ${RESOURCE_PREFIX_RULE}; ` +
        "choose a shorter stage of letters, digits or '-'.",
    );
  }

  // No `env`: an environment-agnostic stack, synthesizable offline without credentials.
  const stack = new WebhooksStack(app, prefix, {
    stackName: prefix,
    description: `Webhook ingestion platform (stage ${options.stage})`,
    config: configFilePath,
    prefix,
    tracing: options.tracing,
    alarmTopicArn: options.alarmTopicArn,
  });
  Tags.of(stack).add("app", "webhooks");
  Tags.of(stack).add("stage", options.stage);
  return { stack, topology: stack.platform.topology, config: stack.platform.config };
}
