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
