import type { SecretRef } from "../config/schema.js";

export interface SecretResolver {
  resolve(ref: SecretRef): Promise<string>;
}

const CACHE_MS = 5 * 60_000;

/**
 * Inline secrets are returned as they are; `{ secretArn }` references are read from Secrets Manager,
 * cached for five minutes. The Secrets Manager client is imported only when a reference exists, so
 * functions with inline secrets (the local stack) never load it.
 */
export class CachingSecretResolver implements SecretResolver {
  private readonly cache = new Map<string, { value: string; until: number }>();
  private client: Promise<{ get(arn: string): Promise<string> }> | undefined;

  async resolve(ref: SecretRef): Promise<string> {
    if (typeof ref === "string") return ref;
    const hit = this.cache.get(ref.secretArn);
    if (hit && hit.until > Date.now()) return hit.value;
    this.client ??= import("@aws-sdk/client-secrets-manager").then((sm) => {
      const client = new sm.SecretsManagerClient({});
      return {
        async get(arn: string) {
          const out = await client.send(new sm.GetSecretValueCommand({ SecretId: arn }));
          if (out.SecretString === undefined) throw new Error(`Secret ${arn} has no string value.`);
          return out.SecretString;
        },
      };
    });
    const value = await (await this.client).get(ref.secretArn);
    this.cache.set(ref.secretArn, { value, until: Date.now() + CACHE_MS });
    return value;
  }
}
