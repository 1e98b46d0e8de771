/**
 * Which request headers the archive keeps with an event: what helps an operator understand it later
 * (content type, user agent, the provider's event and delivery headers), never what authenticates it
 * (signatures, tokens, cookies) and not what the edge added (host, forwarding, tracing).
 */
const DROPPED_NAMES = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "upgrade",
  "expect",
  "via",
  "forwarded",
  "accept-encoding",
  "cdn-loop",
]);

/** Any name saying it carries a credential, and infrastructure prefixes. */
const DROPPED_PATTERN =
  /signature|token|secret|password|auth|api-?key|^x-forwarded-|^x-amzn-|^x-amz-|^x-real-ip$|^traceparent$|^tracestate$/i;

/** At most this many bytes of headers are kept: the item must stay small. */
const MAX_KEPT_BYTES = 2_048;

export function keptHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  let bytes = 0;
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (DROPPED_NAMES.has(name) || DROPPED_PATTERN.test(name)) continue;
    bytes += name.length + value.length;
    if (bytes > MAX_KEPT_BYTES) break;
    kept[name] = value;
  }
  return kept;
}
