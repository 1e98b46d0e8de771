import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ERROR_CODES } from "../domain/errors.js";
import { json } from "./responses.js";

/**
 * The ops console's static files, served by the ops function from its bundle directory (the topology's
 * `OPS_CONSOLE_ASSETS`, built there by CDK and by the local runtime alike): `GET /ops` redirects to
 * `/ops/`, which is `index.html`; `GET /ops/<file>` is that file. They hold no data: everything the
 * console shows comes from `/ops/api/`, behind the authorizer, with the operator's token.
 *
 * Caching: `index.html` is `no-cache` (revalidated with its ETag on every load) and names the other files
 * with their content hash (`app.js?v=<hash>`); a request carrying the current hash is cached for a year
 * (`immutable`), any other request is `no-cache`. A deploy therefore shows up at the next load.
 */

export const CONSOLE_INDEX = "index.html";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** The page may load its own script and styles and call its own API; nothing else, and no framing. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

interface ConsoleFile {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly type: string;
  /** Content hash: the `v` a page names the file with, and its ETag. */
  readonly version: string;
}

type Result = APIGatewayProxyStructuredResultV2;

const versionOf = (body: Buffer) => createHash("sha256").update(body).digest("base64url").slice(0, 16);

function fileOf(body: Buffer, type: string): ConsoleFile {
  return { body, gzipped: gzipSync(body, { level: 9 }), type, version: versionOf(body) };
}

/**
 * Reads the console's folder once: every file of a known type; `index.html` with each other file's
 * reference (`"app.js"`) rewritten to carry its hash (`"app.js?v=…"`).
 */
export function loadConsoleFiles(dir: string): ReadonlyMap<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const names = readdirSync(dir).filter((name) => CONTENT_TYPES[extname(name)] !== undefined);
  for (const name of names) {
    if (name === CONSOLE_INDEX) continue;
    files.set(name, fileOf(readFileSync(join(dir, name)), CONTENT_TYPES[extname(name)] as string));
  }
  if (names.includes(CONSOLE_INDEX)) {
    let page = readFileSync(join(dir, CONSOLE_INDEX), "utf8");
    for (const [name, file] of files) page = page.replaceAll(`"${name}"`, `"${name}?v=${file.version}"`);
    files.set(CONSOLE_INDEX, fileOf(Buffer.from(page, "utf8"), CONTENT_TYPES[".html"] as string));
  }
  return files;
}

const header = (event: APIGatewayProxyEventV2, name: string): string => event.headers?.[name] ?? "";

function serve(event: APIGatewayProxyEventV2, name: string, file: ConsoleFile): Result {
  const etag = `"${file.version}"`;
  const cache =
    name !== CONSOLE_INDEX && event.queryStringParameters?.v === file.version ? IMMUTABLE : REVALIDATE;
  const headers: Record<string, string> = {
    "content-type": file.type,
    "cache-control": cache,
    etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...(name === CONSOLE_INDEX ? { "content-security-policy": CONSOLE_CSP } : {}),
  };
  if (
    header(event, "if-none-match")
      .split(",")
      .some((tag) => tag.trim() === etag)
  ) {
    return { statusCode: 304, headers, body: "" };
  }
  if (/\bgzip\b/.test(header(event, "accept-encoding")) && file.gzipped.length < file.body.length) {
    return {
      statusCode: 200,
      headers: { ...headers, "content-encoding": "gzip" },
      body: file.gzipped.toString("base64"),
      isBase64Encoded: true,
    };
  }
  return { statusCode: 200, headers, body: file.body.toString("utf8") };
}

/**
 * The handler of the console's routes (`GET /ops`, `GET /ops/{proxy+}`). `load` reads the files on the
 * first request (API calls never pay for it); a bundle without them answers a 500 saying so.
 */
export function createOpsConsole(
  load: () => ReadonlyMap<string, ConsoleFile>,
): (event: APIGatewayProxyEventV2) => Result {
  let files: ReadonlyMap<string, ConsoleFile> | undefined;
  return (event) => {
    if (event.routeKey === "GET /ops") {
      // Relative, so it also holds behind a stage or a custom domain's base path; the URL fragment
      // (`#token=…`) stays with the browser across the redirect.
      return { statusCode: 302, headers: { location: "ops/", "cache-control": REVALIDATE }, body: "" };
    }
    try {
      files ??= load();
    } catch (error) {
      return json(
        500,
        {
          code: ERROR_CODES.internal,
          detail: `The ops console's files are missing from the ops function's bundle (${(error as Error).message}); build it from the topology, whose ops function lists them as assets.`,
        },
        { "cache-control": "no-store" },
      );
    }
    const name = event.pathParameters?.proxy || CONSOLE_INDEX;
    const file = files.get(name);
    if (file) return serve(event, name, file);
    return json(
      404,
      {
        code: ERROR_CODES.notFound,
        detail: `No console file '${name.slice(0, 200)}'; the console is at /ops/ (its files: ${[...files.keys()].join(", ")}).`,
      },
      { "cache-control": "no-store" },
    );
  };
}
