import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** API Gateway HTTP APIs refuse bodies over 10 MB before any function runs. */
const MAX_API_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpRoute {
  readonly method: string;
  /** API Gateway route path, e.g. `/webhooks/{sourceId}`. */
  readonly path: string;
  readonly invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
}

/** Extra plain handlers (the local sink); they see the raw request and body. */
export type LocalHandler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => boolean;

function compile(path: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { regex: new RegExp(`^${pattern}$`), names };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/**
 * The local stand-in for an API Gateway HTTP API: turns each request into a payload v2 event (body
 * always base64, as API Gateway does for binary media) and the function's result back into a response.
 */
export function createApiServer(routes: readonly HttpRoute[], extra: readonly LocalHandler[] = []): Server {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_API_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on("end", () => {
      if (tooLarge) return send(response, 413, { message: "Request Entity Too Large" });
      const body = Buffer.concat(chunks);
      if (extra.some((handler) => handler(request, body, response))) return;
      const url = new URL(request.url ?? "/", "http://local");
      const method = request.method ?? "GET";
      for (const { route, regex, names } of compiled) {
        const match = regex.exec(url.pathname);
        if (!match || route.method !== method) continue;
        const pathParameters = Object.fromEntries(
          names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? "")]),
        );
        const event = toEvent(request, url, body, route, pathParameters);
        route
          .invoke(event)
          .then((result) => {
            const headers = { ...(result.headers ?? {}) } as Record<string, string>;
            const payload = result.body ?? "";
            response.writeHead(result.statusCode ?? 200, headers);
            response.end(result.isBase64Encoded ? Buffer.from(payload, "base64") : payload);
          })
          .catch(() => send(response, 500, { message: "Internal Server Error" }));
        return;
      }
      send(response, 404, { message: "Not Found" });
    });
  });
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  route: HttpRoute,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  const query = Object.fromEntries(url.searchParams);
  return {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { ...headers, "x-forwarded-proto": headers["x-forwarded-proto"] ?? "http" },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: (headers.host ?? "localhost").split(".")[0] ?? "localhost",
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}
