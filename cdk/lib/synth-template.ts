import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { PROJECT_ROOT } from "./stateless.js";
import { addWebhooksStack, DEFAULT_CONFIG_PATH, DEFAULT_STAGE, type WebhooksApp } from "./webhooks-app.js";

export interface SynthOptions {
  /**
   * Config file, absolute or relative to the repository root.
   *
   * @default DEFAULT_CONFIG_PATH (the sample config)
   */
  readonly configPath?: string;
  /** @default DEFAULT_STAGE */
  readonly stage?: string;
  /** @default - no alarm actions */
  readonly alarmTopicArn?: string;
  /** @default false */
  readonly tracing?: boolean;
  /**
   * Bundle the functions with esbuild. Turn it off for tests that never look at the code assets.
   *
   * @default true
   */
  readonly bundle?: boolean;
}

export interface SynthResult extends WebhooksApp {
  readonly app: App;
  readonly template: Template;
}

/** The context of `cdk.json` (feature flags), so tests synthesize exactly what `cdk synth` does. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, "cdk.json"), "utf8"));
  if (typeof cdkJson === "object" && cdkJson !== null && "context" in cdkJson) {
    const { context } = cdkJson;
    if (typeof context === "object" && context !== null) return { ...context };
  }
  return {};
}

/** Builds the app the way `cdk/bin/app.ts` does and synthesizes the stage's stack (for tests). */
export function synthTemplate(options: SynthOptions = {}): SynthResult {
  const context = cdkJsonContext();
  // An empty bundling-stacks list tells NodejsFunction to skip esbuild and use a placeholder asset.
  if (options.bundle === false) context["aws:cdk:bundling-stacks"] = [];
  const app = new App({ context });
  const result = addWebhooksStack(app, {
    configPath: resolve(PROJECT_ROOT, options.configPath ?? DEFAULT_CONFIG_PATH),
    stage: options.stage ?? DEFAULT_STAGE,
    alarmTopicArn: options.alarmTopicArn,
    tracing: options.tracing,
  });
  return { ...result, app, template: Template.fromStack(result.stack) };
}
