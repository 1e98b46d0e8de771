import { resolve } from "node:path";
import { ENV } from "../shared/config/env.js";
import { ConfigError } from "../shared/config/load-config.js";
import { startLocalPlatform } from "./runtime.js";
import { SAMPLE_PROVIDERS, signedTestWebhook, toCurl } from "./test-webhook.js";

/** `npm start`: the whole platform on this machine, on embedded emulators. Ctrl-C stops it all. */
const DEFAULT_CONFIG = "config/webhooks.sample.json";
const env = process.env;

/** A port from the environment: 0–65535 (0 picks a free one), or one line naming the variable. */
function portFrom(name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (port >= 0 && port <= 65_535) return port;
  console.error(`${name} must be a port number from 0 to 65535 (0 picks a free one); got '${text}'.`);
  process.exit(1);
}

const port = portFrom("PORT", 3000);
const sqsPort = portFrom("WEBHOOKS_LOCAL_SQS_PORT", 4566);
const dynamodbPort = portFrom("WEBHOOKS_LOCAL_DYNAMODB_PORT", 8000);
const configPath = resolve(env[ENV.config] ?? DEFAULT_CONFIG);
const statePath = env[ENV.localState] ?? ".local/stack.json";
const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);

async function main(): Promise<void> {
  const started = Date.now();
  log(`starting with config ${configPath}`);
  const platform = await startLocalPlatform({
    configPath,
    port,
    sqsPort,
    dynamodbPort,
    ...(env[ENV.sqsEndpoint] ? { sqsEndpoint: env[ENV.sqsEndpoint] } : {}),
    ...(env[ENV.dynamodbEndpoint] ? { dynamodbEndpoint: env[ENV.dynamodbEndpoint] } : {}),
    statePath,
    logLevel: env.POWERTOOLS_LOG_LEVEL ?? "INFO",
    onLog: log,
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    await platform.stop();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  const canSign = (s: (typeof platform.config.sources)[number]) =>
    SAMPLE_PROVIDERS.includes(s.provider) && typeof s.secrets?.[0] === "string";
  const sample =
    platform.config.sources.find((s) => s.provider === "stripe" && canSign(s)) ??
    platform.config.sources.find(canSign);
  const lines = [
    "",
    `Webhooks platform running locally (ready in ${Date.now() - started} ms)`,
    "",
    `  Ingest URL      ${platform.ingestUrl}{sourceId}`,
    ...(platform.functionIngestUrl ? [`  Function URL    ${platform.functionIngestUrl}{sourceId}`] : []),
    `  Sources         ${platform.config.sources.map((s) => `${s.id} (${s.provider})`).join(", ")}`,
    `  SQS endpoint    ${platform.sqsEndpoint}`,
    `  DynamoDB        ${platform.dynamodbEndpoint}`,
    `  Event table     ${platform.tableNames.events} (its stream feeds the router)`,
    `  Stream failures ${platform.streamFailuresUrl}`,
    "",
    `  Ops API         ${platform.opsUrl}  (send Authorization: Bearer <ops token>; GET openapi.json describes it)`,
    `  Ops token       ${platform.opsToken}  (new at every start)`,
    `  Ops console     ${platform.consoleUrl}`,
    "",
    "  Subscriptions:",
    ...platform.config.subscriptions.flatMap((s) => {
      const q = platform.queues[s.id];
      return [
        `    ${s.id} → ${s.target.type === "http" ? s.target.url : "queue (read it with any SQS client)"}`,
        `      queue ${q?.url}`,
        `      dlq   ${q?.dlqUrl}`,
      ];
    }),
    "",
    `  State file      ${resolve(statePath)}`,
  ];
  if (sample) {
    lines.push(
      "",
      `Send a signed test webhook to '${sample.id}' (signatures with a timestamp are valid for 5 minutes;`,
      "`npm run send -- <sourceId>` signs a fresh one):",
      "",
      toCurl(`${platform.ingestUrl}${sample.id}`, signedTestWebhook(sample)),
    );
  }
  lines.push("", "Ctrl-C stops everything.", "");
  console.log(lines.join("\n"));
}

main().catch((error: unknown) => {
  // One clear message, never a stack trace: config problems as their lines, anything else as its message.
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    const { code, message } = error as NodeJS.ErrnoException;
    const hint =
      code === "EADDRINUSE"
        ? "; set PORT (or WEBHOOKS_LOCAL_SQS_PORT, WEBHOOKS_LOCAL_DYNAMODB_PORT) to a free port"
        : "";
    console.error(`Could not start the local platform: ${message ?? String(error)}${hint}`);
  }
  process.exit(1);
});
