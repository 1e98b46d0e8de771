import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import { ENV } from "../config/env.js";
import { BLOCKED_DESTINATION_PREFIX, isBlockedDestinationMessage } from "../domain/blocked-destination.js";
import {
  ADDRESS_CLASSES,
  type BlockedAddressClass,
  classifyAddress,
  isIpAddress,
  parseIpv4,
} from "../domain/ip-ranges.js";

export { BLOCKED_DESTINATION_PREFIX, isBlockedDestinationMessage };

/** Which destinations outbound delivery may reach. */
export interface DestinationPolicy {
  /** Reach loopback, private, link-local and other non-public addresses; never cloud metadata. */
  readonly allowPrivate: boolean;
  /** Refuse every URL whose scheme is not `https:`. */
  readonly requireHttps: boolean;
}

/** AWS: public addresses over HTTPS only. */
export const PRODUCTION_POLICY: DestinationPolicy = { allowPrivate: false, requireHttps: true };
/** The local stack: subscribers are plain-HTTP servers on this machine. */
export const LOCAL_POLICY: DestinationPolicy = { allowPrivate: true, requireHttps: false };

/**
 * `WEBHOOKS_ALLOW_PRIVATE_DESTINATIONS=true` selects `LOCAL_POLICY`; unset, empty or `false` selects
 * `PRODUCTION_POLICY`. Any other value is a typo and throws, rather than quietly picking one.
 */
export function destinationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): DestinationPolicy {
  const raw = env[ENV.allowPrivateDestinations];
  if (raw === undefined || raw === "" || raw === "false") return PRODUCTION_POLICY;
  if (raw === "true") return LOCAL_POLICY;
  throw new TypeError(`${ENV.allowPrivateDestinations} must be 'true' or 'false' (or unset), not '${raw}'.`);
}

/** Every address a hostname resolves to (IPv4 and IPv6). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** `dns.lookup` with `all: true`: what the OS resolver (and /etc/hosts) answers, as `connect` would see it. */
export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => a.address);

export type BlockReason = BlockedAddressClass | "scheme";

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

  static address(cls: BlockedAddressClass, address: string, host: string): DestinationBlockedError {
    return new DestinationBlockedError(cls, host, address, `${cls} address ${address} for ${host}`);
  }

  static scheme(protocol: string, host: string, allowed: readonly string[]): DestinationBlockedError {
    return new DestinationBlockedError(
      "scheme",
      host,
      undefined,
      `scheme ${protocol} is not allowed for ${host} (allowed: ${allowed.join(", ")})`,
    );
  }
}

/**
 * Decides, under a `DestinationPolicy`, whether a URL and the addresses its host resolves to may be
 * contacted. `lookup` is meant for the socket itself (`http.Agent({ lookup })`): it resolves, checks
 * every answer and hands only checked addresses to `connect`, so there is no window between the
 * check and the connection for a DNS answer to change (rebinding). An IP-literal host never reaches
 * `lookup` (Node connects to it directly), which is why `checkUrl` checks literals up front.
 */
export class SsrfGuard {
  private readonly schemes: readonly string[];

  constructor(
    readonly policy: DestinationPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.schemes = policy.requireHttps ? ["https:"] : ["https:", "http:"];
  }

  /** Throws `DestinationBlockedError` for a refused scheme or a refused IP-literal host. */
  checkUrl(url: URL): void {
    const host = unbracket(url.hostname);
    if (!this.schemes.includes(url.protocol))
      throw DestinationBlockedError.scheme(url.protocol, host, this.schemes);
    if (isIpAddress(host)) this.checkAddress(host, host);
  }

  /** Throws `DestinationBlockedError` if `address` (an answer for `host`) is refused. */
  checkAddress(address: string, host: string): void {
    const cls = classifyAddress(address);
    if (cls === undefined) return;
    if (this.policy.allowPrivate && cls !== ADDRESS_CLASSES.metadata) return;
    throw DestinationBlockedError.address(cls, address, host);
  }

  /** Resolves `hostname` and checks every answer: one refused answer refuses the host. */
  async resolveChecked(hostname: string): Promise<readonly string[]> {
    const host = unbracket(hostname);
    if (isIpAddress(host)) {
      this.checkAddress(host, host);
      return [host];
    }
    const addresses = await this.resolve(host);
    if (addresses.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND", hostname: host });
    }
    for (const address of addresses) {
      if (!isIpAddress(address))
        throw new Error(`resolver answered '${address}' for ${host}, not an IP address`);
      this.checkAddress(address, host);
    }
    return addresses;
  }

  /** A `net` lookup function: `resolveChecked`, then the answer shape `connect` asked for. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const wanted =
      options.family === 4 || options.family === "IPv4"
        ? 4
        : options.family === 6 || options.family === "IPv6"
          ? 6
          : 0;
    this.resolveChecked(hostname).then(
      (addresses) => {
        const usable = addresses
          .map((address) => ({ address, family: familyOf(address) }))
          .filter((a) => wanted === 0 || a.family === wanted);
        const [first] = usable;
        if (first === undefined) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
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

function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function familyOf(address: string): 4 | 6 {
  return parseIpv4(address) === undefined ? 6 : 4;
}

function asErrno(error: unknown): NodeJS.ErrnoException {
  return error instanceof Error ? error : new Error(String(error));
}
