import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import siteSchema from "../../sites/site.schema.json";
import { REPO_ROOT } from "../../lib/input/settings";
import { filesUnder } from "../support/files";

const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const settingsReference = readFileSync(join(REPO_ROOT, "docs/settings.md"), "utf8");

/** The documentation: README.md and every Markdown page under docs/, by path relative to the repository. */
const DOCS: ReadonlyMap<string, string> = new Map([
  ["README.md", readme],
  ...[...filesUnder(join(REPO_ROOT, "docs")).entries()].filter(([path]) => path.endsWith(".md")).map(([path, text]) => [`docs/${path}`, text] as [string, string]),
]);

/** Markdown without its fenced code blocks (a `# comment` in a shell block is no heading). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`; repeats get -1, -2, ... */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>([...markdown.matchAll(/<a id="([^"]+)"/g)].map((m) => m[1]));
  for (const m of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The section names a reference may quote: headings without their number and remark ("## 1. Bootstrap (once per site)"), and bold paragraph titles ("**Talos asset checksums.**"). */
function sectionNames(markdown: string): Set<string> {
  const text = prose(markdown);
  return new Set([
    ...[...text.matchAll(/^#{1,6} (?:[\d.]+ )?(.+?)(?: \([^)]*\))?$/gm)].flatMap((m) => [m[1].trim(), m[1].trim().replace(/:.*$/, "")]),
    // Bold titles of paragraphs and of numbered steps ("7. **Build and publish the UEFI chain binary.**").
    ...[...text.matchAll(/^(?: *\d+\. +)?\*\*([^*]+?)\.?\*\*/gm)].map((m) => m[1].trim()),
  ]);
}

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

  test.each(fieldPaths(siteSchema))("the settings reference (docs/settings.md) documents %s", (path) => {
    expect(settingsReference).toContain(`\`${path}\``);
  });

  test("the README is the front page: at most 250 lines, linking the getting-started path and the table of contents", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(250);
    expect(readme).toContain("](docs/getting-started.md)");
    expect(readme).toContain("](docs/README.md)");
  });

  test("every page under docs/ (but the ADRs, which have their own directory) is linked from the table of contents, docs/README.md", () => {
    const toc = DOCS.get("docs/README.md")!;
    const linked = new Set([...toc.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => join("docs", m[1])));
    const pages = [...DOCS.keys()].filter((path) => path.startsWith("docs/") && !path.startsWith("docs/adr/") && path !== "docs/README.md");
    expect(pages.length).toBeGreaterThanOrEqual(8);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  test("every relative link of the documentation resolves: the file exists, and its #anchor is a heading (or <a id>) of that file", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const [page, text] of DOCS) {
      for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
        checked++;
        const [path, anchor] = link.split("#");
        const target = path === "" ? page : relative(REPO_ROOT, join(REPO_ROOT, dirname(page), path));
        const file = join(REPO_ROOT, target);
        if (!existsSync(file)) {
          broken.push(`${page}: ${link}: no file ${target}`);
          continue;
        }
        if (anchor === undefined) continue;
        if (statSync(file).isDirectory() || !target.endsWith(".md")) broken.push(`${page}: ${link}: an anchor into ${target}, which is no Markdown page`);
        else if (!anchors(readFileSync(file, "utf8")).has(anchor)) broken.push(`${page}: ${link}: ${target} has no heading with the anchor #${anchor}`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  test("the anchor rule is GitHub's (so the link check above can fail)", () => {
    expect([...anchors("## 1. Bootstrap (once per site)\n## UDM Pro: import the tunnel\n```sh\n# not a heading\n```\n## Tests\n## Tests\n")]).toEqual([
      "1-bootstrap-once-per-site",
      "udm-pro-import-the-tunnel",
      "tests",
      "tests-1",
    ]);
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

  test("ADRs referenced from the documentation and code exist", () => {
    const dir = readdirSync(join(REPO_ROOT, "docs/adr"));
    const texts = [
      ...DOCS.values(),
      ...["lib", "bin", "constructs", "stacks"].flatMap((d) => [...filesUnder(join(REPO_ROOT, d)).entries()].filter(([p]) => p.endsWith(".ts")).map(([, t]) => t)),
    ];
    const referenced = new Set(texts.flatMap((text) => [...text.matchAll(/adr\/(\d{4}-[a-z0-9-]+\.md)/g)].map((m) => m[1])));
    expect(referenced.size).toBeGreaterThan(8);
    for (const name of referenced) expect(dir).toContain(name);
  });

  test('every section an error message, comment or document names (docs/<page>.md, "…"; runbook, "…") exists in that page', () => {
    const pages = new Map([...DOCS].map(([path, text]) => [path, sectionNames(text)]));
    const texts = [
      ...DOCS.values(),
      ...["lib", "bin", "constructs", "stacks", "wireguard", ".github", "sites", "matchbox-config", "scripts"].flatMap((dir) => [...filesUnder(join(REPO_ROOT, dir)).values()]),
      readFileSync(join(REPO_ROOT, "renovate.json"), "utf8"),
    ];
    const named = new Set(
      texts.flatMap((text) =>
        [...text.matchAll(/(docs\/[\w/-]+\.md|README(?:\.md)?|runbook(?:\.md)?), \\?"([^"\\]+)\\?"/g)].map((m) => {
          const page = m[1].startsWith("README") ? "README.md" : m[1].startsWith("runbook") ? "docs/runbook.md" : m[1];
          // A reference may wrap across lines in prose.
          return `${page}, "${m[2].replace(/\s+/g, " ")}"`;
        }),
      ),
    );
    expect(named.size).toBeGreaterThan(10);
    const missing = [...named].filter((ref) => {
      const [, page, name] = /^(.+?), "(.+)"$/.exec(ref)!;
      return !pages.get(page)?.has(name);
    });
    expect(missing).toEqual([]);
  });
});
