import { MethodNotAllowedError, RouteNotFoundError, type WebhookError } from "../domain/errors.js";

/**
 * API Gateway HTTP API route keys and how a request picks one: the same table drives the deployed API
 * (CDK creates one route per key) and the local API server (which matches with `matchRoute`).
 *
 * A route key is `"<METHOD> <path>"` (method `ANY` matches every method) or `"$default"`, the catch-all
 * for requests no other route matches. A path segment `{name}` captures one non-empty segment;
 * `{name+}` (last segment only) captures the rest of the path, which may be empty: API Gateway routes
 * `GET /ops/` to `GET /ops/{proxy+}` (a route key cannot end with `/`, so that is how a path with a
 * trailing slash is served).
 */

export const DEFAULT_ROUTE_KEY = "$default";

export interface ParsedRouteKey {
  readonly key: string;
  readonly method: string;
  readonly path: string;
}

interface CompiledRoute extends ParsedRouteKey {
  readonly regex: RegExp;
  readonly names: readonly string[];
  /** Ranking: literal segments, no greedy variable, a named method. Larger is more specific. */
  readonly rank: readonly number[];
}

export interface RouteMatch {
  readonly routeKey: string;
  /** Captured path parameters, still percent-encoded as sent. */
  readonly rawPathParameters: Readonly<Record<string, string>>;
}

const ROUTE_KEY = /^([A-Z]+) (\/[^\s]*)$/;

/** `"POST /webhooks/{sourceId}"` → method and path; `undefined` for `$default`. Throws on anything else. */
export function parseRouteKey(key: string): ParsedRouteKey | undefined {
  if (key === DEFAULT_ROUTE_KEY) return undefined;
  const match = ROUTE_KEY.exec(key);
  if (!match) throw new Error(`Route key '${key}' is neither '$default' nor '<METHOD> /<path>'.`);
  return { key, method: match[1] as string, path: match[2] as string };
}

function compile(route: ParsedRouteKey): CompiledRoute {
  const names: string[] = [];
  const segments = route.path === "/" ? [] : route.path.slice(1).split("/");
  let literals = 0;
  let greedy = false;
  const parts = segments.map((segment, index) => {
    const variable = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
    if (!variable) {
      literals += 1;
      return segment.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
    }
    names.push(variable[1] as string);
    if (variable[2] === "+") {
      if (index !== segments.length - 1)
        throw new Error(`Route '${route.key}': a greedy variable must be last.`);
      greedy = true;
      return "(.*)";
    }
    return "([^/]+)";
  });
  return {
    ...route,
    regex: new RegExp(`^/${parts.join("/")}$`),
    names,
    rank: [literals, greedy ? 0 : 1, segments.length, route.method === "ANY" ? 0 : 1],
  };
}

const moreSpecific = (a: CompiledRoute, b: CompiledRoute): number => {
  for (let i = 0; i < a.rank.length; i++) {
    const diff = (b.rank[i] ?? 0) - (a.rank[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
};

/** A compiled route table: `match` picks the most specific route for a request, `$default` last. */
export interface RouteTable {
  match(method: string, rawPath: string): RouteMatch | undefined;
  /** Methods of the routes whose path matches `rawPath` (empty when none does). */
  allowedMethods(rawPath: string): readonly string[];
}

export function routeTable(keys: readonly string[]): RouteTable {
  const routes = keys
    .map(parseRouteKey)
    .filter((r): r is ParsedRouteKey => r !== undefined)
    .map(compile)
    .sort(moreSpecific);
  const hasDefault = keys.includes(DEFAULT_ROUTE_KEY);
  return {
    match(method, rawPath) {
      for (const route of routes) {
        if (route.method !== "ANY" && route.method !== method) continue;
        const found = route.regex.exec(rawPath);
        if (!found) continue;
        return {
          routeKey: route.key,
          rawPathParameters: Object.fromEntries(route.names.map((name, i) => [name, found[i + 1] ?? ""])),
        };
      }
      return hasDefault ? { routeKey: DEFAULT_ROUTE_KEY, rawPathParameters: {} } : undefined;
    },
    allowedMethods(rawPath) {
      return [...new Set(routes.filter((r) => r.regex.test(rawPath)).map((r) => r.method))];
    },
  };
}

/**
 * What a request that only the `$default` route caught gets: 405 (with the allowed methods) when its
 * path belongs to a route of `keys` under another method, else 404 naming the method and path.
 */
export function unmatchedRouteError(keys: readonly string[], method: string, rawPath: string): WebhookError {
  const allow = routeTable(keys).allowedMethods(rawPath);
  return allow.length > 0 && !allow.includes("ANY")
    ? new MethodNotAllowedError(method, rawPath, allow)
    : new RouteNotFoundError(method, rawPath);
}
