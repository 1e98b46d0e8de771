import * as z from "zod/mini";

/**
 * The provider catalog: every provider name, how long each one retries, and the `sources[].options`
 * each takes (zod/mini schemas). A leaf module: it imports nothing from config or the verifiers, so
 * both can depend on it — the config schema validates sources against it at load (a bad option fails
 * `npm start` and `cdk synth` with the field named), the verifiers receive the parsed values and their
 * retry horizons from it. Kept free of crypto so the config module stays small for functions that
 * never verify. Adding a provider starts here (see `providers/` and `registry.ts`).
 */

/** All provider names, in the order the README lists them. */
export const PROVIDERS = [
  "standard-webhooks",
  "svix",
  "stripe",
  "github",
  "slack",
  "shopify",
  "twilio",
  "square",
  "paddle",
  "pagerduty",
  "linear",
  "intercom",
  "hubspot",
  "zoom",
  "twitch",
  "mailgun",
  "sendgrid",
  "lemonsqueezy",
  "jwt",
  "google-pubsub",
  "hmac",
  "token",
  "basic",
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** One day in seconds: the unit of the retry horizons. */
export const DAY_SECONDS = 86_400;

/**
 * How long each provider keeps retrying one event, in seconds: the default dedupe window of its
 * sources (`dedupeWindowSeconds` overrides it). Generally the provider's documented retry period plus
 * a day; one day where retries end within hours.
 */
export const RETRY_HORIZON_SECONDS = {
  /** Svix disables an endpoint after 5 days of failures; remember ids one day longer. */
  "standard-webhooks": 6 * DAY_SECONDS,
  svix: 6 * DAY_SECONDS,
  /** Stripe retries for up to 3 days; remember ids one day longer. */
  stripe: 4 * DAY_SECONDS,
  /** Manual redelivery is possible for 3 days; remember ids one day longer. */
  github: 4 * DAY_SECONDS,
  /** Slack retries an event 3 times within about an hour; remember ids for a day. */
  slack: DAY_SECONDS,
  /**
   * Shopify has retried for 48 hours (19 attempts) and now documents 8 retries over about 4 hours;
   * three days covers either schedule with a day to spare.
   */
  shopify: 3 * DAY_SECONDS,
  /** Twilio retries a callback only briefly (connection overrides, seconds apart); remember ids for a day. */
  twilio: DAY_SECONDS,
  /** Square retries for up to 3 days (72 hours); remember ids one day longer. */
  square: 4 * DAY_SECONDS,
  /** Paddle retries a live notification for up to 3 days; remember ids one day longer. */
  paddle: 4 * DAY_SECONDS,
  /** PagerDuty retries a failed delivery a few times within about 20 minutes; remember ids for a day. */
  pagerduty: DAY_SECONDS,
  /** Linear retries a failed delivery 3 times, the last about 6 hours later; remember ids for a day. */
  linear: DAY_SECONDS,
  /** Intercom retries a failed notification for well under a day; remember ids for a day. */
  intercom: DAY_SECONDS,
  /** HubSpot retries a failed notification up to 10 times over 24 hours; ids are kept 2 days. */
  hubspot: 2 * DAY_SECONDS,
  /** Zoom retries 3 times (after 5, 20 and 60 minutes); ids are kept 1 day. */
  zoom: DAY_SECONDS,
  /** Twitch resends an unacknowledged message with the same id for a short while; ids are kept 1 day. */
  twitch: DAY_SECONDS,
  /** Mailgun retries for 8 hours; tokens are kept 1 day. */
  mailgun: DAY_SECONDS,
  /** SendGrid retries failed posts for up to 24 hours; remember ids for 3 days. */
  sendgrid: 3 * DAY_SECONDS,
  /** Lemon Squeezy retries 3 times with exponential backoff; ids are kept 1 day. */
  lemonsqueezy: DAY_SECONDS,
  /** Plaid retries for up to 24 hours; generic senders vary: remember ids for 3 days. */
  jwt: 3 * DAY_SECONDS,
  /** Pub/Sub keeps unacknowledged messages (and retries them) for 7 days by default. */
  "google-pubsub": 7 * DAY_SECONDS,
  /** Unknown senders; ids are kept 3 days. */
  hmac: 3 * DAY_SECONDS,
  /** Unknown senders; body hashes are kept 1 day. */
  token: DAY_SECONDS,
  /** Unknown senders; body hashes are kept 1 day. */
  basic: DAY_SECONDS,
} as const satisfies Record<ProviderName, number>;

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const headerName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9-]{1,100}$/, "must be an HTTP header name (letters, digits, '-')"));
const stringOrList = z.union([
  z.string().check(z.minLength(1)),
  z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
]);

/** For schemes that sign the URL (Twilio, Square, HubSpot): the exact URL the provider calls. */
const publicUrlOptions = z.strictObject({
  /** Default: rebuilt from the request (scheme, Host header, path, query), right behind API Gateway. */
  publicUrl: z.optional(httpUrl),
});

