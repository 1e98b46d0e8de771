import { defineConfig } from "vitest/config";

/**
 * One run, four kinds of test. Integration and end-to-end tests talk to the embedded emulators that
 * `test/support/emulators.global.ts` starts once for the whole run (fauxqs for SQS, DynamoDB Local).
 */
export default defineConfig({
  test: {
    globalSetup: ["test/support/emulators.global.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "integration", include: ["test/integration/**/*.test.ts"], testTimeout: 30_000 } },
      {
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 120_000 },
      },
      {
        test: { name: "cdk", include: ["test/cdk/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 180_000 },
      },
    ],
  },
});
