/**
 * How a function is built and where it runs: one set of esbuild options for CDK's bundling and the
 * local runtime's, so both run the same bundle, and the Lambda runtime it is built for.
 */

export const LAMBDA = { runtime: "nodejs24.x", architecture: "arm64", nodeMajor: 24 } as const;

/** esbuild options shared by CDK bundling and the local runtime, so both run the same bundle. */
export const BUNDLING = {
  target: "node24",
  format: "esm",
  minify: true,
  sourcemap: true,
  /** The Lambda Node.js runtime ships AWS SDK v3; keeping it out keeps bundles small. */
  externalModules: ["@aws-sdk/*"],
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  /** Name of the config file placed next to each bundle. */
  configFileName: "webhooks.config.json",
} as const;

/**
 * A file a function serves from its bundle directory (the ops console's page, script and styles),
 * built next to the handler by both runtimes from this one description: CDK's `afterBundling` hook and
 * the local runtime's `bundleFunction` (see `assetBuildOptions`).
 */
export interface AssetSpec {
  /** The source, relative to the repository root. */
  readonly entry: string;
  /** Where it lands, relative to the function's bundle directory. */
  readonly out: string;
  /** `bundle`: built by esbuild with `BROWSER_BUNDLING` (a script and its imports, or a stylesheet); `copy`: byte for byte. */
  readonly kind: "bundle" | "copy";
}

/** esbuild options for the browser assets: one minified ES module (or stylesheet) per entry, no source map. */
export const BROWSER_BUNDLING = {
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "error",
} as const;

/**
 * The esbuild options of one `bundle` asset, as plain data: the local runtime passes them to esbuild's
 * `build`, and CDK's bundling hook passes the same object, as JSON, to `build` in a `node` process.
 */
export function assetBuildOptions(
  asset: AssetSpec,
  paths: { readonly rootDir: string; readonly outDir: string },
): typeof BROWSER_BUNDLING & { readonly entryPoints: string[]; readonly outfile: string } {
  const join = (dir: string, file: string) => `${dir.replace(/\/+$/, "")}/${file}`;
  return {
    ...BROWSER_BUNDLING,
    entryPoints: [join(paths.rootDir, asset.entry)],
    outfile: join(paths.outDir, asset.out),
  };
}
