import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type RemoteJWKSet,
} from "jose";
import { VerificationUnavailableError } from "../../domain/errors.js";
import { createKeyCache } from "./secrets.js";

/**
 * Remote JSON Web Key Sets (Google's certificates, a JWT source's `jwksUrl`), cached per URL for the
 * life of the process. jose's `createRemoteJWKSet` does the caching, the cooldown between refetches and
 * the de-duplication of concurrent fetches; this module adds what a webhook receiver needs on top:
 *
 * - a fetch failure is told apart from a key that is simply not in the set: every network error,
 *   timeout, non-200 answer or malformed body is raised by our own fetch as `JwksFetchError`, so
 *   nothing else jose throws is mistaken for an outage;
 * - when the endpoint is down (or slow beyond `timeoutMs`), the last set fetched successfully keeps
 *   verifying, even past `maxAgeMs` (for at most `maxStaleMs`); a token whose key is not in it gets
 *   `VerificationUnavailableError` (a 503: the sender retries once the endpoint is back), never a 401
 *   that would drop an event signed with a key rotated in during the outage;
 * - after a failed fetch, requests for `failureBackoffMs` use the last good set without trying again,
 *   so an outage costs one bounded wait, not one per request;
 * - the GET itself goes through a `JwksFetch` the caller injects: the ingest handler gives it the
 *   SSRF-guarded HTTP path deliveries use (`shared/adapters/guarded-get.ts`), so a `jwksUrl` can never
 *   reach loopback, link-local or metadata addresses from a deployed function. The verify layer stays
 *   free of network policy and AWS code.
 */

/** One GET of a key set, as the verify layer needs it. */
export interface JwksFetchRequest {
  readonly url: string;
  /** Aborts the request (the fetch timeout). */
  readonly signal: AbortSignal;
  /** Bodies larger than this must be refused rather than buffered. */
  readonly maxBytes: number;
}

export interface JwksFetchResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * The port for fetching a key set: GET `url` without following redirects (a 3xx is an answer), reject
 * on any network failure, refused destination, abort or oversized body.
 */
export type JwksFetch = (request: JwksFetchRequest) => Promise<JwksFetchResponse>;

/**
 * `JwksFetch` over the global `fetch`, with NO destination checks: for tools and tests on this
 * machine only. Functions inject the SSRF-guarded implementation instead.
 */
export const unguardedJwksFetch: JwksFetch = async ({ url, signal, maxBytes }) => {
  const response = await fetch(url, { method: "GET", redirect: "manual", signal });
  const body = await response.text();
  if (Buffer.byteLength(body) > maxBytes) throw new Error(`the answer is larger than ${maxBytes} bytes`);
  return { status: response.status, body };
};

export interface JwksCacheOptions {
  /** How a key set is fetched (required: say which destinations it may reach). */
  readonly fetch: JwksFetch;
  /** Longest wait for one fetch, headers and body (default 1.5 s). */
  readonly timeoutMs?: number;
  /** After a successful fetch, how long an unknown `kid` is rejected without refetching (default 30 s). */
  readonly cooldownMs?: number;
  /** How long a fetched set is used before it is fetched again (default 10 min). */
  readonly maxAgeMs?: number;
  /** After a failed fetch, how long the last good set is used without trying again (default 5 s). */
  readonly failureBackoffMs?: number;
  /** How long after its fetch the last good set may stand in for an unreachable endpoint (default 24 h). */
  readonly maxStaleMs?: number;
}

/** Resolves the verification key of a token from a key set; what `jwtVerify` takes as its key. */
export type JwksKeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface JwksKeys {
  /** The resolver for the key set at `url`; the same (cached) one for every call with that URL. */
  resolverFor(url: string): JwksKeyResolver;
}

type CacheSettings = Required<Omit<JwksCacheOptions, "fetch">>;

const DEFAULTS: CacheSettings = {
  timeoutMs: 1_500,
  cooldownMs: 30_000,
  maxAgeMs: 10 * 60_000,
  failureBackoffMs: 5_000,
  maxStaleMs: 24 * 3_600_000,
};
/** A key set is a few kilobytes; refuse to buffer anything much larger. */
const MAX_JWKS_BYTES = 512 * 1024;

