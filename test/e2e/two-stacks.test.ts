import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPlatform, startLocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { emulatorEndpoints, uniqueName } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";

/**
 * Two `npm start`s from one checkout: different configs, the same resource prefix (both default to
 * `webhooks-local`). Each has SQS of its own (the second an embedded fauxqs, as `npm start` starts),
 * they share DynamoDB Local with distinct subscription ids, and they start at the same time. Each
 * must run its own bundle and config, whatever the other does.
 */

const secret = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
const OUTBOUND_SECRET = "whsec_wfslnxzK/eJaURbSRwKGC1XzU/F7Xjq2";
const source = { id: "sw", provider: "standard-webhooks" as const, secrets: [secret] };
let sinkA: HttpSink;
let sinkB: HttpSink;
let a: LocalPlatform;
let b: LocalPlatform;
let bStopped = false;

function writeConfig(subscriptionId: string, sink: HttpSink): string {
  const path = join(mkdtempSync(join(tmpdir(), `webhooks-twin-${subscriptionId}-`)), "config.json");
  writeFileSync(
    path,
    JSON.stringify({
      sources: [source],
      subscriptions: [
        {
          id: subscriptionId,
          target: { type: "http", url: `${sink.url}/${subscriptionId}`, secret: OUTBOUND_SECRET },
        },
      ],
    }),
  );
  return path;
}

const subscriptionIdsIn = (configPath: string) =>
  (JSON.parse(readFileSync(configPath, "utf8")) as { subscriptions: { id: string }[] }).subscriptions.map(
    (s) => s.id,
  );

async function deliversTo(platform: LocalPlatform, sink: HttpSink, path: string): Promise<void> {
  const response = await fetch(`${platform.ingestUrl}sw`, { method: "POST", ...signedTestWebhook(source) });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  await eventually(() => sink.receivedOn(path).find((r) => r.headers["webhook-id"] === id));
}

beforeAll(async () => {
  [sinkA, sinkB] = await Promise.all([startHttpSink(), startHttpSink()]);
  const prefix = uniqueName("twin");
  const { sqs, dynamodb } = emulatorEndpoints();
  const common = { port: 0, prefix, dynamodbEndpoint: dynamodb, logLevel: "SILENT" };
  [a, b] = await Promise.all([
    startLocalPlatform({ ...common, configPath: writeConfig("alpha", sinkA), sqsEndpoint: sqs }),
    startLocalPlatform({ ...common, configPath: writeConfig("beta", sinkB), sqsPort: 0 }),
  ]);
});

afterAll(async () => {
  await a?.stop();
  if (!bStopped) await b?.stop();
  await Promise.all([sinkA?.close(), sinkB?.close()]);
});

describe("two local stacks from one checkout", () => {
  it("each runs a build of its own whose config is its own", () => {
    expect(a.buildDir).not.toBe(b.buildDir);
    for (const bundle of a.bundles) expect(subscriptionIdsIn(bundle.configPath)).toEqual(["alpha"]);
    for (const bundle of b.bundles) expect(subscriptionIdsIn(bundle.configPath)).toEqual(["beta"]);
  });

  it("each delivers to its own subscriber", async () => {
    await Promise.all([deliversTo(a, sinkA, "/alpha"), deliversTo(b, sinkB, "/beta")]);
  });

  it("stopping one removes its build only; the other keeps delivering", async () => {
    bStopped = true;
    await b.stop();
    expect(existsSync(b.buildDir)).toBe(false);
    expect(existsSync(a.buildDir)).toBe(true);
    await deliversTo(a, sinkA, "/alpha");
  });
});
