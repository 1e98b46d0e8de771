import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../shared/config/load-config.js";
import { opsOpenApiDocument } from "../../../shared/http/ops-openapi.js";
import {
  OPS_API_FALLBACK_ROUTE_KEY,
  OPS_CONSOLE_ROUTE_KEYS,
  OPS_ROUTES,
} from "../../../shared/http/ops-routes.js";
import { buildTopology, WEBHOOK_ROUTE_KEY } from "../../../shared/topology/topology.js";

/**
 * The OpenAPI document the ops function serves: valid OpenAPI 3.1 by an independent validator (the npm
 * package @seriousme/openapi-schema-validator, which checks a document against the specification's own
 * JSON schema), and in step with what is deployed: every route the ops function serves is documented,
 * and every documented operation is served (plus ingest's POST /webhooks/{sourceId}).
 */
type Doc = {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
const documented = (doc: Doc): string[] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
  );

describe("the ops API's OpenAPI document", () => {
  it.each(["bearer", "iam"] as const)("is valid OpenAPI 3.1 (auth %s)", async (auth) => {
    const validator = new Validator();
    const result = await validator.validate(opsOpenApiDocument({ auth, serverUrl: "http://127.0.0.1:3000" }));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("documents exactly the routes the ops function serves, and ingest's webhook route", () => {
    const config = parseConfig({
      sources: [],
      subscriptions: [],
      ops: { auth: { type: "jwt", issuer: "https://issuer.example.com", audience: ["ops"] } },
    });
    const served = buildTopology(config, { prefix: "doc" })
      .functions.flatMap((f) => f.routes.map((r) => r.key))
      .filter(
        (key) =>
          key !== OPS_API_FALLBACK_ROUTE_KEY &&
          key !== "$default" &&
          !(OPS_CONSOLE_ROUTE_KEYS as readonly string[]).includes(key),
      );
    expect(served).toContain(WEBHOOK_ROUTE_KEY);
    expect(served.length).toBe(Object.keys(OPS_ROUTES).length + 1);
    expect(documented(opsOpenApiDocument({ auth: "bearer" }) as Doc).sort()).toEqual([...served].sort());
  });

  it("resolves every $ref to a component, and every component is used", () => {
    const doc = opsOpenApiDocument({ auth: "bearer" }) as Doc;
    const text = JSON.stringify(doc);
    const refs = new Set([...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
    const components = Object.keys(doc.components.schemas);
    for (const ref of refs) expect(components).toContain(ref);
    for (const name of components) expect(refs, name).toContain(name);
  });

  it("documents 403 on every ops operation, 400 where there is input, and the authorizer's own 401", () => {
    const doc = opsOpenApiDocument({ auth: "bearer" }) as Doc;
    for (const [path, item] of Object.entries(doc.paths)) {
      if (path.startsWith("/webhooks/")) continue;
      for (const [method, operation] of Object.entries(item)) {
        const name = `${method} ${path}`;
        expect(Object.keys(operation.responses), name).toEqual(expect.arrayContaining(["401", "403", "500"]));
        expect(JSON.stringify(operation.responses["401"]), name).toContain("GatewayError");
      }
    }
    expect(Object.keys(doc.paths["/ops/api/events"]?.get?.responses ?? {})).toContain("400");
    expect(Object.keys(doc.paths["/ops/api/replays"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "202", "400"]),
    );
  });
});
