import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type AssetSpec, assetBuildOptions, BUNDLING } from "../shared/topology/bundling.js";
import type { FunctionSpec } from "../shared/topology/topology.js";

export interface BuiltFunction {
  readonly key: FunctionSpec["key"];
  /** Absolute path of the bundled handler module. */
  readonly file: string;
  /** Absolute path of the config copied next to it (what `config-path` resolves to). */
  readonly configPath: string;
  readonly bytes: number;
  /** The files built or copied beside the handler (the topology's `assets`), with their sizes. */
  readonly assets: readonly BuiltAsset[];
}

export interface BuiltAsset {
  /** Relative to the function's bundle directory, as the spec names it. */
  readonly out: string;
  readonly file: string;
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
  const assets = await bundleAssets(spec.assets ?? [], { rootDir: options.rootDir, outDir: dir });
  return { key: spec.key, file, configPath, bytes, assets };
}

/**
 * Builds a function's assets into its bundle directory `outDir`, as CDK's afterBundling hook does
 * (`cdk/lib/stateless.ts`): `bundle` assets with esbuild and `assetBuildOptions`, `copy` assets as they are.
 */
export async function bundleAssets(
  assets: readonly AssetSpec[],
  paths: { readonly rootDir: string; readonly outDir: string },
): Promise<BuiltAsset[]> {
  const rootDir = resolve(paths.rootDir);
  const outDir = resolve(paths.outDir);
  return Promise.all(
    assets.map(async (asset) => {
      const file = join(outDir, asset.out);
      mkdirSync(dirname(file), { recursive: true });
      if (asset.kind === "copy") copyFileSync(join(rootDir, asset.entry), file);
      else await build(assetBuildOptions(asset, { rootDir, outDir }));
      return { out: asset.out, file, bytes: statSync(file).size };
    }),
  );
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
