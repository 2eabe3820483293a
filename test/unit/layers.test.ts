import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

/**
 * The layers, lowest first; a file may import its own layer or lower ones:
 * commands → stacks → constructs → model (renderers) → input (loading and
 * validation). Data files (schemas) and generated bindings have fixed users.
 */
const LAYERS = ["lib/input", "lib/model", "constructs", "stacks", "commands"] as const;
type Layer = (typeof LAYERS)[number] | "data" | "bindings";

function layerOf(file: string): Layer | undefined {
  if (file.startsWith("lib/input/")) return "lib/input";
  if (file.startsWith("lib/model/")) return "lib/model";
  if (file.startsWith("constructs/")) return "constructs";
  if (file.startsWith("stacks/")) return "stacks";
  if (file.startsWith("lib/commands/") || file.startsWith("bin/") || file === "main.ts") return "commands";
  if (file.startsWith(".gen/")) return "bindings";
  if (/^(sites|matchbox-config|wireguard)\/[^/]+\.json$/.test(file)) return "data";
  return undefined;
}

const rank = (layer: Layer) => LAYERS.indexOf(layer as (typeof LAYERS)[number]);

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(REPO_ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Every relative import of a file, as a repository path (without resolving extensions beyond .ts/.json/index.ts). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), "utf8");
  const specs = [...text.matchAll(/(?:from|import|require\()\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const target = relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), spec));
    for (const candidate of [target, `${target}.ts`, join(target, "index.ts")]) {
      try {
        if (statSync(join(REPO_ROOT, candidate)).isFile()) return candidate;
      } catch {
        // try the next form
      }
    }
    return target;
  });
}

/** Why `file` may not import `target`, or undefined when it may. */
export function layerViolation(file: string, target: string): string | undefined {
  const from = layerOf(file)!;
  const to = layerOf(target);
  if (to === undefined) return `${file} imports ${target}, which belongs to no layer`;
  if (to === "data") return from === "lib/input" ? undefined : `${file} reads the schema ${target}; only lib/input loads data files`;
  if (to === "bindings") return from === "constructs" || from === "stacks" ? undefined : `${file} imports generated bindings ${target}; only constructs and stacks may`;
  if (from === "bindings" || from === "data") return undefined;
  return rank(to) <= rank(from) ? undefined : `${file} (${from}) imports ${target} (${to}): imports point from commands to stacks to constructs to lib/model to lib/input, never back`;
}

describe("layers: imports point one way", () => {
  const files = ["main.ts", ...["bin", "stacks", "constructs", "lib"].flatMap(sources)];

  test("every source file belongs to a layer", () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  test("no import points to a higher layer", () => {
    const violations = files.flatMap((f) => importsOf(f).map((t) => layerViolation(f, t)).filter((v): v is string => v !== undefined));
    expect(violations).toEqual([]);
  });

  test("the check can fail: a renderer importing a stack, and input importing a renderer, are refused", () => {
    expect(layerViolation("lib/model/matchbox/preview.ts", "stacks/index.ts")).toMatch(/imports point from commands to stacks/);
    expect(layerViolation("lib/input/settings.ts", "lib/model/matchbox/boot-plan.ts")).toMatch(/\(lib\/input\) imports lib\/model/);
    expect(layerViolation("lib/model/wireguard/render.ts", "wireguard/peers.schema.json")).toMatch(/only lib\/input loads data files/);
    expect(layerViolation("stacks/index.ts", "constructs/boot-vpc.ts")).toBeUndefined();
  });
});
