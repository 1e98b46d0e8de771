import { describe, expect, it } from "vitest";
import { MethodNotAllowedError, RouteNotFoundError } from "../../../shared/domain/errors.js";
import { parseRouteKey, routeTable, unmatchedRouteError } from "../../../shared/http/routes.js";
import { INGEST_ROUTE_KEYS } from "../../../shared/topology/topology.js";

describe("route keys", () => {
  it("parses '<METHOD> <path>' and $default, and refuses anything else", () => {
    expect(parseRouteKey("POST /webhooks/{sourceId}")).toEqual({
      key: "POST /webhooks/{sourceId}",
      method: "POST",
      path: "/webhooks/{sourceId}",
    });
    expect(parseRouteKey("$default")).toBeUndefined();
    for (const bad of ["POST", "post /x", "POST webhooks", "/webhooks/{id}"]) {
      expect(() => parseRouteKey(bad)).toThrow(/neither '\$default' nor/);
    }
  });
});

describe("routeTable (API Gateway HTTP API matching)", () => {
  const table = routeTable([
    "$default",
    "ANY /things/{proxy+}",
    "GET /things/{id}",
    "GET /things/special",
    "POST /webhooks/{sourceId}",
  ]);

  it("captures path parameters as sent, still percent-encoded", () => {
    expect(table.match("POST", "/webhooks/s%20w")).toEqual({
      routeKey: "POST /webhooks/{sourceId}",
      rawPathParameters: { sourceId: "s%20w" },
    });
  });

  it("prefers the most specific route: literal over variable over greedy", () => {
    expect(table.match("GET", "/things/special")?.routeKey).toBe("GET /things/special");
    expect(table.match("GET", "/things/other")?.routeKey).toBe("GET /things/{id}");
    expect(table.match("GET", "/things/a/b")).toEqual({
      routeKey: "ANY /things/{proxy+}",
      rawPathParameters: { proxy: "a/b" },
    });
    expect(table.match("DELETE", "/things/other")?.routeKey).toBe("ANY /things/{proxy+}");
  });

  it("lets a greedy variable capture an empty rest: /things/ is ANY /things/{proxy+} (API Gateway's routing)", () => {
    expect(table.match("GET", "/things/")).toEqual({
      routeKey: "ANY /things/{proxy+}",
      rawPathParameters: { proxy: "" },
    });
    expect(table.match("GET", "/things")?.routeKey).toBe("$default");
  });

  it("falls back to $default, and to nothing without one", () => {
    expect(table.match("GET", "/webhooks/sw")).toEqual({ routeKey: "$default", rawPathParameters: {} });
    expect(table.match("POST", "/webhooks/")?.routeKey).toBe("$default");
    expect(table.match("POST", "/webhooks/a/b")?.routeKey).toBe("$default");
    expect(routeTable(["POST /webhooks/{sourceId}"]).match("GET", "/")).toBeUndefined();
  });

  it("lists the methods a path answers", () => {
    expect(table.allowedMethods("/webhooks/sw")).toEqual(["POST"]);
    expect(table.allowedMethods("/nope")).toEqual([]);
  });
});

describe("unmatchedRouteError (what $default answers)", () => {
  it("is 405 for another method on a known path, 404 otherwise", () => {
    const notAllowed = unmatchedRouteError(INGEST_ROUTE_KEYS, "GET", "/webhooks/sw");
    expect(notAllowed).toBeInstanceOf(MethodNotAllowedError);
    expect((notAllowed as MethodNotAllowedError).allow).toEqual(["POST"]);
    expect(unmatchedRouteError(INGEST_ROUTE_KEYS, "POST", "/nope")).toBeInstanceOf(RouteNotFoundError);
  });

  it("shows at most 200 characters of a long path", () => {
    const error = unmatchedRouteError(INGEST_ROUTE_KEYS, "GET", `/${"x".repeat(5000)}`);
    expect(error.detail.length).toBeLessThan(300);
  });
});
