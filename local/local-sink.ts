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
}

export interface LocalSink {
  readonly handle: (request: LocalRequest, response: ServerResponse) => boolean;
  readonly received: (name: string) => readonly SinkDelivery[];
}

const PATH = /^\/_local\/sink\/([\w-]+)$/;
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
 */
export function createLocalSink(config: WebhooksConfig, log: (line: string) => void): LocalSink {
  const store = new Map<string, SinkDelivery[]>();
  const secretsFor = (path: string) =>
    config.subscriptions.flatMap((s) =>
      s.target.type === "http" && pathOf(s.target.url) === path
        ? targetSecretRefs(s.target).filter(
            (ref): ref is string => typeof ref === "string" && ref.startsWith("whsec_"),
          )
        : [],
    );

  const handle = (request: LocalRequest, response: ServerResponse): boolean => {
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
    const list = store.get(name) ?? [];
    list.push({
      name,
      receivedAt: new Date().toISOString(),
      headers,
      body: request.body.toString("utf8"),
      signatureValid,
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
      `sink ${name}: received ${headers["webhook-id"] ?? "?"} (${type}), signature ${signatureValid ? "valid" : "INVALID"}`,
    );
    response.writeHead(204).end();
    return true;
  };

  return { handle, received: (name) => store.get(name) ?? [] };
}
