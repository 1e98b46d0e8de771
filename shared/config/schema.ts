import * as z from "zod/mini";
import { en } from "zod/v4/locales";

z.config(en());

import {
  OPTIONS_REQUIRED,
  PROVIDER_OPTIONS,
  PROVIDERS,
  type ProviderName,
  SECRETS_OPTIONAL,
} from "../verify/catalog.js";

/** Lower-case id used in URLs, queue names and CloudEvents: `billing`, `gh-main`. */
const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const id = z
  .string()
  .check(
    z.regex(
      ID_PATTERN,
      "must be 1-40 lower-case letters, digits or '-', starting and ending with a letter or digit",
    ),
  );

/** A secret is inline (local development) or a reference to AWS Secrets Manager (deployed stacks). */
export const secretRefSchema = z.union([
  z.string().check(z.minLength(1, "must not be empty")),
  z.strictObject({
    secretArn: z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/,
          "must be the full Secrets Manager ARN, including the 6-character suffix (IAM grants match it exactly)",
        ),
      ),
  }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Seconds to wait before each retry; the first attempt is immediate. Standard Webhooks' schedule. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [
  5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400,
];

/**
 * Largest `maxBodyBytes` a source may set: what every ingress passes to the function. Lambda takes an
 * invocation payload of at most 6 MB (6,291,456 bytes), and API Gateway and Function URLs hand a binary
 * body over base64-encoded (4/3 of its size) inside the event, so 4.5 MB of body always fits. Bodies
 * that do not fit the event item go to the payload bucket (claim check), so nothing else limits them.
 */
export const MAX_BODY_BYTES_LIMIT = 4_500_000;
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;
export const DEFAULT_TOLERANCE_SECONDS = 300;
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
/** How long an accepted event stays findable (and can be resent or replayed) by default. */
export const DEFAULT_RETENTION_DAYS = 7;
/**
 * Batching windows of the router's and deliveries' triggers. At low traffic a window lets several
 * webhooks share one invocation and one write of each per-batch item (the event index, delivery
 * stats), which is most of the cost per webhook; it adds at most the window to the latency.
 */
export const DEFAULT_BATCHING = { routerWindowSeconds: 1, deliveryWindowSeconds: 1 } as const;
/** `http-api`: API Gateway (throttling, custom domains, WAF); `function-url`: no per-request charge. */
export const INGRESS_KINDS = ["http-api", "function-url", "both"] as const;
export type IngressKind = (typeof INGRESS_KINDS)[number];

/**
 * Who may call the ops API in AWS. `jwt`: an API Gateway JWT authorizer checks tokens of the operators'
 * OIDC issuer (signature, expiry, `iss`, `aud`); the ops function then reads the token's scopes (or
 * groups) to tell read from write. `iam`: AWS_IAM authorization (SigV4) for machine callers; their IAM
 * policies (`execute-api:Invoke` on the routes) decide what they may call. Without `ops.auth` a deployed
 * stack has no ops API at all; the local stack always has it, behind a token it prints at startup.
 */
export const DEFAULT_OPS_SCOPES = { read: "ops:read", write: "ops:write" } as const;
export const DEFAULT_OPS_GROUPS_CLAIM = "groups";

const claimValue = z.string().check(z.regex(/^\S+$/, "must be one non-empty word without spaces"));

const jwtOpsAuthSchema = z.strictObject({
  type: z.literal("jwt"),
  /** The OIDC issuer (`iss`); API Gateway reads its keys from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url({
    protocol: /^https$/,
    error:
      "must be the https URL of the OIDC issuer (the token's 'iss', e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>)",
  }),
  /** Accepted `aud` (or `client_id`) values. */
  audience: z
    .array(z.string().check(z.minLength(1, "must not be empty")))
    .check(z.minLength(1, "needs at least one audience (the token's 'aud' or 'client_id')")),
  /** Scope that lets an operator read (default `ops:read`); the write scope reads too. */
  readScope: z.optional(claimValue),
  /** Scope that lets an operator act: resend, erase, replay, pause, resume, close breakers (default `ops:write`). */
  writeScope: z.optional(claimValue),
  /** Claim holding the operator's groups (default `groups`; Cognito: `cognito:groups`). */
  groupsClaim: z.optional(claimValue),
  /** Members of this group may read (as if they had the read scope). */
  readGroup: z.optional(claimValue),
  /** Members of this group may read and act (as if they had the write scope). */
  writeGroup: z.optional(claimValue),
});

