import { type ClientRequest, type Agent as HttpAgent, request as httpRequest } from "node:http";
import { type Agent as HttpsAgent, request as httpsRequest } from "node:https";
import {
  type AttemptOutcome,
  type DeliveryControl,
  parseDeliveryControl,
  parseRetryAfter,
} from "../domain/delivery-policy.js";
import type { Clock } from "../ports/clock.js";
import type { HttpRequest, HttpSender } from "../ports/http-sender.js";
import {
  DestinationBlockedError,
  type DestinationPolicy,
  destinationPolicyFromEnv,
  guardedAgents,
  type Resolver,
  SsrfGuard,
} from "./ssrf-guard.js";

/** How much of a response body is kept for the attempt log; the rest is read and discarded. */
export const RESPONSE_SNIPPET_BYTES = 1024;

/** What the status line and headers said; the outcome once the body is drained. */
interface Answer {
  readonly status: number;
  readonly retryAfterSeconds?: number;
  readonly deliveryControl?: DeliveryControl;
}

export interface NodeHttpSenderOptions {
  /** Which destinations may be reached. Default: from the environment (`destinationPolicyFromEnv`). */
  readonly policy?: DestinationPolicy;
  /** Name resolution. Default: `dns.lookup` with `all: true`. Tests inject one to control DNS. */
  readonly resolve?: Resolver;
}

/**
 * POSTs once to a subscriber: no redirects followed (a 3xx is an answer, not a hop), one timeout for
 * the whole attempt (DNS, connect, TLS, response), and every failure turned into an outcome instead
 * of an exception. Every socket goes through `SsrfGuard`: the URL is checked first, then the agents'
 * `lookup` resolves, checks every answer and connects only to checked addresses. A refused
 * destination is an error of class `blocked` whose message starts with `destination blocked:`. A
 * response outcome carries `Retry-After`, the `webhook-delivery` instruction and the first bytes of
 * the body.
 *
 * Uses `node:http`/`node:https` rather than `fetch`, because only they take a `lookup` per connection
 * without an extra dependency.
 */
export class NodeHttpSender implements HttpSender {
  private readonly guard: SsrfGuard;
  // Own agents, not the global ones: their pooled sockets were all opened through the guard.
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(
    private readonly clock: Clock,
    options: NodeHttpSenderOptions = {},
  ) {
    this.guard = new SsrfGuard(options.policy ?? destinationPolicyFromEnv(), options.resolve);
    const agents = guardedAgents(this.guard);
    this.httpAgent = agents.http;
    this.httpsAgent = agents.https;
  }

  async post(request: HttpRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    const failed = (errorClass: "timeout" | "network" | "blocked", message: string): AttemptOutcome => ({
      kind: "error",
      errorClass,
      message,
      latencyMs: latency(),
    });

    let url: URL;
    try {
      url = new URL(request.url);
      this.guard.checkUrl(url);
    } catch (error) {
      return failed(errorClassOf(error), describe(error));
    }

    const https = url.protocol === "https:";
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let answer: Answer | undefined;
      const snippet: Buffer[] = [];
      let snippetBytes = 0;
      const settle = (outcome: () => AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome());
      };
      // Once the status line is in, that is the outcome, even if the body never finishes.
      const settleWithAnswer = (a: Answer) =>
        settle(() => {
          const responseSnippet = Buffer.concat(snippet).toString("utf8").trim();
          return {
            kind: "response",
            ...a,
            ...(responseSnippet === "" ? {} : { responseSnippet }),
            latencyMs: latency(),
          };
        });

      let req: ClientRequest;
      try {
        req = (https ? httpsRequest : httpRequest)(url, {
          method: "POST",
          headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
          agent: https ? this.httpsAgent : this.httpAgent,
        });
      } catch (error) {
        // e.g. a header value with a newline: refused before any socket exists.
        settle(() => failed(errorClassOf(error), describe(error)));
        return;
      }
      timer = setTimeout(() => {
        if (answer) settleWithAnswer(answer);
        else settle(() => failed("timeout", `no response within ${request.timeoutMs} ms`));
        req.destroy();
      }, request.timeoutMs);

      req.on("response", (res) => {
        const retryAfterSeconds = parseRetryAfter(res.headers["retry-after"], this.clock.now());
        const deliveryControl = parseDeliveryControl(headerValue(res.headers["webhook-delivery"]));
        const a: Answer = {
          status: res.statusCode ?? 0,
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
          ...(deliveryControl === undefined ? {} : { deliveryControl }),
        };
        answer = a;
        // Keep the first bytes for the attempt log; drain the rest so the connection can be reused.
        res.on("data", (chunk: Buffer) => {
          if (snippetBytes >= RESPONSE_SNIPPET_BYTES) return;
          const kept = chunk.subarray(0, RESPONSE_SNIPPET_BYTES - snippetBytes);
          snippet.push(kept);
          snippetBytes += kept.length;
        });
        res.on("end", () => settleWithAnswer(a));
        res.on("close", () => settleWithAnswer(a));
        res.on("error", () => settleWithAnswer(a));
      });
      req.on("error", (error) => {
        if (answer) settleWithAnswer(answer);
        else settle(() => failed(errorClassOf(error), describe(error)));
      });
      req.end(request.body);
    });
  }

  /** Closes pooled keep-alive sockets (tests; a Lambda never needs it). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `blocked` when the SSRF guard refused the destination (anywhere in the cause chain), else `network`. */
function errorClassOf(error: unknown): "blocked" | "network" {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DestinationBlockedError) return "blocked";
    if (e instanceof AggregateError && e.errors.some((inner) => errorClassOf(inner) === "blocked"))
      return "blocked";
  }
  return "network";
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(describe).join("; ");
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message || error.name;
  const withCode = code && !message.includes(code) ? `${message} (${code})` : message;
  return error.cause instanceof Error ? `${withCode}: ${error.cause.message}` : withCode;
}
