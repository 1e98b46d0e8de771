import { lookup as dnsLookup } from "node:dns/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { LookupFunction } from "node:net";
import { ENV } from "../config/env.js";
import {
  type DestinationPolicy,
  judgeAddress,
  judgeUrl,
  LOCAL_POLICY,
  PRIVATE_NETWORKS_POLICY,
  PRODUCTION_POLICY,
  type Refusal,
  type RefusalReason,
  unbracket,
} from "../domain/destination-policy.js";
import { isIpAddress, parseIpv4 } from "../domain/ip-ranges.js";

export { type DestinationPolicy, LOCAL_POLICY, PRIVATE_NETWORKS_POLICY, PRODUCTION_POLICY };

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  throw new TypeError(`${name} must be 'true' or 'false' (or unset), not '${raw}'.`);
}

/**
 * The policy of this process: `WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS=true` (a deployed stack's
 * `allowPrivateDestinations`) opens private networks; `WEBHOOKS_LOCAL_ALLOW_LOOPBACK=true`, which only
 * the local runtime sets, opens loopback too. Unset, empty or `false` keep them closed; any other value
 * is a typo and throws rather than quietly picking one. Inside AWS Lambda (`AWS_EXECUTION_ENV` is set
 * by the service, never by the local runtime) the loopback switch is refused outright: a deployed
 * function's loopback is the Lambda Runtime API.
 */
export function destinationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  const allowPrivate = flag(env, ENV.allowPrivateDestinations);
  const allowLoopback = flag(env, ENV.localAllowLoopback);
  if (allowLoopback && (env.AWS_EXECUTION_ENV ?? "").startsWith("AWS_Lambda")) {
    throw new TypeError(
      `${ENV.localAllowLoopback} is for the local runtime only and is refused in AWS Lambda; remove it from the function's environment.`,
    );
  }
  return { allowPrivate, allowLoopback };
}

/** Every address a hostname resolves to (IPv4 and IPv6). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** `dns.lookup` with `all: true`: what the OS resolver (and /etc/hosts) answers, as `connect` would see it. */
export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => a.address);

export type BlockReason = RefusalReason;

/** How the message of every refusal starts (delivery outcomes and JWKS errors show it). */
const BLOCKED_DESTINATION_PREFIX = "destination blocked:";

/** A destination the policy refuses. Its message starts with `destination blocked:`. */
export class DestinationBlockedError extends Error {
  override readonly name = "DestinationBlockedError";

  private constructor(
    readonly reason: BlockReason,
    /** Host as written in the URL. */
    readonly destinationHost: string,
    /** The refused address, for an address block. */
    readonly blockedAddress: string | undefined,
    detail: string,
  ) {
    super(`${BLOCKED_DESTINATION_PREFIX} ${detail}`);
  }

  static of(refusal: Refusal, host: string): DestinationBlockedError {
    return new DestinationBlockedError(refusal.reason, host, refusal.address, refusal.detail);
  }

  static address(
    cls: Exclude<BlockReason, "scheme">,
    address: string,
    host: string,
  ): DestinationBlockedError {
    return new DestinationBlockedError(cls, host, address, `${cls} address ${address} for ${host}`);
  }
}

/**
 * Decides, under a `DestinationPolicy`, whether a URL and the addresses its host resolves to may be
 * contacted (the rules are `shared/domain/destination-policy.ts`). `lookupFor(scheme)` is meant for the
 * socket itself (`http.Agent({ lookup })`): it resolves, checks every answer and hands only checked
 * addresses to `connect`, so there is no window between the check and the connection for a DNS answer
 * to change (rebinding). An IP-literal host never reaches `lookup` (Node connects to it directly),
 * which is why `checkUrl` checks literals up front.
 */
export class SsrfGuard {
  constructor(
    readonly policy: DestinationPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** Throws `DestinationBlockedError` for a refused scheme, IP-literal host or `localhost` name. */
  checkUrl(url: URL): void {
    const refusal = judgeUrl(url, this.policy);
    if (refusal) throw DestinationBlockedError.of(refusal, unbracket(url.hostname));
  }

  /** Throws `DestinationBlockedError` if `address` (an answer for `host`) is refused over `scheme`. */
  checkAddress(address: string, host: string, scheme: Scheme = "https:"): void {
    const refusal = judgeAddress(address, host, scheme, this.policy);
    if (refusal) throw DestinationBlockedError.of(refusal, host);
  }

  /** Resolves `hostname` and checks every answer: one refused answer refuses the host. */
  async resolveChecked(hostname: string, scheme: Scheme = "https:"): Promise<readonly string[]> {
    const host = unbracket(hostname);
    if (isIpAddress(host)) {
      this.checkAddress(host, host, scheme);
      return [host];
    }
    const addresses = await this.resolve(host);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host });
    }
    for (const address of addresses) {
      if (!isIpAddress(address))
        throw new Error(`resolver answered '${address}' for ${host}, not an IP address`);
      this.checkAddress(address, host, scheme);
    }
    return addresses;
  }

  /** A `net` lookup function for sockets of `scheme`: `resolveChecked`, then the answer shape `connect` asked for. */
  lookupFor(scheme: Scheme): LookupFunction {
    return (hostname, options, callback) => {
      const wanted =
        options.family === 4 || options.family === "IPv4"
          ? 4
          : options.family === 6 || options.family === "IPv6"
            ? 6
            : 0;
      this.resolveChecked(hostname, scheme).then(
        (addresses) => {
          const usable = addresses
            .map((address) => ({ address, family: familyOf(address) }))
            .filter((a) => wanted === 0 || a.family === wanted);
          const [first] = usable;
          if (first === undefined) {
            const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
              code: "ENOTFOUND",
            });
            callback(error, "", undefined);
          } else if (options.all) {
            callback(null, usable);
          } else {
            callback(null, first.address, first.family);
          }
        },
        (error: unknown) => callback(asErrno(error), "", undefined),
      );
    };
  }

  /** The lookup for `https:` sockets. */
  readonly lookup: LookupFunction = this.lookupFor("https:");
}

type Scheme = "https:" | "http:";

/**
 * Keep-alive agents whose every connection is opened through `guard`, each scheme with its own lookup
 * (plain `http:` may only reach addresses the policy opened). Own agents, never the global ones, so
 * every pooled socket was checked. Outbound deliveries and JWKS fetches both use these.
 */
export function guardedAgents(guard: SsrfGuard): { readonly http: HttpAgent; readonly https: HttpsAgent } {
  const options = { keepAlive: true, scheduling: "lifo", timeout: 5_000 } as const;
  return {
    http: new HttpAgent({ ...options, lookup: guard.lookupFor("http:") }),
    https: new HttpsAgent({ ...options, lookup: guard.lookupFor("https:") }),
  };
}

function familyOf(address: string): 4 | 6 {
  return parseIpv4(address) === undefined ? 6 : 4;
}

function asErrno(error: unknown): NodeJS.ErrnoException {
  return error instanceof Error ? error : new Error(String(error));
}
