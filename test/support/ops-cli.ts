import { execFile } from "node:child_process";
import { resolve } from "node:path";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `npm run ops -- <args>` as a real child process (tsx on this Node), with `env` added to the
 * environment.
 */
export function runOpsCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  const root = resolve(import.meta.dirname, "..", "..");
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "ops/cli.ts", ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The lines of a command's standard output parsed as JSON lines (`--json`). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
