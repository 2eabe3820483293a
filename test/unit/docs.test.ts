import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import siteSchema from "../../sites/site.schema.json";
import { REPO_ROOT } from "../../lib/input/settings";
import { filesUnder } from "../support/files";

const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** Every leaf field of the settings schema, as a dotted path. */
function fieldPaths(schema: any, prefix = ""): string[] {
  return Object.entries<any>(schema.properties ?? {}).flatMap(([key, sub]) => {
    if (key === "$schema") return [];
    const path = prefix ? `${prefix}.${key}` : key;
    return sub.type === "object" && sub.properties && !["rescue", "ipxeChainEfi"].includes(path) ? fieldPaths(sub, path) : [path];
  });
}

describe("documentation matches the code", () => {
  test("the README's two set-up commands", () => {
    expect(readme).toContain("npm ci && npm run synth");
    expect(readme).toMatch(/^npm test/m);
  });

  test.each(fieldPaths(siteSchema))("the README's settings reference documents %s", (path) => {
    expect(readme).toContain(`\`${path}\``);
  });

  test("every ADR is MADR 4.0 shaped and numbered NNNN-title-with-dashes", () => {
    const dir = join(REPO_ROOT, "docs/adr");
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const file of files) {
      expect(file).toMatch(/^\d{4}-[a-z0-9]+(-[a-z0-9]+)*\.md$/);
      const text = readFileSync(join(dir, file), "utf8");
      expect({ file, frontMatter: /^---\nstatus: \w+/.test(text) }).toEqual({ file, frontMatter: true });
      for (const section of ["## Context and Problem Statement", "## Considered Options", "## Decision Outcome"]) {
        expect({ file, section, present: text.includes(section) }).toEqual({ file, section, present: true });
      }
    }
  });

  test("the README's layout table names every directory of the repository (and lib/'s layers), and every path it names exists", () => {
    const section = readme.slice(readme.indexOf("## Repository layout"), readme.indexOf("\n## ", readme.indexOf("## Repository layout") + 1));
    const named = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((p) => p[1].replace(/\/$/, "")));
    expect(named.length).toBeGreaterThan(10);
    for (const path of named) expect({ path, exists: existsSync(join(REPO_ROOT, path)) }).toEqual({ path, exists: true });
    // What git ignores (.gitignore) and git's own directory are not the repository's layout.
    const ignored = new Set([".git", ...readFileSync(join(REPO_ROOT, ".gitignore"), "utf8").split("\n").filter((l) => /^[\w.-]+\/$/.test(l)).map((l) => l.slice(0, -1))]);
    const directories = (dir: string) => readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).filter((e) => e.isDirectory() && !ignored.has(e.name)).map((e) => join(dir, e.name));
    const tree = [...directories(""), ...directories("lib")].filter((dir) => dir !== "lib");
    expect(tree.filter((dir) => !named.some((path) => path === dir || path.startsWith(`${dir}/`)))).toEqual([]);
  });

  test("ADRs referenced from the README and code exist", () => {
    const dir = readdirSync(join(REPO_ROOT, "docs/adr"));
    const referenced = new Set([...readme.matchAll(/docs\/adr\/(\d{4}-[a-z0-9-]+\.md)/g)].map((m) => m[1]));
    for (const name of referenced) expect(dir).toContain(name);
  });

  test('every runbook section an error message or document names (docs/runbook.md, "…") exists', () => {
    const runbook = readFileSync(join(REPO_ROOT, "docs/runbook.md"), "utf8");
    // Headings without their number and remark ("## 1. Bootstrap (once per site)"), and bold paragraph titles ("**Talos asset checksums.**").
    const sections = new Set([
      ...[...runbook.matchAll(/^#{2,4} (?:[\d.]+ )?(.+?)(?: \([^)]*\))?$/gm)].map((m) => m[1].trim()),
      ...[...runbook.matchAll(/^\*\*([^*]+?)\.?\*\*/gm)].map((m) => m[1].trim()),
    ]);
    const texts = [readme, runbook, ...["lib", "bin", "constructs", "stacks"].flatMap((dir) => [...filesUnder(join(REPO_ROOT, dir)).values()])];
    const named = new Set(texts.flatMap((text) => [...text.matchAll(/runbook(?:\.md)?, \\?"([^"\\]+)\\?"/g)].map((m) => m[1])));
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((name) => !sections.has(name))).toEqual([]);
  });
});
