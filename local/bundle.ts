import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUNDLING } from "../shared/topology/bundling.js";
import type { FunctionSpec } from "../shared/topology/topology.js";

export interface BuiltFunction {
  readonly key: FunctionSpec["key"];
  /** Absolute path of the bundled handler module. */
  readonly file: string;
  /** Absolute path of the config copied next to it (what `config-path` resolves to). */
  readonly configPath: string;
  readonly bytes: number;
}

/**
 * Bundles a function with the same esbuild options the CDK stack uses, into `outDir/<key>/index.mjs`,
 * and copies the config beside it as CDK's afterBundling hook does. The local runtime runs this bundle,
 * not the TypeScript sources, so what runs here is what runs in Lambda.
 */
export async function bundleFunction(
  spec: FunctionSpec,
  options: { rootDir: string; outDir: string; configPath: string },
): Promise<BuiltFunction> {
  const dir = join(options.outDir, spec.key);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.mjs");
  const result = await build({
    entryPoints: [resolve(options.rootDir, spec.entry)],
    outfile: file,
    bundle: true,
    platform: "node",
    target: BUNDLING.target,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourcemap,
    external: [...BUNDLING.externalModules],
    banner: { js: BUNDLING.banner },
    metafile: true,
    logLevel: "error",
  });
  const configPath = join(dir, BUNDLING.configFileName);
  copyFileSync(options.configPath, configPath);
  const bytes =
    result.metafile.outputs[Object.keys(result.metafile.outputs).find((k) => k.endsWith("index.mjs")) ?? ""]
      ?.bytes ?? 0;
  return { key: spec.key, file, configPath, bytes };
}

/**
 * Bundles the local IAM guard (`iam-guard.ts`) for the sandboxes, keeping the SDK external so the guard
 * patches the very `Client` class the function's bundle loads.
 */
export async function bundleIamGuard(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "iam-guard.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./iam-guard.ts", import.meta.url))],
    outfile: file,
    bundle: true,
    platform: "node",
    target: BUNDLING.target,
    format: "esm",
    external: ["@aws-sdk/*", "@smithy/*"],
    logLevel: "error",
  });
  return file;
}
