import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from "aws-lambda";
import { routeTable } from "../shared/http/routes.js";

/** API Gateway HTTP APIs refuse bodies over 10 MB before any function runs. */
const MAX_API_BODY_BYTES = 10 * 1024 * 1024;

/** The event for this request is larger than Lambda takes (thrown by the local function host). */
export class PayloadTooLargeForLambdaError extends Error {
  override readonly name = "RequestEntityTooLargeException";
}

export interface ApiRoute {
  /** API Gateway route key: `"POST /webhooks/{sourceId}"` or `"$default"`. */
  readonly routeKey: string;
  /** `ops`: behind the local stand-in for the ops authorizer (`ApiServerOptions.opsAuth`). */
  readonly auth?: "none" | "ops";
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
}

/** A request as the local server parsed it: target split, headers joined as API Gateway joins them. */
export interface LocalRequest {
  readonly method: string;
  /** The path as sent (still percent-encoded); its escapes are known to decode. */
  readonly rawPath: string;
  readonly rawQueryString: string;
  /** Lower-cased names; repeated headers joined with "," (cookies are in `cookies`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

/** Extra plain handlers (the local sink), tried before the routes; `true` when they answered. */
export type LocalHandler = (request: LocalRequest, response: ServerResponse) => boolean;

export interface ApiServerOptions {
  readonly routes: readonly ApiRoute[];
  /** Largest request body the front door takes (default API Gateway's 10 MB). */
  readonly maxBodyBytes?: number;
  readonly extra?: readonly LocalHandler[];
  /** Where failures of the server itself are reported (they never reach the caller). */
  readonly log?: (line: string) => void;
  /** Told of every request with its body size (metering: API Gateway bills per 512 KB). */
  readonly onRequest?: (bytes: number) => void;
  /**
   * The local stand-in for the ops routes' authorizer: a request must carry `Authorization: Bearer
   * <token>` (or the bare token, as API Gateway's JWT authorizer accepts); the function then receives
   * `claims` as a JWT authorizer hands them over. Without it, ops routes refuse every request.
   */
  readonly opsAuth?: { readonly token: string; readonly claims: Readonly<Record<string, string>> };
}

/**
 * What API Gateway's JWT authorizer answers before any function runs: 401 with its own fixed body (an
 * HTTP API cannot change it), the reason in `www-authenticate`.
 */
function unauthorized(response: ServerResponse, reason: string | undefined): void {
  sendJson(
    response,
    401,
    { message: "Unauthorized" },
    reason === undefined
      ? {}
      : { "www-authenticate": `Bearer scope="" error="invalid_token" error_description="${reason}"` },
  );
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Why the local ops token check refuses `authorization`, or undefined when it passes. */
export function opsTokenProblem(
  authorization: string | undefined,
  token: string,
): "missing" | string | undefined {
  if (authorization === undefined || authorization.trim() === "") return "missing";
  const presented = authorization.replace(/^bearer\s+/i, "").trim();
  // Constant time over equal-length digests: the comparison says nothing about the token's bytes.
  return timingSafeEqual(digest(presented), digest(token))
    ? undefined
    : "the token is not the local ops token";
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

const invalidRequest = (detail: string) => ({ code: "invalid_request", detail });
const shown = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** RFC 3986 path characters: unreserved, sub-delims, ':', '@', '/' and percent-escapes. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/**
 * Splits a request target into path and query, or says why it cannot be routed: only origin-form
 * (`/path?query`) and absolute-form (`http://host/path?query`) targets are, and the path's
 * percent-escapes must decode to UTF-8, as API Gateway needs to decode path parameters.
 */
export function parseTarget(target: string): { rawPath: string; rawQueryString: string } | { error: string } {
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  const originForm = absolute ? target.slice(absolute[0].length) || "/" : target;
  if (!originForm.startsWith("/")) {
    return { error: `The request target ${shown(target)} is not a path; send POST /webhooks/{sourceId}.` };
  }
  const withoutFragment = originForm.split("#", 1)[0] as string;
  const question = withoutFragment.indexOf("?");
  const rawPath = question < 0 ? withoutFragment : withoutFragment.slice(0, question);
  const rawQueryString = question < 0 ? "" : withoutFragment.slice(question + 1);
  if (!PATH_CHARS.test(rawPath)) {
    return {
      error: `The request path ${shown(rawPath)} holds characters a URL path cannot; percent-encode them.`,
    };
  }
  try {
    decodeURIComponent(rawPath);
  } catch {
    return { error: `The request path ${shown(rawPath)} has a malformed percent-escape.` };
  }
  return { rawPath, rawQueryString };
}

/** Headers as API Gateway v2 hands them over: names lower-cased, repeats joined with ",", cookies apart. */
export function joinHeaders(rawHeaders: readonly string[]): {
  headers: Record<string, string>;
  cookies: string[];
} {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name === "cookie") {
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter((c) => c.length > 0),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

/** Query parameters as API Gateway v2 hands them over: decoded, repeated names joined with ",". */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The local stand-in for an API Gateway HTTP API: picks a route with API Gateway's rules (most
 * specific first, `$default` last) from the same route keys CDK deploys, turns each request into a
 * payload v2 event (body always base64, as API Gateway does for binary media) and the function's
 * result back into a response. No request can stop it: a target that cannot be routed gets 400, a
 * failure of the server itself 500, both as `{ code, detail }`.
 */
export function createApiServer(options: ApiServerOptions): Server {
  const table = routeTable(options.routes.map((r) => r.routeKey));
  const invokers = new Map(options.routes.map((r) => [r.routeKey, r.invoke]));
  const auths = new Map(options.routes.map((r) => [r.routeKey, r.auth ?? "none"]));
  const log = options.log ?? (() => undefined);

  const fail = (response: ServerResponse, error: unknown) => {
    log(`api: request failed in the local API server: ${(error as Error)?.stack ?? String(error)}`);
    sendJson(response, 500, {
      code: "internal_error",
      detail: "Internal error in the local API server; the event was not accepted. Retry later.",
    });
  };

  const handle = (request: IncomingMessage, body: Buffer, response: ServerResponse): void => {
    const target = parseTarget(request.url ?? "/");
    if ("error" in target) {
      sendJson(response, 400, invalidRequest(target.error));
      return;
    }
    const method = request.method ?? "GET";
    const { headers, cookies } = joinHeaders(request.rawHeaders);
    const local: LocalRequest = { method, ...target, headers, cookies, body };
    for (const handler of options.extra ?? []) if (handler(local, response)) return;

    const match = table.match(method, target.rawPath);
    const invoke = match && invokers.get(match.routeKey);
    if (!match || !invoke) {
      sendJson(response, 404, {
        code: "route_not_found",
        detail: `No route for ${method} ${target.rawPath}.`,
      });
      return;
    }
    // The authorizer runs before the integration, as in API Gateway.
    let authorizer: APIGatewayProxyEventV2WithJWTAuthorizer["requestContext"]["authorizer"] | undefined;
    if (auths.get(match.routeKey) === "ops") {
      const problem = options.opsAuth
        ? opsTokenProblem(headers.authorization, options.opsAuth.token)
        : "no ops token is configured";
      if (problem !== undefined || !options.opsAuth) {
        unauthorized(response, problem === "missing" ? undefined : problem);
        return;
      }
      authorizer = {
        principalId: "",
        integrationLatency: 0,
        jwt: { claims: { ...options.opsAuth.claims }, scopes: [] },
      };
    }
    const pathParameters = Object.fromEntries(
      Object.entries(match.rawPathParameters).map(([name, value]) => [name, decodeURIComponent(value)]),
    );
    const event = toEvent(request, local, match.routeKey, pathParameters, authorizer);
    invoke(event)
      .then((result) => writeResult(response, result))
      .catch((error: unknown) => {
        // What API Gateway answers when the integration fails (error, crash or timeout), or when the
        // event is over Lambda's 6 MB invocation payload.
        log(`api: ${match.routeKey} integration failed: ${(error as Error)?.message ?? String(error)}`);
        if (error instanceof PayloadTooLargeForLambdaError) {
          sendJson(response, 413, { message: "Request Entity Too Large" });
        } else {
          sendJson(response, 500, { message: "Internal Server Error" });
        }
      })
      .catch((error: unknown) => fail(response, error));
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("error", () => undefined);
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > (options.maxBodyBytes ?? MAX_API_BODY_BYTES)) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => {
      try {
        // API Gateway's own answer, before any route or function.
        options.onRequest?.(size);
        if (tooLarge) sendJson(response, 413, { message: "Request Entity Too Large" });
        else handle(request, Buffer.concat(chunks), response);
      } catch (error) {
        fail(response, error);
      }
    });
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(invalidRequest("The request is not valid HTTP/1.1."));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies && result.cookies.length > 0) headers["set-cookie"] = [...result.cookies];
  const payload = result.body ?? "";
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(result.isBase64Encoded ? Buffer.from(payload, "base64") : payload);
}

function toEvent(
  request: IncomingMessage,
  local: LocalRequest,
  routeKey: string,
  pathParameters: Record<string, string>,
  authorizer: APIGatewayProxyEventV2WithJWTAuthorizer["requestContext"]["authorizer"] | undefined,
): APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer {
  const { headers } = local;
  const now = new Date();
  const query = queryParameters(local.rawQueryString);
  const host = headers.host ?? "localhost";
  return {
    version: "2.0",
    routeKey,
    rawPath: local.rawPath,
    rawQueryString: local.rawQueryString,
    ...(local.cookies.length > 0 ? { cookies: [...local.cookies] } : {}),
    headers: { ...headers, "x-forwarded-proto": headers["x-forwarded-proto"] ?? "http" },
    ...(query ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: host,
      domainPrefix: host.split(".")[0] ?? "localhost",
      http: {
        method: local.method,
        path: local.rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
    body: local.body.toString("base64"),
    isBase64Encoded: true,
  };
}