/** The key set could not be fetched (network, timeout, status, body). Never leaves this module. */
class JwksFetchError extends Error {
  override readonly name = "JwksFetchError";
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

class RemoteKeySet {
  readonly #url: string;
  readonly #options: CacheSettings;
  readonly #get: JwksFetch;
  readonly #remote: RemoteJWKSet;
  /** The last set fetched and accepted, and when (ms since the epoch). */
  #lastGood: { readonly keys: ReturnType<typeof createLocalJWKSet>; readonly at: number } | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #lastFailure: unknown;

  constructor(url: string, options: CacheSettings, get: JwksFetch) {
    this.#url = url;
    this.#options = options;
    this.#get = get;
    this.#remote = createRemoteJWKSet(new URL(url), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: options.cooldownMs,
      cacheMaxAge: options.maxAgeMs,
      [customFetch]: (href, init) => this.#fetch(href, init),
    });
  }

  readonly resolve: JwksKeyResolver = async (header, token) => {
    if (Date.now() - this.#failedAt < this.#options.failureBackoffMs) {
      return this.#fromLastGood(header, token, this.#lastFailure);
    }
    try {
      return await this.#remote(header, token);
    } catch (error) {
      if (!(error instanceof JwksFetchError || error instanceof errors.JWKSTimeout)) {
        throw error;
      }
      this.#failedAt = Date.now();
      this.#lastFailure = error;
      return this.#fromLastGood(header, token, error);
    }
  };

  async #fromLastGood(
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
    cause: unknown,
  ): Promise<CryptoKey> {
    const lastGood = this.#lastGood;
    if (lastGood === undefined || Date.now() - lastGood.at > this.#options.maxStaleMs) {
      throw new VerificationUnavailableError(
        `JWKS ${this.#url} is unreachable (${describe(cause)}) and no usable key set is cached`,
        { cause },
      );
    }
    try {
      return await lastGood.keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) {
        throw new VerificationUnavailableError(
          `JWKS ${this.#url} is unreachable (${describe(cause)}) and no cached key matches the token`,
          { cause },
        );
      }
      throw error;
    }
  }

  /** jose's fetch, with every way of not getting a key set turned into `JwksFetchError`. */
  async #fetch(
    href: string,
    init: { headers: Headers; method: "GET"; redirect: "manual"; signal: AbortSignal },
  ): Promise<Response> {
    let response: JwksFetchResponse;
    try {
      response = await this.#get({ url: href, signal: init.signal, maxBytes: MAX_JWKS_BYTES });
    } catch (cause) {
      throw new JwksFetchError(`GET failed: ${describe(cause)}`, { cause });
    }
    if (response.status !== 200) {
      throw new JwksFetchError(`GET answered ${response.status}`);
    }
    const text = response.body;
    let keys: ReturnType<typeof createLocalJWKSet>;
    try {
      keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
    } catch (cause) {
      throw new JwksFetchError(`no JWK Set in the answer: ${describe(cause)}`, { cause });
    }
    this.#lastGood = { keys, at: Date.now() };
    return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
  }
}

/** A cache of remote key sets, fetched with `options.fetch`. */
export function createJwksKeys(options: JwksCacheOptions): JwksKeys {
  const resolved: CacheSettings = {
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    cooldownMs: options.cooldownMs ?? DEFAULTS.cooldownMs,
    maxAgeMs: options.maxAgeMs ?? DEFAULTS.maxAgeMs,
    failureBackoffMs: options.failureBackoffMs ?? DEFAULTS.failureBackoffMs,
    maxStaleMs: options.maxStaleMs ?? DEFAULTS.maxStaleMs,
  };
  const setFor = createKeyCache((url) => new RemoteKeySet(url, resolved, options.fetch), 32);
  return { resolverFor: (url) => setFor(url).resolve };
}

/**
 * The default verifiers' cache, over `unguardedJwksFetch`: for tools and tests. The ingest function
 * builds its verifiers with its own cache over the guarded fetch (`createVerifierFor`).
 */
export const sharedJwksKeys: JwksKeys = createJwksKeys({ fetch: unguardedJwksFetch });