const opsSchema = z.strictObject({
  auth: z.optional(
    z.discriminatedUnion("type", [jwtOpsAuthSchema, z.strictObject({ type: z.literal("iam") })], {
      error: 'must be { "type": "jwt", "issuer", "audience" } or { "type": "iam" }',
    }),
  ),
});

const sourceSchema = z.strictObject({
  id,
  provider: z.enum(PROVIDERS),
  /** Required by every provider but `jwt` with a `jwksUrl` and `google-pubsub`. */
  secrets: z.optional(z.array(secretRefSchema).check(z.minLength(1, "needs at least one secret"))),
  /** Provider-specific settings; see `shared/verify/catalog.ts`. */
  options: z.optional(z.record(z.string(), z.unknown())),
  /** Accepted clock difference for signed timestamps, both directions. */
  toleranceSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(3_600))),
  /** How long a delivery id is remembered; defaults to the provider's retry horizon. */
  dedupeWindowSeconds: z.optional(z.number().check(z.int(), z.gte(60), z.lte(30 * 86_400))),
  maxBodyBytes: z.optional(z.number().check(z.int(), z.gte(1), z.lte(MAX_BODY_BYTES_LIMIT))),
  /** Days this source's events stay in the archive (default: the top-level `retentionDays`). */
  retentionDays: z.optional(z.number().check(z.int(), z.gte(1), z.lte(365))),
});

const httpTargetSchema = z.strictObject({
  type: z.literal("http"),
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
  /**
   * Outbound signing key(s): `whsec_…` signs Standard Webhooks `v1` (HMAC), `whsk_…` (base64 ed25519
   * seed) signs `v1a`. Several during a rotation: every one signs, the header carries all signatures.
   */
  secret: z.union([secretRefSchema, z.array(secretRefSchema).check(z.minLength(1), z.maxLength(4))]),
  timeoutMs: z.optional(z.number().check(z.int(), z.gte(100), z.lte(29_000))),
});

const queueTargetSchema = z.strictObject({ type: z.literal("queue") });

const subscriptionSchema = z.strictObject({
  id,
  sources: z.optional(z.array(id).check(z.minLength(1, "omit it to match every source"))),
  /** Exact types or prefix patterns ending in `*` (`invoice.*`); absent = every type. */
  eventTypes: z.optional(
    z
      .array(
        z
          .string()
          .check(z.regex(/^[^*]*\*?$/, "a '*' may only end a pattern"), z.minLength(1, "must not be empty")),
      )
      .check(z.minLength(1, "omit it to match every type")),
  ),
  target: z.discriminatedUnion("type", [httpTargetSchema, queueTargetSchema]),
  /** Hold deliveries (nothing is dropped; they resume when this is removed). Also settable at run time. */
  paused: z.optional(z.boolean()),
  /** At most this many POSTs per second to this subscription (others wait their turn in the queue). */
  rateLimitPerSecond: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000))),
  /** At most this many concurrent deliveries (the event source mapping's maximum concurrency, 2-1000). */
  maxConcurrency: z.optional(z.number().check(z.int(), z.gte(2), z.lte(1_000))),
  retry: z.optional(
    z.strictObject({
      /** Seconds before each retry (first attempt is immediate); its length is the number of retries. */
      scheduleSeconds: z.array(z.number().check(z.gte(0), z.lte(7 * 86_400))).check(z.maxLength(50)),
    }),
  ),
});

