import type { IncomingMessage, ServerResponse } from "node:http";
import { targetSecretRefs, type WebhooksConfig } from "../shared/config/schema.js";
import { SignatureVerificationError } from "../shared/domain/errors.js";
import { standardWebhooksVerifier } from "../shared/verify/standard-webhooks.js";

export interface SinkDelivery {
  readonly name: string;
  readonly receivedAt: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Whether the Standard Webhooks signature verified against the subscription's secret. */
  readonly signatureValid: boolean;
}

export interface LocalSink {
  readonly handle: (request: IncomingMessage, body: Buffer, response: ServerResponse) => boolean;
  readonly received: (name: string) => readonly SinkDelivery[];
}

const PATH = /^\/_local\/sink\/([\w-]+)$/;
const KEEP = 100;

/**
 * A built-in receiver at `POST /_local/sink/{name}` so the sample config delivers somewhere out of the
 * box. It checks the outbound signature with the secret of the subscription that targets it, logs
 * each delivery, answers 204, and lists the last deliveries at `GET /_local/sink/{name}`.
 */
export function createLocalSink(config: WebhooksConfig, log: (line: string) => void): LocalSink {
  const store = new Map<string, SinkDelivery[]>();
  const secretsFor = (path: string) =>
    config.subscriptions.flatMap((s) =>
      s.target.type === "http" && new URL(s.target.url).pathname === path
        ? targetSecretRefs(s.target).filter(
            (ref): ref is string => typeof ref === "string" && ref.startsWith("whsec_"),
          )
        : [],
    );

  const handle = (request: IncomingMessage, body: Buffer, response: ServerResponse): boolean => {
    const url = new URL(request.url ?? "/", "http://local");
    const match = PATH.exec(url.pathname);
    if (!match) return false;
    const name = match[1] as string;
    if (request.method === "GET") {
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(store.get(name) ?? []));
      return true;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (typeof v === "string") headers[k] = v;
    let signatureValid = false;
    try {
      standardWebhooksVerifier.verify(
        { headers, rawBody: body },
        {
          secrets: secretsFor(url.pathname),
          nowSeconds: Math.floor(Date.now() / 1000),
          toleranceSeconds: 300,
        },
      );
      signatureValid = true;
    } catch (error) {
      if (!(error instanceof SignatureVerificationError)) throw error;
    }
    const list = store.get(name) ?? [];
    list.push({
      name,
      receivedAt: new Date().toISOString(),
      headers,
      body: body.toString("utf8"),
      signatureValid,
    });
    store.set(name, list.slice(-KEEP));
    let type = "?";
    try {
      type = (JSON.parse(body.toString("utf8")) as { type?: string }).type ?? "?";
    } catch {}
    log(
      `sink ${name}: received ${headers["webhook-id"] ?? "?"} (${type}), signature ${signatureValid ? "valid" : "INVALID"}`,
    );
    response.writeHead(204).end();
    return true;
  };

  return { handle, received: (name) => store.get(name) ?? [] };
}
