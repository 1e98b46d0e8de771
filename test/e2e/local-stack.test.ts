import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/emulators.js";
import { type LocalPlatform, type LocalState, startLocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { emulatorEndpoints, uniqueName } from "../support/aws.js";
import { runScript, STACK_LINE, spawnScript } from "../support/cli.js";
import { eventually } from "../support/http-sink.js";
import { SW_SOURCE } from "../support/test-platform.js";

/**
 * `npm start` as a user runs it: a state file, the sample sink on whatever port the stack got, and
 * `npm run send` against it. The sink target names a port nothing listens on, as the sample config's
 * `127.0.0.1:3000` does for a stack started with PORT=3100.
 */

const OUTBOUND_SECRET = "whsec_wfslnxzK/eJaURbSRwKGC1XzU/F7Xjq2";
const sw = SW_SOURCE;
const dir = mkdtempSync(join(tmpdir(), "webhooks-local-stack-"));
const statePath = join(dir, "stack.json");
const logs: string[] = [];
let platform: LocalPlatform;
let closedPort: number;
let stopped = false;

const stateOnDiskAt = (path: string) => JSON.parse(readFileSync(path, "utf8")) as LocalState;
const stateOnDisk = () => stateOnDiskAt(statePath);

beforeAll(async () => {
  closedPort = await freePort();
  const configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      sources: [sw, { id: "tok", provider: "token", secrets: ["local-stack-token"] }],
      subscriptions: [
        {
          id: "billing",
          sources: ["sw"],
          target: {
            type: "http",
            url: `http://127.0.0.1:${closedPort}/_local/sink/billing`,
            secret: OUTBOUND_SECRET,
          },
        },
      ],
    }),
  );
  const endpoints = emulatorEndpoints();
  platform = await startLocalPlatform({
    configPath,
    port: 0,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    prefix: uniqueName("stack"),
    logLevel: "SILENT",
    statePath,
    onLog: (line) => logs.push(line),
  });
});

afterAll(async () => {
  if (!stopped) await platform?.stop();
});