/** Why an inline outbound signing key cannot sign, or undefined when it can. */
function outboundKeyProblem(key: string): string | undefined {
  const prefixes = { whsec_: [16, 64], whsk_: [32, 32] } as const;
  for (const [prefix, [min, max]] of Object.entries(prefixes)) {
    if (!key.startsWith(prefix)) continue;
    const raw = key.slice(prefix.length);
    const bytes = Buffer.from(raw, "base64");
    if (bytes.toString("base64") !== raw || bytes.length < min || bytes.length > max) {
      return prefix === "whsk_"
        ? "a whsk_ signing key must be whsk_ + base64 of a 32-byte ed25519 seed"
        : "a whsec_ secret must be whsec_ + base64 of 16-64 random bytes";
    }
    return undefined;
  }
  return "an outbound signing key must start with whsec_ (HMAC, v1) or whsk_ (ed25519, v1a)";
}

type SourceInput = z.infer<typeof sourceSchema>;
type RefineContext = Parameters<Parameters<typeof z.superRefine>[0]>[1];

/** Secrets and `options` as each provider needs them; issues name `sources[i].options.<field>`. */
function checkProviderSettings(source: SourceInput, i: number, ctx: RefineContext): void {
  const jwks = (source.options as { jwksUrl?: unknown } | undefined)?.jwksUrl;
  const needsSecrets =
    !SECRETS_OPTIONAL.includes(source.provider) || (source.provider === "jwt" && jwks === undefined);
  if (needsSecrets && source.secrets === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["sources", i, "secrets"],
      message: `provider '${source.provider}' needs at least one secret`,
    });
  }
  const optionsSchema = (PROVIDER_OPTIONS as Partial<Record<ProviderName, z.ZodMiniType>>)[source.provider];
  if (!optionsSchema) {
    if (source.options !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["sources", i, "options"],
        message: `provider '${source.provider}' takes no options; remove the field`,
      });
    }
    return;
  }
  if (source.options === undefined) {
    if (OPTIONS_REQUIRED.includes(source.provider)) {
      ctx.addIssue({
        code: "custom",
        path: ["sources", i, "options"],
        message: `provider '${source.provider}' needs options (see the README's provider table)`,
      });
    }
    return;
  }
  const parsed = optionsSchema.safeParse(source.options);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: "custom",
        path: ["sources", i, "options", ...issue.path],
        message: issue.message,
      });
    }
  }
}

/**
 * A request timestamped up to `toleranceSeconds` in the future is accepted at once and stays
 * acceptable until `timestamp + tolerance`, i.e. up to 2 × tolerance after it was first seen. Its dedupe
 * key must be remembered at least that long, or a re-send after the window is a new event.
 */
function checkDedupeWindow(source: SourceInput, i: number, ctx: RefineContext): void {
  const window = source.dedupeWindowSeconds;
  if (window === undefined) return;
  const tolerance = source.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (window >= 2 * tolerance) return;
  const toleranceText =
    source.toleranceSeconds === undefined ? `${tolerance}, the default` : String(tolerance);
  ctx.addIssue({
    code: "custom",
    path: ["sources", i, "dedupeWindowSeconds"],
    message:
      `dedupeWindowSeconds (${window}) must be at least 2 × toleranceSeconds (${toleranceText}), ` +
      `i.e. ${2 * tolerance}: a signed request stays acceptable for up to twice the tolerance after it ` +
      "was first accepted; raise dedupeWindowSeconds or lower toleranceSeconds",
  });
}

/** Adds `id` to `seen`, reporting it at `path` when it is already there. */
function claimId(
  seen: Set<string>,
  id: string,
  path: (string | number)[],
  noun: "source" | "subscription",
  ctx: RefineContext,
): void {
  if (seen.has(id)) {
    ctx.addIssue({ code: "custom", path, message: `duplicate ${noun} id '${id}'` });
  }
  seen.add(id);
}