/** JWS algorithms a JWT source may pin; `none` is never among them. */
export const JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "HS256",
  "HS384",
  "HS512",
] as const;

const jwtOptions = z.strictObject({
  /** Header carrying the token; `Bearer ` is stripped. Plaid: `plaid-verification`. */
  header: z.optional(headerName),
  /** Accepted algorithms, pinned: a token whose header names another is rejected. */
  algorithms: z.array(z.enum(JWT_ALGORITHMS)).check(z.minLength(1, "pin at least one algorithm")),
  /** Remote key set, cached; without it the keys are the source's `secrets` (PEM, JWK JSON, or HMAC secret). */
  jwksUrl: z.optional(httpUrl),
  issuer: z.optional(stringOrList),
  audience: z.optional(stringOrList),
  /** Claim holding the hex SHA-256 of the body (Plaid: `request_body_sha256`). */
  bodyHashClaim: z.optional(z.string().check(z.minLength(1))),
  /** Reject tokens whose `iat` is older than this (Plaid: 300). */
  maxAgeSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(DAY_SECONDS))),
  /** Claim used as the delivery id (default `jti`). */
  idClaim: z.optional(z.string().check(z.minLength(1))),
  /** Claim used as the event type (default: body `type`, else `jwt`). */
  typeClaim: z.optional(z.string().check(z.minLength(1))),
});

const googlePubsubOptions = z.strictObject({
  /** The push subscription's configured audience (usually the push endpoint URL). */
  audience: z.string().check(z.minLength(1, "set the push subscription's audience")),
  /** The service account the push subscription authenticates as; `email_verified` must be true. */
  serviceAccountEmail: z.string().check(z.regex(/^[^@\s]+@[^@\s]+$/, "must be an email address")),
  /** Default: Google's OAuth2 certificates. */
  jwksUrl: z.optional(httpUrl),
});

const hmacOptions = z.strictObject({
  algorithm: z.enum(["sha1", "sha256", "sha384", "sha512"]),
  /** Header carrying the signature. */
  header: headerName,
  /** Text before the signature in the header, e.g. `sha256=`. */
  prefix: z.optional(z.string()),
  /** How the signature is written. */
  encoding: z.enum(["hex", "base64"]),
  /** How the configured secret is turned into key bytes (default `utf8`). */
  secretEncoding: z.optional(z.enum(["utf8", "base64", "hex"])),
  /** Header with a unix-seconds timestamp; when set, it is checked against `toleranceSeconds`. */
  timestampHeader: z.optional(headerName),
  /** Header with the delivery id (the dedupe key). */
  idHeader: z.optional(headerName),
  /** Header with the event type. */
  eventTypeHeader: z.optional(headerName),
  /** What is signed: `{body}`, `{timestamp}`, `{id}`, `{method}`, `{url}` are replaced (default `{body}`). */
  signedContent: z.optional(
    z
      .string()
      .check(
        z.regex(/\{body\}/, "must include {body}: a signature that does not cover the body proves nothing"),
      ),
  ),
});

const tokenOptions = z.strictObject({
  /** Header carrying the token (default `authorization`). */
  header: z.optional(headerName),
  /** Scheme before the token (default `Bearer`; empty string for a bare header value). */
  scheme: z.optional(z.string()),
});

/** Options schema per provider; providers not listed take no options. */
export const PROVIDER_OPTIONS = {
  twilio: publicUrlOptions,
  square: publicUrlOptions,
  hubspot: publicUrlOptions,
  jwt: jwtOptions,
  "google-pubsub": googlePubsubOptions,
  hmac: hmacOptions,
  token: tokenOptions,
} as const satisfies Partial<Record<ProviderName, z.ZodMiniType>>;

/** Providers whose `options` are required (the scheme is undefined without them). */
export const OPTIONS_REQUIRED: readonly ProviderName[] = ["jwt", "google-pubsub", "hmac"];
/** Providers that authenticate without a configured secret. */
export const SECRETS_OPTIONAL: readonly ProviderName[] = ["google-pubsub", "jwt"];

export type PublicUrlOptions = z.infer<typeof publicUrlOptions>;
export type JwtOptions = z.infer<typeof jwtOptions>;
export type GooglePubsubOptions = z.infer<typeof googlePubsubOptions>;
export type HmacOptions = z.infer<typeof hmacOptions>;
export type TokenOptions = z.infer<typeof tokenOptions>;

/** The validated options of a source (undefined for providers without options). Config load already checked them. */
export function parseProviderOptions(provider: ProviderName, raw: unknown): unknown {
  const schema = (PROVIDER_OPTIONS as Partial<Record<ProviderName, z.ZodMiniType>>)[provider];
  return schema && raw !== undefined ? schema.parse(raw) : raw;
}
