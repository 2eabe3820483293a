import { readdirSync, readFileSync } from "node:fs";
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
