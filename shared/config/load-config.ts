import { readFileSync } from "node:fs";
import type * as z from "zod/mini";
import { configSchema, type WebhooksConfig } from "./schema.js";

export class ConfigError extends Error {
  override readonly name: string = "ConfigError";
}

/** One line per problem, each naming the field: `subscriptions[0].target.url: must be an http(s) URL`. */
export function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path
      .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
      .join("");
    return `${path || "(root)"}: ${issue.message}`;
  });
}

/** Turns zod issues into an indented list, one line per problem (see `issueLines`). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issueLines(issues)
    .map((line) => `  - ${line}`)
    .join("\n");
}

/** Validates an already-parsed config value. */
export function parseConfig(value: unknown, origin = "config"): WebhooksConfig {
  const result = configSchema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(`Invalid webhooks config (${origin}):\n${formatIssues(result.error.issues)}`);
  }
  return result.data;
}

/** Reads and validates the JSON config file at `path`. */
export function loadConfigFile(path: string): WebhooksConfig {
  return parseConfig(readConfigJson(path), path);
}

/** Reads the JSON of the config file at `path`, not yet validated. */
export function readConfigJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read webhooks config at ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Webhooks config at ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
