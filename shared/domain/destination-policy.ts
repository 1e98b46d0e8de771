import { ADDRESS_CLASSES, type BlockedAddressClass, classifyAddress, isIpAddress } from "./ip-ranges.js";

/**
 * Which outbound destinations (subscriber URLs, remote JWKS) may be contacted: pure rules, shared by the
 * SSRF guard (which applies them to every resolved address at connect time) and by `cdk synth` (which
 * applies them to the URLs it can judge without DNS, and warns).
 *
 * - Public addresses: always, over `https:` only.
 * - `private` (RFC 1918, `fc00::/7`): only with `allowPrivate` (`allowPrivateDestinations: true`).
 * - Loopback: only with `allowLoopback`, which only the local runtime sets (a deployed function's
 *   loopback is the Lambda Runtime API on 127.0.0.1:9001 and extensions, never a subscriber).
 * - Link-local (169.254.0.0/16, `fe80::/10`), cloud metadata, CGNAT, unspecified, multicast,
 *   broadcast, reserved, documentation and benchmark ranges: never.
 * - Plain `http:` only to an address the policy opened (private, or loopback locally): an event is
 *   never sent in clear text across the internet, and a deployed stack without the flag sends none.
 */
export interface DestinationPolicy {
  /** Reach RFC 1918 and `fc00::/7` addresses (and plain HTTP to them). */
  readonly allowPrivate: boolean;
  /** Reach loopback (and plain HTTP to it): the local runtime only, never a deployed stack. */
  readonly allowLoopback: boolean;
}

/** A deployed stack: public addresses over HTTPS. */
export const PRODUCTION_POLICY: DestinationPolicy = { allowPrivate: false, allowLoopback: false };
/** A deployed stack with `allowPrivateDestinations: true`. */
export const PRIVATE_NETWORKS_POLICY: DestinationPolicy = { allowPrivate: true, allowLoopback: false };
/** The local stack: its subscribers (and JWKS test servers) are plain-HTTP servers on this machine. */
export const LOCAL_POLICY: DestinationPolicy = { allowPrivate: true, allowLoopback: true };

/** Why a destination is refused: the class of a refused address, or the scheme. */
export type RefusalReason = BlockedAddressClass | "scheme";

export interface Refusal {
  readonly reason: RefusalReason;
  /** The refused address, for an address refusal. */
  readonly address?: string;
  /** One clause for the error message, without the `destination blocked:` prefix. */
  readonly detail: string;
}

const SCHEMES = ["https:", "http:"] as const;
type Scheme = (typeof SCHEMES)[number];

/** Whether the policy opens addresses of class `cls`. */
export function opensClass(policy: DestinationPolicy, cls: BlockedAddressClass): boolean {
  return (
    (cls === ADDRESS_CLASSES.private && policy.allowPrivate) ||
    (cls === ADDRESS_CLASSES.loopback && policy.allowLoopback)
  );
}

/** Whether the policy lets plain `http:` through at all (to some address it opened). */
export function allowsPlainHttp(policy: DestinationPolicy): boolean {
  return policy.allowPrivate || policy.allowLoopback;
}

/**
 * The refusal of connecting to `address` (an answer for `host`) over `scheme`, or `undefined` when
 * the connection may go ahead.
 */
export function judgeAddress(
  address: string,
  host: string,
  scheme: Scheme,
  policy: DestinationPolicy,
): Refusal | undefined {
  const cls = classifyAddress(address);
  if (cls !== undefined && !opensClass(policy, cls)) {
    return { reason: cls, address, detail: `${cls} address ${address} for ${host}` };
  }
  if (cls === undefined && scheme === "http:") {
    return {
      reason: "scheme",
      address,
      detail: `plain http: to public address ${address} for ${host} (http: reaches private addresses only; use https:)`,
    };
  }
  return undefined;
}

/** `localhost` and `*.localhost` always name loopback (RFC 6761), whatever DNS says. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/**
 * What can be judged of a URL without DNS: its scheme, and its host when it is an IP literal or a
 * `localhost` name. `undefined` means "not refused yet": a hostname is judged by every address it
 * resolves to, at connect time.
 */
export function judgeUrl(url: URL, policy: DestinationPolicy): Refusal | undefined {
  const host = unbracket(url.hostname);
  const allowed: readonly Scheme[] = allowsPlainHttp(policy) ? SCHEMES : ["https:"];
  const scheme = allowed.find((s) => s === url.protocol);
  if (scheme === undefined) {
    return {
      reason: "scheme",
      detail: `scheme ${url.protocol} is not allowed for ${host} (allowed: ${allowed.join(", ")})`,
    };
  }
  if (isIpAddress(host)) return judgeAddress(host, host, scheme, policy);
  if (isLocalhostName(host) && !policy.allowLoopback) {
    return { reason: ADDRESS_CLASSES.loopback, detail: `loopback name ${host}` };
  }
  return undefined;
}

export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
