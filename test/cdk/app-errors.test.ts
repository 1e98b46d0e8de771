import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runScript, STACK_LINE } from "../support/cli.js";

/** `cdk synth` runs `cdk/bin/app.ts` (see cdk.json); a bad config must read as its problems, not a stack trace. */
describe("the CDK app with a bad config", () => {
  it("prints the config error's lines and exits 1", async () => {
    const configPath = join(mkdtempSync(join(tmpdir(), "webhooks-cdk-app-")), "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({ sources: [{ id: "gh", provider: "gitlab", secrets: ["x"] }], subscriptions: [] }),
    );
    const run = await runScript("cdk/bin/app.ts", [], { WEBHOOKS_CONFIG: configPath });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^Invalid webhooks config \\(${configPath.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\):\n  - sources\\[0\\]\\.provider: [^\n]+\n$`,
      ),
    );
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it("names a config file that does not exist in one line", async () => {
    const missing = join(tmpdir(), "webhooks-no-such-config.json");
    const run = await runScript("cdk/bin/app.ts", [], { WEBHOOKS_CONFIG: missing });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Cannot read webhooks config at .*webhooks-no-such-config\.json: [^\n]+\n$/);
  });

  it("names a stage that cannot prefix the resource names in one line", async () => {
    const run = await runScript("cdk/bin/app.ts", [], {
      CDK_CONTEXT_JSON: JSON.stringify({ stage: "bad stage" }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "Stage 'bad stage' gives the resource prefix 'webhooks-bad stage', which must be 1-30 letters, digits or '-'; choose a shorter stage of letters, digits or '-'.\n",
    );
  });
});
