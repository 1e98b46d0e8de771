import { type SecretRef, targetSecretRefs, type WebhooksConfig } from "../config/schema.js";

/** The secrets one function reads, split by how the config supplies them. */
export interface SecretUsage {
  /** Secrets Manager ARNs the function must be allowed to read. */
  readonly secretArns: readonly string[];
  /** Where an inline (plain-text) secret appears, e.g. `sources[gh]`. */
  readonly inlineAt: readonly string[];
}

function collect(entries: ReadonlyArray<{ readonly at: string; readonly ref: SecretRef }>): SecretUsage {
  const secretArns = new Set<string>();
  const inlineAt = new Set<string>();
  for (const { at, ref } of entries) {
    if (typeof ref === "string") inlineAt.add(at);
    else secretArns.add(ref.secretArn);
  }
  return { secretArns: [...secretArns], inlineAt: [...inlineAt] };
}

/** Verification secrets of every source: read by ingest. */
export function sourceSecrets(config: WebhooksConfig): SecretUsage {
  return collect(
    config.sources.flatMap((source) =>
      (source.secrets ?? []).map((ref) => ({ at: `sources[${source.id}]`, ref })),
    ),
  );
}

/** Signing secrets of every http subscription target: read by deliver. */
export function targetSecrets(config: WebhooksConfig): SecretUsage {
  return collect(
    config.subscriptions.flatMap((sub) =>
      sub.target.type === "http"
        ? targetSecretRefs(sub.target).map((ref) => ({ at: `subscriptions[${sub.id}].target`, ref }))
        : [],
    ),
  );
}
