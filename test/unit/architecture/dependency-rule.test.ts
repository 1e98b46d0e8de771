import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The dependency rule of `docs/architecture.md`, checked on the source: the domain and the ports know
 * nothing of AWS, adapters or how config is loaded; use cases and verifiers talk to the world only
 * through ports; nothing in `shared/` imports in a circle.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SHARED = join(ROOT, "shared");

interface Import {
  readonly from: string;
  /** Module specifier as written. */
  readonly specifier: string;
  /** Resolved repository-relative path for a relative import; undefined for packages. */
  readonly target?: string;
  /** `import type` / `export type`: erased at build time. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"';]*?from\s+)?"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const specifier = m[3] ?? m[4] ?? "";
    const typeOnly = m[2] !== undefined;
    const target = specifier.startsWith(".")
      ? relative(ROOT, resolve(dirname(file), specifier.replace(/\.js$/, ".ts")))
      : undefined;
    out.push({ from: relative(ROOT, file), specifier, typeOnly, ...(target ? { target } : {}) });
  }
  return out;
}

const files = sourceFiles(SHARED);
const imports = files.flatMap(importsOf);
const importsFrom = (folder: string) => imports.filter((i) => i.from.startsWith(`shared/${folder}/`));
const breaches = (found: readonly Import[]) => found.map((i) => `${i.from} → ${i.specifier}`);

const isSdk = (i: Import) => i.specifier.startsWith("@aws-sdk/") || i.specifier.startsWith("@smithy/");
const isAdapter = (i: Import) => i.target?.startsWith("shared/adapters/") === true;
/** Reading files or the environment (`load-config.ts`, `env.ts`); the config model (`schema.ts`) is not. */
const isConfigLoading = (i: Import) =>
  i.target?.startsWith("shared/config/") === true && i.target !== "shared/config/schema.ts";
/** The domain may name config types, nothing more: the schema module itself (zod) stays out. */
const isConfigValue = (i: Import) => i.target === "shared/config/schema.ts" && !i.typeOnly;
const isLambdaEdge = (i: Import) =>
  i.target?.startsWith("shared/http/") === true || i.specifier.startsWith("@aws-lambda-powertools/");

describe("the dependency rule", () => {
  it("reads every source file of shared/", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.length).toBeGreaterThan(100);
  });

  it("domain imports nothing from adapters, the AWS SDK, the Lambda edge or config loading", () => {
    expect(
      breaches(
        importsFrom("domain").filter(
          (i) => isSdk(i) || isAdapter(i) || isConfigLoading(i) || isConfigValue(i) || isLambdaEdge(i),
        ),
      ),
    ).toEqual([]);
  });

  it("ports are interfaces: they import no adapter, SDK or config loading", () => {
    expect(
      breaches(importsFrom("ports").filter((i) => isSdk(i) || isAdapter(i) || isConfigLoading(i))),
    ).toEqual([]);
  });

  it("use cases reach the world only through ports", () => {
    expect(
      breaches(
        importsFrom("use-cases").filter(
          (i) => isSdk(i) || isAdapter(i) || isConfigLoading(i) || isLambdaEdge(i),
        ),
      ),
    ).toEqual([]);
  });

  it("verifiers import no adapter, SDK or config (the catalog is their leaf)", () => {
    expect(
      breaches(
        importsFrom("verify").filter(
          (i) => isSdk(i) || isAdapter(i) || i.target?.startsWith("shared/config/"),
        ),
      ),
    ).toEqual([]);
  });

  it("has no import cycle anywhere in shared/", () => {
    const graph = new Map<string, string[]>();
    for (const i of imports) {
      if (!i.target?.startsWith("shared/")) continue;
      graph.set(i.from, [...(graph.get(i.from) ?? []), i.target]);
    }
    // Tarjan's strongly connected components: any component of more than one file is a cycle.
    let index = 0;
    const indexOf = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (node: string) => {
      indexOf.set(node, index);
      low.set(node, index);
      index++;
      stack.push(node);
      onStack.add(node);
      for (const next of graph.get(node) ?? []) {
        if (!indexOf.has(next)) {
          visit(next);
          low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
        } else if (onStack.has(next)) {
          low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
        }
      }
      if (low.get(node) === indexOf.get(node)) {
        const component: string[] = [];
        for (;;) {
          const top = stack.pop() as string;
          onStack.delete(top);
          component.push(top);
          if (top === node) break;
        }
        if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
      }
    };
    for (const file of files.map((f) => relative(ROOT, f))) if (!indexOf.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it("resolves every relative import to a file that exists", () => {
    const missing = imports.filter((i) => i.target !== undefined && !files.includes(join(ROOT, i.target)));
    expect(breaches(missing)).toEqual([]);
  });
});
