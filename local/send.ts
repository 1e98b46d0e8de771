import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ENV } from "../shared/config/env.js";
import { loadConfigFile } from "../shared/config/load-config.js";
import { SAMPLE_PROVIDERS, signedTestWebhook } from "./test-webhook.js";

/** `npm run send -- <sourceId> [eventType]`: signs a sample webhook for a source and posts it to `npm start`. */
const [sourceId, type] = process.argv.slice(2);
const config = loadConfigFile(resolve(process.env[ENV.config] ?? "config/webhooks.sample.json"));
const source = config.sources.find((s) => s.id === sourceId);
if (!source) {
  console.error(
    `Usage: npm run send -- <sourceId> [eventType]\nKnown sources: ${config.sources.map((s) => s.id).join(", ")}`,
  );
  process.exit(2);
}
const statePath = resolve(process.env[ENV.localState] ?? ".local/stack.json");
let ingestUrl: string;
try {
  ingestUrl = (JSON.parse(readFileSync(statePath, "utf8")) as { ingestUrl: string }).ingestUrl;
} catch {
  console.error(`No local state at ${statePath}: start the platform first with npm start.`);
  process.exit(2);
}
if (!SAMPLE_PROVIDERS.includes(source.provider)) {
  console.error(
    `npm run send signs samples for ${SAMPLE_PROVIDERS.join(", ")}; '${source.id}' is ${source.provider}.`,
  );
  process.exit(2);
}
const request = signedTestWebhook(source, type ? { type } : {});
const response = await fetch(`${ingestUrl}${source.id}`, {
  method: "POST",
  headers: request.headers,
  body: request.body,
});
console.log(response.status, await response.text());
