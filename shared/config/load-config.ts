import { readFileSync } from "node:fs";
import type * as z from "zod/mini";
import { configSchema, type WebhooksConfig } from "./schema.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Turns zod issues into one line per problem, each naming the field: `subscriptions[0].target.url: …`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path
        .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
        .join("");
      return `  - ${path || "(root)"}: ${issue.message}`;
    })
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
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read webhooks config at ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Webhooks config at ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, path);
}
