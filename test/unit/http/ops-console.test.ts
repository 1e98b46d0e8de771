import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { CONSOLE_CSP, createOpsConsole, loadConsoleFiles } from "../../../shared/http/ops-console.js";

/**
 * The ops function's console side: its static files from the bundle directory, with content types,
 * hashed references and caching, before any token (they hold no data).
 */
const dir = mkdtempSync(join(tmpdir(), "webhooks-console-"));
writeFileSync(
  join(dir, "index.html"),
  '<!doctype html><link rel="stylesheet" href="app.css"><script type="module" src="app.js"></script>',
);
writeFileSync(join(dir, "app.js"), `console.log(${JSON.stringify("x".repeat(2000))});`);
writeFileSync(join(dir, "app.css"), "body { color: black; }");
writeFileSync(join(dir, "notes.txt"), "not served");

function request(
  routeKey: "GET /ops" | "GET /ops/{proxy+}",
  proxy?: string,
  options: { headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const rawPath = routeKey === "GET /ops" ? "/ops" : `/ops/${proxy ?? ""}`;
  return {
    version: "2.0",
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.headers ?? {},
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(proxy === undefined ? {} : { pathParameters: { proxy } }),
    requestContext: {
      accountId: "1",
      apiId: "a",
      domainName: "ops.example.com",
      domainPrefix: "ops",
      http: { method: "GET", path: rawPath, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "t" },
      requestId: "r",
      routeKey,
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

const serve = createOpsConsole(() => loadConsoleFiles(dir));
const headerOf = (result: APIGatewayProxyStructuredResultV2, name: string) => result.headers?.[name];
const versionIn = (html: string, file: string) => new RegExp(`"${file}\\?v=([\\w-]+)"`).exec(html)?.[1];

describe("the console's files", () => {
  it("redirects /ops to /ops/ (relative, so the URL fragment with the token stays in the browser)", () => {
    const result = serve(request("GET /ops"));
    expect(result.statusCode).toBe(302);
    expect(headerOf(result, "location")).toBe("ops/");
  });

  it("serves index.html at /ops/ and by name: no-cache, a CSP, each asset named with its content hash", () => {
    for (const proxy of ["", "index.html"]) {
      const result = serve(request("GET /ops/{proxy+}", proxy));
      expect(result.statusCode, proxy).toBe(200);
      expect(headerOf(result, "content-type")).toBe("text/html; charset=utf-8");
      expect(headerOf(result, "cache-control")).toBe("no-cache");
      expect(headerOf(result, "content-security-policy")).toBe(CONSOLE_CSP);
      expect(headerOf(result, "x-content-type-options")).toBe("nosniff");
      const html = String(result.body);
      expect(versionIn(html, "app.js")).toMatch(/^[\w-]{16}$/);
      expect(versionIn(html, "app.css")).toMatch(/^[\w-]{16}$/);
    }
  });

  it("caches a script or stylesheet for a year only when asked for with its current hash", () => {
    const html = String(serve(request("GET /ops/{proxy+}", "")).body);
    const version = versionIn(html, "app.js") as string;
    const current = serve(request("GET /ops/{proxy+}", "app.js", { query: { v: version } }));
    expect(headerOf(current, "content-type")).toBe("text/javascript; charset=utf-8");
    expect(headerOf(current, "cache-control")).toBe("public, max-age=31536000, immutable");
    const stale = serve(request("GET /ops/{proxy+}", "app.js", { query: { v: "old" } }));
    expect(headerOf(stale, "cache-control")).toBe("no-cache");
    const css = serve(request("GET /ops/{proxy+}", "app.css"));
    expect(headerOf(css, "content-type")).toBe("text/css; charset=utf-8");
    expect(css.body).toBe("body { color: black; }");
  });

  it("answers gzip to a browser that accepts it, and 304 to a matching If-None-Match", () => {
    const zipped = serve(
      request("GET /ops/{proxy+}", "app.js", { headers: { "accept-encoding": "gzip, br" } }),
    );
    expect(zipped.isBase64Encoded).toBe(true);
    expect(headerOf(zipped, "content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(String(zipped.body), "base64")).toString()).toContain("console.log");
    const etag = String(headerOf(zipped, "etag"));
    const again = serve(request("GET /ops/{proxy+}", "app.js", { headers: { "if-none-match": etag } }));
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });

  it("answers 404 not_found naming the console's files for anything else", () => {
    for (const proxy of ["notes.txt", "nope.js", "../index.html"]) {
      const result = serve(request("GET /ops/{proxy+}", proxy));
      expect(result.statusCode, proxy).toBe(404);
      const body = JSON.parse(String(result.body)) as { code: string; detail: string };
      expect(body.code).toBe("not_found");
      expect(body.detail).toContain("the console is at /ops/");
    }
  });

  it("answers 500 saying so when the bundle has no console files, and reads the folder once", () => {
    let loads = 0;
    const broken = createOpsConsole(() => {
      loads += 1;
      return loadConsoleFiles(join(dir, "missing"));
    });
    const result = broken(request("GET /ops/{proxy+}", ""));
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(String(result.body))).toMatchObject({
      code: "internal_error",
      detail: expect.stringContaining("console's files are missing"),
    });
    let reads = 0;
    const counted = createOpsConsole(() => {
      reads += 1;
      return loadConsoleFiles(dir);
    });
    counted(request("GET /ops/{proxy+}", ""));
    counted(request("GET /ops/{proxy+}", "app.js"));
    expect(reads).toBe(1);
    expect(loads).toBe(1);
  });
});
