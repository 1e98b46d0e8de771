import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { DestinationPolicy } from "../domain/destination-policy.js";
import type { JwksFetch } from "../verify/schemes/jwks.js";
import { destinationPolicyFromEnv, guardedAgents, type Resolver, SsrfGuard } from "./ssrf-guard.js";

export interface GuardedGetOptions {
  /** Which destinations may be reached. Default: from the environment (`destinationPolicyFromEnv`). */
  readonly policy?: DestinationPolicy;
  /** Name resolution. Default: `dns.lookup` with `all: true`. Tests inject one to control DNS. */
  readonly resolve?: Resolver;
}

/**
 * `JwksFetch` over the same guarded path as deliveries (`SsrfGuard` + `guardedAgents`): the URL is
 * checked first, every address the host resolves to is checked at connect time and the connection
 * goes to a checked address, no redirect is followed (a 3xx is returned as the status), and a body
 * past `maxBytes` is cut off and refused. A refused destination rejects with `DestinationBlockedError`.
 */
export function createGuardedGet(options: GuardedGetOptions = {}): JwksFetch {
  const guard = new SsrfGuard(options.policy ?? destinationPolicyFromEnv(), options.resolve);
  const agents = guardedAgents(guard);

  return ({ url, signal, maxBytes }) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const target = new URL(url);
      guard.checkUrl(target);
      const https = target.protocol === "https:";
      const req = (https ? httpsRequest : httpRequest)(target, {
        method: "GET",
        headers: { accept: "application/json, application/jwk-set+json" },
        agent: https ? agents.https : agents.http,
        signal,
      });
      req.on("error", fail);
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            fail(new Error(`the answer is larger than ${maxBytes} bytes`));
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", fail);
        res.on("end", () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
        // A connection cut mid-body (or aborted by the signal) ends without 'end'.
        res.on("close", () => fail(new Error("the connection closed before the answer was complete")));
      });
      req.end();
    });
}
