import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, runOps, USAGE } from "../../../ops/cli.js";
import { ENV } from "../../../shared/config/env.js";

const config = {
  sources: [],
  subscriptions: [
    {
      id: "billing",
      target: {
        type: "http",
        url: "https://api.example.com/hook",
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      },
    },
    { id: "audit", target: { type: "queue" } },
  ],
};

/** A directory with the config, and a local state file naming it (or not). */
function workspace(state: Record<string, unknown> | undefined) {
  const dir = mkdtempSync(join(tmpdir(), "ops-cli-"));
  const configPath = join(dir, "webhooks.json");
  writeFileSync(configPath, JSON.stringify(config));
  const statePath = join(dir, "stack.json");
  if (state)
    writeFileSync(
      statePath,
      JSON.stringify({ ...state, configPath: state.configPath === null ? undefined : configPath }),
    );
  return { dir, configPath, statePath };
}

const local = { sqsEndpoint: "http://127.0.0.1:9", dynamodbEndpoint: "http://127.0.0.1:9" };

async function run(argv: string[], env: Record<string, string> = {}, cwd = tmpdir()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(argv, { env, cwd, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe("npm run ops: the command line", () => {
  it.each([[[]], [["--help"]], [["-h"]], [["help"]], [["dlq", "replay", "--help"]]])(
    "prints the usage for %j and exits 0",
    async (argv) => {
      expect(await run(argv)).toEqual({ code: 0, out: [USAGE], err: [] });
    },
  );

  it.each([
    [
      ["dlq", "purge", "billing"],
      /^Unknown command 'dlq purge'; commands: events list\|show\|resend\|erase, replay, replay status, dlq list\|depth\|replay, attempts event\|subscription, subscriptions, subscription status\|pause\|resume, breaker status\|close, stream-failures, stream-failures list\|redrive\|discard\./,
    ],
    [["events"], /^Unknown command 'events'/],
    [
      ["replay"],
      /^replay needs a filter \(--source, --type, --subscription, --since, --until or --dead-lettered\): it would resend every archived event\./,
    ],
    [
      ["replay", "--type", "a", "--reason", "x"],
      /^--reason applies to dead letters only: add --dead-lettered\./,
    ],
    [
      ["replay", "--subscription", "a", "--subscription", "b"],
      /^--subscription is given twice; a replay filters by one\./,
    ],
    [["replay", "--dry-run", "--force"], /^--force does not apply to replay --dry-run\./],
    [["replay", "status"], /^replay status needs a replay id\./],
    [["replay", "billing"], /^Unexpected argument 'billing' after replay\./],
    [["events", "show"], /^events show needs an event id\./],
    [
      ["events", "list", "--status", "lost"],
      /^--status must be one of delivered, retrying, dead-lettered, pending, enqueued, got 'lost'\./,
    ],
    [["events", "list", "--dry-run"], /^--dry-run does not apply to events list\./],
    [["events", "list", "--type", "a", "--type", "b"], /^--type is given twice\./],
    [["events", "erase", "evt_1", "--subscription", "a"], /^--subscription does not apply to events erase\./],
    [["subscriptions", "billing"], /^Unexpected argument 'billing' after subscriptions\./],
    [["dlq", "list"], /^dlq list needs a subscription id\./],
    [["breaker", "close"], /^breaker close needs a destination URL\./],
    [["dlq", "list", "billing", "extra"], /^Unexpected argument 'extra'/],
    [["dlq", "list", "billing", "--max", "0"], /^--max must be a positive whole number, got '0'\./],
    [["dlq", "list", "billing", "--max"], /^--max needs a value\./],
    [["dlq", "list", "billing", "--forse"], /^Unknown option '--forse'\./],
    [["dlq", "list", "billing", "--force"], /^--force does not apply to dlq list\./],
    [["attempts", "event", "evt_1", "--max", "5"], /^--max does not apply to attempts event\./],
    [["stream-failures", "redrive", "--max", "5"], /^--max does not apply to stream-failures redrive\./],
    [["stream-failures", "list", "--dry-run"], /^--dry-run does not apply to stream-failures list\./],
    [["stream-failures", "--since", "2026-01-01T00:00:00Z"], /^--since does not apply to stream-failures\./],
    [["stream-failures", "redrive", "all"], /^Unexpected argument 'all' after stream-failures redrive\./],
    [["stream-failures", "purge"], /^Unexpected argument 'purge' after stream-failures\./],
    [
      ["stream-failures", "discard", "--event", "evt_1"],
      /^--event 'evt_1' is not an event id: 'evt_' followed by 22 letters, digits, '-' or '_'\./,
    ],
    [["stream-failures", "discard", "--event"], /^--event needs a value\./],
    [["stream-failures", "discard", "--max", "5"], /^--max does not apply to stream-failures discard\./],
    [["stream-failures", "discard", "--force"], /^--force does not apply to stream-failures discard\./],
    [
      ["stream-failures", "redrive", "--event", "evt_AAAAAAAAAAAAAAAAAAAAAA"],
      /^--event does not apply to stream-failures redrive\./,
    ],
    [["stream-failures", "discard", "all"], /^Unexpected argument 'all' after stream-failures discard\./],
  ])("answers %j with one usage line and exit code 2", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(message);
    expect(result.err[0]).toMatch(/Run 'npm run ops -- --help' for the commands\.$/);
  });

  it("reads a filter option that may repeat, and the switches of replays", () => {
    expect(
      parseArgs([
        "events",
        "resend",
        "evt_1",
        "--subscription",
        "a",
        "--subscription=b",
        "--dry-run",
        "--dead-lettered",
      ]),
    ).toEqual({
      help: false,
      positionals: ["events", "resend", "evt_1"],
      force: false,
      json: false,
      dryRun: true,
      deadLettered: true,
      values: { subscription: ["a", "b"] },
    });
  });

  it("reads the repeated --event of a discard, and documents the discard in the help", () => {
    expect(
      parseArgs([
        "stream-failures",
        "discard",
        "--dry-run",
        "--event",
        "evt_AAAAAAAAAAAAAAAAAAAAAA",
        "--event=evt_BBBBBBBBBBBBBBBBBBBBBB",
      ]),
    ).toEqual({
      help: false,
      positionals: ["stream-failures", "discard"],
      force: false,
      json: false,
      dryRun: true,
      values: { event: ["evt_AAAAAAAAAAAAAAAAAAAAAA", "evt_BBBBBBBBBBBBBBBBBBBBBB"] },
    });
    expect(USAGE).toContain("  stream-failures discard --dry-run       the records the router set aside");
    expect(USAGE).toMatch(
      / {2}stream-failures discard {17}delete the set-aside records .*\n {11}\[--event ID\]\.\.\. .* never a batch message\n/,
    );
  });

  it("reads --name=value as well as --name value", () => {
    expect(parseArgs(["dlq", "list", "billing", "--max=5", "--prefix", "webhooks-prod", "--json"])).toEqual({
      help: false,
      positionals: ["dlq", "list", "billing"],
      prefix: "webhooks-prod",
      max: 5,
      force: false,
      json: true,
    });
  });
});

describe("npm run ops: which stack and which subscriptions", () => {
  it("checks a subscription id against the config the local stack runs, before touching anything", async () => {
    const { statePath } = workspace(local);
    const result = await run(["subscription", "pause", "nope"], { [ENV.localState]: statePath });
    expect(result).toEqual({ code: 2, out: [], err: ["Unknown subscription 'nope'; known: billing, audit"] });
  });

  it("says pause does not apply to a queue subscription", async () => {
    const { statePath } = workspace(local);
    const result = await run(["subscription", "pause", "audit"], { [ENV.localState]: statePath });
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      expect.stringMatching(/^'audit' is a queue subscription: .* only applies to HTTP subscriptions/),
    ]);
  });

  it("finds the local state file relative to the working directory, and says how to start one when there is none", async () => {
    const { dir } = workspace(undefined);
    const result = await run(["dlq", "depth", "billing"], {}, dir);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      `No local stack: ${join(dir, ".local/stack.json")} does not exist. Start it with npm start, or pass --prefix webhooks-<stage> --config <path> for a deployed stack.`,
    ]);
  });

  it("asks for --config when the local state names no config", async () => {
    const { statePath } = workspace({ ...local, configPath: null });
    const result = await run(["dlq", "depth", "billing"], { [ENV.localState]: statePath });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      expect.stringMatching(/names no config .*: restart npm start, or pass --config <path>\.$/),
    ]);
  });

  it("asks for the deployed stack's config with --prefix, and takes it from --config or WEBHOOKS_CONFIG", async () => {
    const missing = await run(["subscription", "status", "billing", "--prefix", "webhooks-prod"]);
    expect(missing).toEqual({
      code: 2,
      out: [],
      err: [
        `--prefix webhooks-prod needs the config the stack was deployed with: pass --config <path> (or set ${ENV.config}).`,
      ],
    });
    const { configPath } = workspace(undefined);
    for (const [argv, env] of [
      [["--config", configPath], {}],
      [[], { [ENV.config]: configPath }],
    ] as const) {
      const result = await run(["subscription", "status", "nope", "--prefix", "webhooks-prod", ...argv], env);
      expect(result.err).toEqual(["Unknown subscription 'nope'; known: billing, audit"]);
    }
  });

  it("turns a config that does not validate into one line", async () => {
    const { dir } = workspace(undefined);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ sources: [], subscriptions: [{ id: "x" }] }));
    const result = await run(["dlq", "depth", "x", "--prefix", "webhooks-prod", "--config", bad]);
    expect(result.code).toBe(1);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^Invalid webhooks config .* subscriptions\[0\]\.target/);
  });
});
