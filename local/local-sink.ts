import type { ServerResponse } from "node:http";
import { targetSecretRefs, type WebhooksConfig } from "../shared/config/schema.js";
import { standardWebhooksVerifier } from "../shared/verify/providers/standard-webhooks.js";
import type { LocalRequest } from "./api-server.js";

export interface SinkDelivery {
  readonly name: string;
  readonly receivedAt: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Whether the Standard Webhooks signature verified against the subscription's secret. */
  readonly signatureValid: boolean;
  /** What the sink answered (204 unless an operator set a status). */
  readonly status: number;
}

export interface LocalSink {
  readonly handle: (request: LocalRequest, response: ServerResponse) => boolean;
  readonly received: (name: string) => readonly SinkDelivery[];
}

const PATH = /^\/_local\/sink\/([\w-]+)$/;
const STATUS_PATH = /^\/_local\/sink\/([\w-]+)\/status$/;
const KEEP = 100;

/** The path of a URL, or undefined when it is not one. */
function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/**
 * A built-in receiver at `POST /_local/sink/{name}` so the sample config delivers somewhere out of the
 * box. It checks the outbound signature with the secret of the subscription that targets it, logs
 * each delivery, answers 204, and lists the last deliveries at `GET /_local/sink/{name}`. Whatever it
 * is sent (any bytes, any headers), it answers and never throws.
 *
 * To practise a failure (retries, a dead letter, a breaker, a replay), `PUT /_local/sink/{name}/status`
 * with a status code as the body (e.g. `503`) makes it answer that to every delivery until
 * `DELETE /_local/sink/{name}/status` (or `PUT 204`) puts it back.
 */
export function createLocalSink(config: WebhooksConfig, log: (line: string) => void): LocalSink {
  const store = new Map<string, SinkDelivery[]>();
  /** The status each sink answers deliveries with, when an operator set one. */
  const answers = new Map<string, number>();

  const setStatus = (name: string, request: LocalRequest, response: ServerResponse): boolean => {
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.method === "DELETE") {
      answers.delete(name);
      log(`sink ${name}: answers 204 again`);
      json(200, { sink: name, status: 204 });
      return true;
    }
    if (request.method !== "PUT") {
      json(405, { code: "method_not_allowed", detail: "PUT a status code (200-599) or DELETE to reset." });
      return true;
    }
    const text = request.body.toString("utf8").trim();
    const status = /^\d{3}$/.test(text) ? Number(text) : Number.NaN;
    if (!(status >= 200 && status <= 599)) {
      json(400, {
        code: "invalid_request",
        detail: `body: a status code from 200 to 599 (e.g. 503), got '${text.slice(0, 20)}'.`,
      });
      return true;
    }
    if (status === 204) answers.delete(name);
    else answers.set(name, status);
    log(`sink ${name}: answers ${status} to every delivery from now on`);
    json(200, { sink: name, status });
    return true;
  };
  const secretsFor = (path: string) =>
    config.subscriptions.flatMap((s) =>
      s.target.type === "http" && pathOf(s.target.url) === path
        ? targetSecretRefs(s.target).filter(
            (ref): ref is string => typeof ref === "string" && ref.startsWith("whsec_"),
          )
        : [],
    );

  const handle = (request: LocalRequest, response: ServerResponse): boolean => {
    const statusMatch = STATUS_PATH.exec(request.rawPath);
    if (statusMatch) return setStatus(statusMatch[1] as string, request, response);
    const match = PATH.exec(request.rawPath);
    if (!match) return false;
    const name = match[1] as string;
    if (request.method === "GET") {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(store.get(name) ?? []));
      return true;
    }
    const headers = { ...request.headers };
    let signatureValid = false;
    try {
      standardWebhooksVerifier.verify(
        { headers, rawBody: request.body },
        {
          secrets: secretsFor(request.rawPath),
          nowSeconds: Math.floor(Date.now() / 1000),
          toleranceSeconds: 300,
        },
      );
      signatureValid = true;
    } catch {
      // Any failure, typed or not, is an invalid signature here.
    }
    const status = answers.get(name) ?? 204;
    const list = store.get(name) ?? [];
    list.push({
      name,
      receivedAt: new Date().toISOString(),
      headers,
      body: request.body.toString("utf8"),
      signatureValid,
      status,
    });
    store.set(name, list.slice(-KEEP));
    let type = "?";
    try {
      const parsed: unknown = JSON.parse(request.body.toString("utf8"));
      if (parsed && typeof parsed === "object" && "type" in parsed && typeof parsed.type === "string") {
        type = parsed.type;
      }
    } catch {}
    log(
      `sink ${name}: received ${headers["webhook-id"] ?? "?"} (${type}), signature ${signatureValid ? "valid" : "INVALID"}, answered ${status}`,
    );
    response.writeHead(status).end();
    return true;
  };

  return { handle, received: (name) => store.get(name) ?? [] };
}
