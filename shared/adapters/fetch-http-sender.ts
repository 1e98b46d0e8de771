import { type AttemptOutcome, parseRetryAfter } from "../domain/delivery-policy.js";
import type { Clock } from "../ports/clock.js";
import type { HttpRequest, HttpSender } from "../ports/http-sender.js";

/**
 * POSTs with Node's fetch: no redirects followed (a 3xx is an answer, not a hop), a hard timeout, and
 * every failure turned into an outcome instead of an exception.
 */
export class FetchHttpSender implements HttpSender {
  constructor(private readonly clock: Clock) {}

  async post(request: HttpRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: AbortSignal.timeout(request.timeoutMs),
      });
      // Drain the body so the connection is reused; the content itself is not needed here.
      await response.arrayBuffer().catch(() => undefined);
      const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), this.clock.now());
      return {
        kind: "response",
        status: response.status,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        latencyMs: latency(),
      };
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      const isTimeout = name === "TimeoutError" || name === "AbortError";
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      return {
        kind: "error",
        errorClass: isTimeout ? "timeout" : "network",
        message: isTimeout
          ? `no response within ${request.timeoutMs} ms`
          : `${error instanceof Error ? error.message : String(error)}${cause}`,
        latencyMs: latency(),
      };
    }
  }
}
