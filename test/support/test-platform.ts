import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalPlatform, type LocalPlatformOptions, startLocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import type { SourceConfig } from "../../shared/config/schema.js";
import { emulatorEndpoints, uniqueName } from "./aws.js";

/**
 * The local platform for one test file: `config` written to a temporary file, the run's shared
 * emulators, a prefix of its own (so files never share queues or tables), function logs silenced.
 */
export async function startTestPlatform(
  name: string,
  config: unknown,
  functionEnv: Readonly<Record<string, string>> = {},
  options: Pick<
    LocalPlatformOptions,
    "onLog" | "alterTopology" | "faultFor" | "onInvocation" | "meter" | "logLevel" | "functionOutput"
  > = {},
): Promise<LocalPlatform> {
  const configPath = join(mkdtempSync(join(tmpdir(), `webhooks-${name}-`)), "config.json");
  // Batching windows of 0 unless the test sets its own: each test waits for its events, not for a window
  // to close (the defaults are exercised by npm start and by the tests that set them).
  const withWindows =
    typeof config === "object" && config !== null && !("batching" in config)
      ? { ...config, batching: { routerWindowSeconds: 0, deliveryWindowSeconds: 0 } }
      : config;
  writeFileSync(configPath, JSON.stringify(withWindows));
  const endpoints = emulatorEndpoints();
  return startLocalPlatform({
    configPath,
    port: 0,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    prefix: uniqueName(name),
    // TEST_FUNCTION_LOG_LEVEL=INFO shows the functions' logs when a test needs debugging.
    logLevel: process.env.TEST_FUNCTION_LOG_LEVEL ?? "SILENT",
    functionEnv,
    ...options,
  });
}

/**
 * POSTs a signed test webhook (`signedTestWebhook`) to the platform's ingest URL for `source` and
 * returns the event id ingest answered with; anything but 202 fails the calling test with the answer.
 */
export async function postTestWebhook(
  platform: LocalPlatform,
  source: Pick<SourceConfig, "id" | "provider" | "secrets">,
  options: Parameters<typeof signedTestWebhook>[1] = {},
): Promise<string> {
  const request = signedTestWebhook(source, options);
  const response = await fetch(`${platform.ingestUrl}${source.id}`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  const text = await response.text();
  if (response.status !== 202) {
    throw new Error(`ingest answered ${response.status} to a signed ${source.id} webhook: ${text}`);
  }
  return (JSON.parse(text) as { id: string }).id;
}

/** The Standard Webhooks source most e2e files post to (`signedTestWebhook` signs with its secret). */
export const SW_SOURCE = {
  id: "sw",
  provider: "standard-webhooks" as const,
  secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
};

/** The secret e2e subscriptions sign their deliveries with. */
export const SINK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** Calls the platform's ops API with its token; the answer's status and parsed JSON body. */
export async function opsApi<T>(
  platform: LocalPlatform,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${platform.opsUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.opsToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}
