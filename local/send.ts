import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ENV } from "../shared/config/env.js";
import { ConfigError, loadConfigFile } from "../shared/config/load-config.js";
import type { WebhooksConfig } from "../shared/config/schema.js";
import { SAMPLE_PROVIDERS, signedTestWebhook } from "./test-webhook.js";

/**
 * `npm run send -- <sourceId> [eventType] [--file payload.json]`: signs a webhook for a source of the
 * running local stack (its config comes from the stack's state file) and posts it. Without `--file`
 * the body is a sample event; with it, the file's exact bytes are signed and sent. Every failure is
 * one line on stderr and a non-zero exit code.
 */
const USAGE = "Usage: npm run send -- <sourceId> [eventType] [--file payload.json]";

class SendError extends Error {}

function parseArgs(argv: readonly string[]): { sourceId?: string; type?: string; file?: string } {
  const positional: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--file") {
      file = argv[++i];
      if (file === undefined) throw new SendError(`--file needs a path. ${USAGE}`);
    } else if (arg.startsWith("--file=")) {
      file = arg.slice("--file=".length);
    } else if (arg.startsWith("--")) {
      throw new SendError(`Unknown option ${arg}. ${USAGE}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length > 2) throw new SendError(`Too many arguments. ${USAGE}`);
  const [sourceId, type] = positional;
  return { sourceId, type, file };
}

interface StackState {
  readonly ingestUrl: string;
  readonly configPath: string;
}

function readState(statePath: string): StackState {
  let text: string;
  try {
    text = readFileSync(statePath, "utf8");
  } catch {
    throw new SendError(`No local stack: ${statePath} does not exist; start it with npm start.`);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    throw new SendError(`${statePath} is not JSON; restart the local stack with npm start.`);
  }
  const { ingestUrl, configPath } = (state ?? {}) as Partial<Record<keyof StackState, unknown>>;
  if (typeof ingestUrl !== "string" || typeof configPath !== "string") {
    throw new SendError(
      `${statePath} names no ingestUrl and configPath; restart the local stack with npm start.`,
    );
  }
  return { ingestUrl, configPath };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const statePath = resolve(process.env[ENV.localState] ?? ".local/stack.json");
  const state = readState(statePath);
  const config: WebhooksConfig = loadConfigFile(state.configPath);
  const known = config.sources.map((s) => s.id).join(", ");
  if (!args.sourceId) throw new SendError(`${USAGE} (this stack's sources: ${known})`);
  const source = config.sources.find((s) => s.id === args.sourceId);
  if (!source) throw new SendError(`Unknown source '${args.sourceId}'; this stack's sources: ${known}.`);
  if (!SAMPLE_PROVIDERS.includes(source.provider)) {
    throw new SendError(
      `npm run send signs for ${SAMPLE_PROVIDERS.join(", ")}; source '${source.id}' is ${source.provider}.`,
    );
  }
  let body: string | undefined;
  if (args.file !== undefined) {
    try {
      body = readFileSync(resolve(args.file), "utf8");
    } catch (error) {
      throw new SendError(`Cannot read --file ${args.file}: ${(error as Error).message}`);
    }
  }
  let request: ReturnType<typeof signedTestWebhook>;
  try {
    request = signedTestWebhook(source, {
      ...(args.type ? { type: args.type } : {}),
      ...(body === undefined ? {} : { body }),
    });
  } catch (error) {
    throw new SendError(`Cannot sign for source '${source.id}': ${(error as Error).message}`);
  }
  const url = `${state.ingestUrl}${source.id}`;
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
  } catch {
    throw new SendError(`No local stack answers at ${state.ingestUrl}: start it with npm start.`);
  }
  console.log(response.status, await response.text());
  return response.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // ConfigError messages are one line per problem; nothing else is printed, no stack.
    if (error instanceof SendError || error instanceof ConfigError) console.error(error.message);
    else console.error(`npm run send failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(error instanceof SendError && error.message.startsWith("Usage") ? 2 : 1);
  },
);
