import {
  judgeUrl,
  PRIVATE_NETWORKS_POLICY,
  PRODUCTION_POLICY,
  type Refusal,
} from "../domain/destination-policy.js";
import type { WebhooksConfig } from "./schema.js";

/** An outbound URL of the config that a deployed stack's SSRF guard would refuse. */
export interface BlockedDestination {
  /** Where it is in the config: `subscriptions[0].target.url`, `sources[2].options.jwksUrl`. */
  readonly at: string;
  readonly url: string;
  readonly refusal: Refusal;
  /** Whether `allowPrivateDestinations: true` would open it (private networks only). */
  readonly openedByAllowPrivate: boolean;
  /** One line naming the field, the URL, why, and what to do. */
  readonly message: string;
}

function jwksUrlOf(options: unknown): string | undefined {
  if (typeof options !== "object" || options === null || !Object.hasOwn(options, "jwksUrl")) return undefined;
  const value: unknown = (options as { readonly jwksUrl?: unknown }).jwksUrl;
  return typeof value === "string" ? value : undefined;
}

/**
 * Every subscriber URL and `jwksUrl` whose refusal is certain without DNS once deployed: a literal
 * loopback, private, link-local or other special address, a `localhost` name, or plain `http:` where the
 * config does not allow it. What a hostname resolves to is only known at connect time, so names are
 * judged there (the guard refuses them then); this only catches what `cdk synth` can already see.
 */
export function blockedOnceDeployed(config: WebhooksConfig): BlockedDestination[] {
  const policy = config.allowPrivateDestinations === true ? PRIVATE_NETWORKS_POLICY : PRODUCTION_POLICY;
  const urls: { at: string; url: string }[] = [
    ...config.sources.flatMap((source, i) => {
      const url = jwksUrlOf(source.options);
      return url === undefined ? [] : [{ at: `sources[${i}].options.jwksUrl`, url }];
    }),
    ...config.subscriptions.flatMap((sub, i) =>
      sub.target.type === "http" ? [{ at: `subscriptions[${i}].target.url`, url: sub.target.url }] : [],
    ),
  ];
  return urls.flatMap(({ at, url }) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return []; // the schema already refused it
    }
    const refusal = judgeUrl(parsed, policy);
    if (refusal === undefined) return [];
    const openedByAllowPrivate = judgeUrl(parsed, PRIVATE_NETWORKS_POLICY) === undefined;
    const remedy = openedByAllowPrivate
      ? "set allowPrivateDestinations: true (private networks only) or use a public https URL"
      : "no setting opens it in a deployed stack (loopback, link-local and metadata addresses never are); use a public https URL";
    return [
      {
        at,
        url,
        refusal,
        openedByAllowPrivate,
        message: `${at} (${url}) would be blocked once deployed (${refusal.detail}); ${remedy}.`,
      },
    ];
  });
}
