import { randomUUID } from "node:crypto";
import type { SourceConfig } from "../shared/config/schema.js";
import type { ProviderName } from "../shared/verify/catalog.js";
import { signGithub, signStandardWebhook, signStripe } from "../shared/verify/sign.js";

/** Providers `signedTestWebhook` can sign a sample for. */
export const SAMPLE_PROVIDERS: readonly ProviderName[] = ["stripe", "github", "standard-webhooks", "svix"];

export interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * A correctly signed sample webhook for a source, as its provider would send it. Used by `npm start`
 * (the printed curl), `npm run send`, the end-to-end tests and the benchmark. Needs an inline secret.
 * `body` replaces the sample body with exact text (a payload from a file); it is signed as it is.
 */
export function signedTestWebhook(
  source: Pick<SourceConfig, "provider" | "secrets">,
  options: { type?: string; nowSeconds?: number; deliveryId?: string; data?: unknown; body?: string } = {},
): SignedRequest {
  const secret = source.secrets?.[0];
  if (typeof secret !== "string") {
    throw new Error(
      "Test webhooks need an inline secret; this source's first secret is a Secrets Manager reference.",
    );
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const data = options.data ?? { object: { id: "in_test_1", amount_due: 4200, currency: "eur" } };
  switch (source.provider) {
    case "stripe": {
      const id = options.deliveryId ?? `evt_test_${randomUUID().replaceAll("-", "")}`;
      const body =
        options.body ??
        JSON.stringify({
          id,
          object: "event",
          type: options.type ?? "invoice.paid",
          created: now,
          data,
        });
      return {
        headers: {
          "content-type": "application/json",
          "stripe-signature": signStripe({ timestamp: now, body, secret }),
        },
        body,
      };
    }
    case "github": {
      const [event = "issues", action = "opened"] = (options.type ?? "issues.opened").split(".");
      const body = options.body ?? JSON.stringify({ action, issue: { number: 1, title: "Test" }, data });
      return {
        headers: {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": options.deliveryId ?? randomUUID(),
          "x-hub-signature-256": signGithub({ body, secret }),
        },
        body,
      };
    }
    case "standard-webhooks":
    case "svix": {
      const id = options.deliveryId ?? `msg_${randomUUID().replaceAll("-", "")}`;
      const body =
        options.body ??
        JSON.stringify({
          type: options.type ?? "invoice.paid",
          timestamp: new Date(now * 1000).toISOString(),
          data,
        });
      const prefix = source.provider === "svix" ? "svix" : "webhook";
      return {
        headers: {
          "content-type": "application/json",
          [`${prefix}-id`]: id,
          [`${prefix}-timestamp`]: String(now),
          [`${prefix}-signature`]: signStandardWebhook({ id, timestamp: now, body, secret }),
        },
        body,
      };
    }
    default:
      throw new Error(
        `No sample webhook for provider '${source.provider}' yet; send one from the provider's dashboard.`,
      );
  }
}

/** The same request as a copy-paste `curl` command line. */
export function toCurl(url: string, request: SignedRequest): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const headers = Object.entries(request.headers).map(([k, v]) => `-H ${quote(`${k}: ${v}`)}`);
  return ["curl -sS -X POST", quote(url), ...headers, `--data-raw ${quote(request.body)}`].join(" \\\n  ");
}
