/**
 * The ops API's routes as API Gateway route keys: the topology deploys exactly these (CDK and the local
 * API server alike), the ops function binds one handler to each (`ops-api.ts`, typed over this list),
 * and the OpenAPI document describes each (`ops-openapi.ts`, typed over it too). Nothing here imports
 * zod, so the topology can read it cheaply.
 */

/** Base path of the API; `npm start` prints `http://127.0.0.1:<port>/ops/api/`. */
export const OPS_API_BASE_PATH = "/ops/api/";

/** What an operator needs for a route: `read`, or `write` for anything that changes something. */
export type OpsAccess = "read" | "write";

/** Write routes whose dry run (`"dryRun": true` in the body) only reads: a read-only operator may make it. */
export const OPS_DRY_RUN_ROUTE_KEYS: readonly string[] = [
  "POST /ops/api/replays",
  "POST /ops/api/stream-failures/redrive",
  "POST /ops/api/stream-failures/discard",
];

export const OPS_ROUTES = {
  "GET /ops/api/events": "read",
  "GET /ops/api/events/{id}": "read",
  "POST /ops/api/events/{id}/resend": "write",
  "DELETE /ops/api/events/{id}/payload": "write",
  // A dry run (`"dryRun": true`) only reads: a read-only operator may estimate, not start.
  "POST /ops/api/replays": "write",
  "GET /ops/api/replays/{id}": "read",
  "GET /ops/api/subscriptions": "read",
  "POST /ops/api/subscriptions/{id}/pause": "write",
  "POST /ops/api/subscriptions/{id}/resume": "write",
  "POST /ops/api/breakers/close": "write",
  "GET /ops/api/stream-failures": "read",
  // A dry run (`"dryRun": true`) only reads, as for replays.
  "POST /ops/api/stream-failures/redrive": "write",
  // Deletes only the records the router set aside; a dry run (`"dryRun": true`) only reads.
  "POST /ops/api/stream-failures/discard": "write",
  "GET /ops/api/openapi.json": "read",
} as const satisfies Readonly<Record<string, OpsAccess>>;

export type OpsRouteKey = keyof typeof OPS_ROUTES;
export const OPS_ROUTE_KEYS = Object.keys(OPS_ROUTES) as OpsRouteKey[];

/**
 * Everything else under `/ops/api/`: behind the same authorizer, answered by the ops function with 404
 * or 405 `{ code, detail }` naming the routes (rather than reaching ingest's `$default`).
 */
export const OPS_API_FALLBACK_ROUTE_KEY = "ANY /ops/api/{proxy+}";

/**
 * The console's static files (HTML, scripts, styles: no data). A browser loads them without a token;
 * every call they make goes to `/ops/api/*`, which is behind the authorizer.
 */
export const OPS_CONSOLE_ROUTE_KEYS = ["GET /ops", "GET /ops/{proxy+}"] as const;

/** The console's files sit in this folder of the ops function's bundle directory (`index.html`, …). */
export const OPS_CONSOLE_DIR = "console";
