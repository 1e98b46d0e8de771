/**
 * Which IP addresses an outbound delivery may connect to. Pure: addresses are parsed and matched
 * against CIDR tables here, with no DNS and no sockets. `classifyAddress` answers with the class of
 * a blocked address, or `undefined` for an address that is publicly routable.
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:0:0/96`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) are judged by the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback. IPv6
 * outside global unicast `2000::/3` that no row below names is `reserved`: new special-purpose
 * ranges are refused until someone decides otherwise.
 *
 * `private` is exactly the networks an operator may own and opt into (`allowPrivateDestinations`):
 * RFC 1918 IPv4 and `fc00::/7` (unique local IPv6). Deprecated site-local `fec0::/10` (RFC 3879) and the
 * local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215, which may carry any IPv4 address at any offset)
 * are `reserved`, and CGNAT `100.64.0.0/10` (RFC 6598) has its own class: none of them is opened.
 */
export const ADDRESS_CLASSES = {
  loopback: "loopback",
  /** RFC 1918 and fc00::/7: the only class `allowPrivateDestinations` opens. */
  private: "private",
  linkLocal: "link-local",
  /** Cloud instance metadata (169.254.169.254, fd00:ec2::254): refused even where private is allowed. */
  metadata: "metadata",
  cgnat: "cgnat",
  multicast: "multicast",
  unspecified: "unspecified",
  broadcast: "broadcast",
  reserved: "reserved",
  documentation: "documentation",
  benchmark: "benchmark",
} as const;
export type BlockedAddressClass = (typeof ADDRESS_CLASSES)[keyof typeof ADDRESS_CLASSES];

const C = ADDRESS_CLASSES;

interface Range<T extends number | bigint> {
  readonly base: T;
  readonly prefix: number;
  readonly cls: BlockedAddressClass;
}

const IPV4_RANGES: readonly Range<number>[] = [
  v4("0.0.0.0/8", C.unspecified),
  v4("10.0.0.0/8", C.private),
  v4("100.64.0.0/10", C.cgnat),
  v4("127.0.0.0/8", C.loopback),
  v4("169.254.0.0/16", C.linkLocal),
  v4("169.254.169.254/32", C.metadata),
  v4("172.16.0.0/12", C.private),
  v4("192.0.0.0/24", C.reserved),
  v4("192.0.2.0/24", C.documentation),
  v4("192.88.99.0/24", C.reserved),
  v4("192.168.0.0/16", C.private),
  v4("198.18.0.0/15", C.benchmark),
  v4("198.51.100.0/24", C.documentation),
  v4("203.0.113.0/24", C.documentation),
  v4("224.0.0.0/4", C.multicast),
  v4("240.0.0.0/4", C.reserved),
  v4("255.255.255.255/32", C.broadcast),
];

const IPV6_RANGES: readonly Range<bigint>[] = [
  v6("::/128", C.unspecified),
  v6("::1/128", C.loopback),
  v6("64:ff9b:1::/48", C.reserved),
  v6("2001::/23", C.reserved),
  v6("2001:2::/48", C.benchmark),
  v6("2001:db8::/32", C.documentation),
  v6("3fff::/20", C.documentation),
  v6("fc00::/7", C.private),
  v6("fd00:ec2::254/128", C.metadata),
  v6("fe80::/10", C.linkLocal),
  v6("fec0::/10", C.reserved),
  v6("ff00::/8", C.multicast),
];

/** IPv6 prefixes whose addresses carry an IPv4 address, and where it sits (bit shift from the right). */
const IPV6_EMBEDDING_V4: readonly {
  readonly base: bigint;
  readonly prefix: number;
  readonly shift: bigint;
}[] = [
  { ...cidr6("::ffff:0:0/96"), shift: 0n }, // IPv4-mapped
  { ...cidr6("64:ff9b::/96"), shift: 0n }, // NAT64 well-known prefix
  { ...cidr6("2002::/16"), shift: 80n }, // 6to4: 2002:AABB:CCDD::/48
];

const GLOBAL_UNICAST_V6 = cidr6("2000::/3");

/**
 * The class of a blocked address, or `undefined` if it may be reached. Accepts the textual forms
 * DNS and URL parsing produce (dotted-quad IPv4; IPv6 with `::`, a dotted tail, a `%zone`, or in
 * brackets). Anything else is a caller's mistake and throws `TypeError`.
 */
export function classifyAddress(address: string): BlockedAddressClass | undefined {
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return classifyIpv4(v4);
  const v6 = parseIpv6(address);
  if (v6 !== undefined) return classifyIpv6(v6);
  throw new TypeError(`not an IP address: '${address}'`);
}

/** `true` if `text` is an address `classifyAddress` understands. */
export function isIpAddress(text: string): boolean {
  return parseIpv4(text) !== undefined || parseIpv6(text) !== undefined;
}

function classifyIpv4(value: number): BlockedAddressClass | undefined {
  return longestMatch(IPV4_RANGES, (r) =>
    r.prefix === 0 ? true : value >>> (32 - r.prefix) === r.base >>> (32 - r.prefix),
  );
}

function classifyIpv6(value: bigint): BlockedAddressClass | undefined {
  for (const e of IPV6_EMBEDDING_V4) {
    if (inCidr6(value, e)) return classifyIpv4(Number((value >> e.shift) & 0xffff_ffffn));
  }
  const named = longestMatch(IPV6_RANGES, (r) => inCidr6(value, r));
  if (named !== undefined) return named;
  return inCidr6(value, GLOBAL_UNICAST_V6) ? undefined : C.reserved;
}

function longestMatch<T extends number | bigint>(
  ranges: readonly Range<T>[],
  contains: (r: Range<T>) => boolean,
): BlockedAddressClass | undefined {
  let best: Range<T> | undefined;
  for (const r of ranges) if (contains(r) && (best === undefined || r.prefix > best.prefix)) best = r;
  return best?.cls;
}

function inCidr6(value: bigint, range: { readonly base: bigint; readonly prefix: number }): boolean {
  const shift = BigInt(128 - range.prefix);
  return value >> shift === range.base >> shift;
}

/** Strict dotted-quad: four decimal parts 0–255, no leading zeros (so no octal ambiguity). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** RFC 4291 text forms, optionally in brackets and with a `%zone` (which is ignored). */
export function parseIpv6(text: string): bigint | undefined {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(":")) return undefined;

  const groups: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const tail = s.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    // Keep the colon before the dotted tail so `::1.2.3.4` still splits around `::`.
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }

  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? "");
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (head === undefined || rest === undefined) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return undefined;
    groups.push(...head, ...new Array<number>(missing).fill(0), ...rest);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function v4(spec: string, cls: BlockedAddressClass): Range<number> {
  const [addr = "", len = ""] = spec.split("/");
  const base = parseIpv4(addr);
  if (base === undefined) throw new TypeError(`bad IPv4 range ${spec}`);
  return { base, prefix: Number(len), cls };
}

function cidr6(spec: string): { readonly base: bigint; readonly prefix: number } {
  const [addr = "", len = ""] = spec.split("/");
  const base = parseIpv6(addr);
  if (base === undefined) throw new TypeError(`bad IPv6 range ${spec}`);
  return { base, prefix: Number(len) };
}

function v6(spec: string, cls: BlockedAddressClass): Range<bigint> {
  return { ...cidr6(spec), cls };
}