export const configSchema = z
  .strictObject({
    sources: z.array(sourceSchema),
    subscriptions: z.array(subscriptionSchema),
    /** Let a deployed stack deliver to loopback/private addresses and plain HTTP (default false). */
    allowPrivateDestinations: z.optional(z.boolean()),
    /** Days an accepted event stays in the archive (default `DEFAULT_RETENTION_DAYS`). */
    retentionDays: z.optional(z.number().check(z.int(), z.gte(1), z.lte(365))),
    /** Which front door receives webhooks (default `http-api`). */
    ingress: z.optional(z.enum(INGRESS_KINDS)),
    /** The ops API: who may call it in AWS (without `auth`, a deployed stack has none). */
    ops: z.optional(opsSchema),
    /** Trigger batching windows in seconds (defaults `DEFAULT_BATCHING`). */
    batching: z.optional(
      z.strictObject({
        routerWindowSeconds: z.optional(z.number().check(z.int(), z.gte(0), z.lte(300))),
        deliveryWindowSeconds: z.optional(z.number().check(z.int(), z.gte(0), z.lte(300))),
      }),
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      const sourceIds = new Set<string>();
      config.sources.forEach((source, i) => {
        claimId(sourceIds, source.id, ["sources", i, "id"], "source", ctx);
        checkProviderSettings(source, i, ctx);
        checkDedupeWindow(source, i, ctx);
      });
      const auth = config.ops?.auth;
      if (auth?.type === "jwt" && auth.groupsClaim !== undefined && !auth.readGroup && !auth.writeGroup) {
        ctx.addIssue({
          code: "custom",
          path: ["ops", "auth", "groupsClaim"],
          message: "names where readGroup/writeGroup are looked up; set one of them or remove groupsClaim",
        });
      }
      const subIds = new Set<string>();
      config.subscriptions.forEach((sub, i) => {
        claimId(subIds, sub.id, ["subscriptions", i, "id"], "subscription", ctx);
        const target = sub.target;
        if (target.type === "http") {
          const refs = Array.isArray(target.secret) ? target.secret : [target.secret];
          refs.forEach((ref, j) => {
            const problem = typeof ref === "string" ? outboundKeyProblem(ref) : undefined;
            if (problem) {
              const path = Array.isArray(target.secret)
                ? ["subscriptions", i, "target", "secret", j]
                : ["subscriptions", i, "target", "secret"];
              ctx.addIssue({ code: "custom", path, message: problem });
            }
          });
        }
        sub.sources?.forEach((ref, j) => {
          if (!sourceIds.has(ref)) {
            ctx.addIssue({
              code: "custom",
              path: ["subscriptions", i, "sources", j],
              message: `unknown source '${ref}'; known sources: ${[...sourceIds].join(", ") || "(none)"}`,
            });
          }
        });
      });
    }),
  );

export type WebhooksConfig = z.infer<typeof configSchema>;
export type SourceConfig = WebhooksConfig["sources"][number];
export type SubscriptionConfig = WebhooksConfig["subscriptions"][number];
export type HttpTarget = z.infer<typeof httpTargetSchema>;
export type OpsAuthConfig = NonNullable<NonNullable<WebhooksConfig["ops"]>["auth"]>;
export type JwtOpsAuthConfig = Extract<OpsAuthConfig, { type: "jwt" }>;

/** A target's signing secrets as a list, whether the config gave one or several. */
export const targetSecretRefs = (target: HttpTarget): readonly SecretRef[] =>
  Array.isArray(target.secret) ? target.secret : [target.secret];

/** How long a source's events are kept, in seconds: the archive's retention, at least the dedupe window. */
export function eventLifetimeSeconds(
  config: Pick<WebhooksConfig, "retentionDays">,
  source: Pick<SourceConfig, "retentionDays" | "dedupeWindowSeconds">,
  retryHorizonSeconds: number,
): number {
  const retention = (source.retentionDays ?? config.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400;
  return Math.max(retention, source.dedupeWindowSeconds ?? retryHorizonSeconds);
}