describe("the local stack (npm start)", () => {
  it("points the sample sink target at its own port, says so, and delivers there", async () => {
    const sinkUrl = `${platform.baseUrl}/_local/sink/billing`;
    expect(logs).toContain(
      `subscription billing: local sink http://127.0.0.1:${closedPort}/_local/sink/billing → ${sinkUrl}`,
    );
    const response = await fetch(`${platform.ingestUrl}sw`, { method: "POST", ...signedTestWebhook(sw) });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const delivery = await eventually(() =>
      platform.sink.received("billing").find((d) => d.headers["webhook-id"] === id),
    );
    expect(delivery.signatureValid).toBe(true);
  });

  it("writes a state file naming the config it runs, with the sink target it rewrote", () => {
    const state = stateOnDisk();
    expect(state.ingestUrl).toBe(`${platform.baseUrl}/webhooks/`);
    expect(isAbsolute(state.configPath)).toBe(true);
    expect(state.configPath.startsWith(platform.buildDir)).toBe(true);
    const config = JSON.parse(readFileSync(state.configPath, "utf8")) as {
      subscriptions: { target: { url: string } }[];
    };
    expect(config.subscriptions[0]?.target.url).toBe(`${platform.baseUrl}/_local/sink/billing`);
  });

  it("has a sink that answers any bytes without failing", async () => {
    const posted = await fetch(`${platform.baseUrl}/_local/sink/billing`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-signature": "v1,%%%" },
      body: Buffer.from([0xff, 0x00, 0x7b]),
    });
    expect(posted.status).toBe(204);
    const listed = (await (await fetch(`${platform.baseUrl}/_local/sink/billing`)).json()) as {
      signatureValid: boolean;
    }[];
    expect(listed.at(-1)?.signatureValid).toBe(false);
  });

  it("has a sink an operator can make fail (PUT a status) and heal (DELETE), to practise retries and dead letters", async () => {
    const statusUrl = `${platform.baseUrl}/_local/sink/billing/status`;
    const bad = await fetch(statusUrl, { method: "PUT", body: "soon" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      code: "invalid_request",
      detail: "body: a status code from 200 to 599 (e.g. 503), got 'soon'.",
    });
    expect((await fetch(statusUrl, { method: "PUT", body: "503" })).status).toBe(200);
    const response = await fetch(`${platform.ingestUrl}sw`, { method: "POST", ...signedTestWebhook(sw) });
    const { id } = (await response.json()) as { id: string };
    const failed = await eventually(() =>
      platform.sink.received("billing").find((d) => d.headers["webhook-id"] === id),
    );
    expect(failed.status).toBe(503);
    expect(logs).toContain("sink billing: answers 503 to every delivery from now on");

    expect(await (await fetch(statusUrl, { method: "DELETE" })).json()).toEqual({
      sink: "billing",
      status: 204,
    });
    const healed = await fetch(`${platform.baseUrl}/_local/sink/billing`, { method: "POST", body: "{}" });
    expect(healed.status).toBe(204);
  });

  it("npm run send signs with the running stack's config (not WEBHOOKS_CONFIG) and sends a file's payload", async () => {
    const payloadPath = join(dir, "payload.json");
    const payload = { type: "invoice.paid", timestamp: new Date().toISOString(), data: { from: "a file" } };
    writeFileSync(payloadPath, JSON.stringify(payload));
    const sent = await runScript("local/send.ts", ["sw", "--file", payloadPath], {
      WEBHOOKS_LOCAL_STATE: statePath,
      WEBHOOKS_CONFIG: join(dir, "no-such-config.json"),
    });
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const id = (JSON.parse(sent.stdout.replace(/^202 /, "")) as { id: string }).id;
    const delivery = await eventually(() =>
      platform.sink.received("billing").find((d) => d.headers["webhook-id"] === id),
    );
    expect(JSON.parse(delivery.body)).toMatchObject({ type: "invoice.paid", data: payload });
  });

  it("npm run send against a stopped stack prints one line", async () => {
    const stalePath = join(dir, "stale.json");
    writeFileSync(
      stalePath,
      JSON.stringify({ ...stateOnDisk(), ingestUrl: `http://127.0.0.1:${closedPort}/webhooks/` }),
    );
    const sent = await runScript("local/send.ts", ["sw"], { WEBHOOKS_LOCAL_STATE: stalePath });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe(
      `No local stack answers at http://127.0.0.1:${closedPort}/webhooks/: start it with npm start.\n`,
    );
  });

  it("npm run send without a state file prints one line", async () => {
    const missing = join(dir, "missing.json");
    const sent = await runScript("local/send.ts", ["sw"], { WEBHOOKS_LOCAL_STATE: missing });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toBe(`No local stack: ${missing} does not exist; start it with npm start.\n`);
  });

  it("npm run send with a bad config prints the config error's lines, no stack trace", async () => {
    const badConfig = join(dir, "bad-config.json");
    writeFileSync(
      badConfig,
      JSON.stringify({ sources: [{ id: "sw", provider: "nope" }], subscriptions: [] }),
    );
    const badState = join(dir, "bad-state.json");
    writeFileSync(badState, JSON.stringify({ ...stateOnDisk(), configPath: badConfig }));
    const sent = await runScript("local/send.ts", ["sw"], { WEBHOOKS_LOCAL_STATE: badState });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(
      /^Invalid webhooks config \(.*bad-config\.json\):\n {2}- sources\[0\]\.provider: /,
    );
    expect(sent.stderr).not.toMatch(STACK_LINE);
  });

  it("npm run send for an unknown source or a provider it cannot sign prints one line", async () => {
    const unknown = await runScript("local/send.ts", ["nope"], { WEBHOOKS_LOCAL_STATE: statePath });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("Unknown source 'nope'; this stack's sources: sw, tok.\n");
    const token = await runScript("local/send.ts", ["tok"], { WEBHOOKS_LOCAL_STATE: statePath });
    expect(token.code).toBe(1);
    expect(token.stderr.trim().split("\n")).toHaveLength(1);
    expect(token.stderr).toContain("source 'tok' is token");
  });

  it("npm start on a port already in use prints one line", async () => {
    const endpoints = emulatorEndpoints();
    const started = await runScript("local/start.ts", [], {
      PORT: new URL(platform.baseUrl).port,
      WEBHOOKS_CONFIG: join(dir, "config.json"),
      WEBHOOKS_LOCAL_STATE: join(dir, "second-stack.json"),
      WEBHOOKS_SQS_ENDPOINT: endpoints.sqs,
      WEBHOOKS_DYNAMODB_ENDPOINT: endpoints.dynamodb,
    });
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(
      /^Could not start the local platform: listen EADDRINUSE[^\n]*; set PORT [^\n]*\n$/,
    );
  });

  it("npm start with a port that is no port names the variable in one line", async () => {
    const started = await runScript("local/start.ts", [], { PORT: "abc" });
    expect(started.code).toBe(1);
    expect(started.stderr).toBe(
      "PORT must be a port number from 0 to 65535 (0 picks a free one); got 'abc'.\n",
    );
  });

  it.each(["SIGTERM", "SIGINT"] as const)(
    "npm start removes its state file and build on %s",
    async (signal) => {
      const endpoints = emulatorEndpoints();
      const stateFile = join(dir, `signal-${signal}.json`);
      const child = spawnScript("local/start.ts", {
        PORT: "0",
        WEBHOOKS_CONFIG: join(dir, "config.json"),
        WEBHOOKS_LOCAL_STATE: stateFile,
        WEBHOOKS_SQS_ENDPOINT: endpoints.sqs,
        WEBHOOKS_DYNAMODB_ENDPOINT: endpoints.dynamodb,
      });
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const state = await eventually(
        () => (existsSync(stateFile) ? stateOnDiskAt(stateFile) : undefined),
        60_000,
        () => output,
      );
      expect(existsSync(state.configPath)).toBe(true);
      // It prints the ops API's base and the console link (the token rides in the URL fragment).
      await eventually(
        () => output.includes(state.consoleUrl) || undefined,
        30_000,
        () => output,
      );
      expect(output).toContain(`Ops API         ${state.opsUrl}`);
      expect(state.consoleUrl).toContain(`/ops/#token=${state.opsToken}`);
      child.kill(signal);
      expect(await exited).toBe(0);
      expect(existsSync(stateFile)).toBe(false);
      expect(existsSync(state.configPath)).toBe(false);
    },
  );

  it("removes its state file and its build directory when it stops", async () => {
    expect(existsSync(platform.buildDir)).toBe(true);
    stopped = true;
    await platform.stop();
    expect(existsSync(statePath)).toBe(false);
    expect(existsSync(platform.buildDir)).toBe(false);
  });
});
