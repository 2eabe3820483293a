// The commands the documentation tells a user to run, checked against what
// can be checked offline: gcloud's flag grammar (a --condition gcloud would
// split wrongly is the bug of issue 25 item 3), npm scripts that exist, and
// every file, Terraform output and setting of the project the runbook and the
// getting-started page name. Running the offline commands themselves, in
// order on a user's copy of the repository, is test/user-repo/getting-started.test.ts.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import siteSchema from "../../sites/site.schema.json";
import { DOCS_PLACEHOLDERS } from "../../lib/commands/example-site";
import { DEFAULT_KEY_DIR_SHOWN, defaultKeyDir } from "../../lib/commands/local-keys";
import { REPO_ROOT } from "../../lib/input/settings";
import { docCommands, type DocCommand } from "../support/shell-commands";
import { filesUnder } from "../support/files";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, synthJson } from "../support/synth";
import { homedir } from "node:os";

const PAGES: ReadonlyMap<string, string> = new Map([
  ["README.md", readFileSync(join(REPO_ROOT, "README.md"), "utf8")],
  ...[...filesUnder(join(REPO_ROOT, "docs")).entries()].filter(([p]) => p.endsWith(".md")).map(([p, t]) => [`docs/${p}`, t] as [string, string]),
]);
const COMMANDS: DocCommand[] = [...PAGES].flatMap(([page, text]) => docCommands(page, text));
const where = (c: DocCommand) => `${c.page}:${c.line}: ${c.text.split("\n")[0]}`;

/** The value of `--flag value` or `--flag=value` in a command's words, for each occurrence. */
function flagValues(words: readonly string[], flag: string): string[] {
  const out: string[] = [];
  words.forEach((w, i) => {
    if (w === flag && i + 1 < words.length) out.push(words[i + 1]);
    else if (w.startsWith(`${flag}=`)) out.push(w.slice(flag.length + 1));
  });
  return out;
}

/**
 * Why gcloud would not parse a --condition value as meant, or undefined.
 * gcloud reads it as a dict (KEY=VALUE pairs split at ","; `gcloud topic
 * escaping`: a leading ^D^ makes D the separator instead) with the keys
 * title, expression, description; or the single word None.
 */
export function conditionProblem(value: string): string | undefined {
  if (value === "None") return undefined;
  const alt = /^\^([^^]+)\^/.exec(value);
  const delimiter = alt ? alt[1] : ",";
  const body = alt ? value.slice(alt[0].length) : value;
  const parts = body.split(delimiter);
  const keys: string[] = [];
  for (const part of parts) {
    const m = /^([a-z]+)=/.exec(part);
    if (!m) return `${JSON.stringify(part.slice(0, 40))} is not KEY=VALUE: gcloud splits the value at every ${JSON.stringify(delimiter)}${alt ? "" : " (an expression with commas needs the ^;^ delimiter or --condition-from-file)"}`;
    if (!["title", "expression", "description"].includes(m[1])) return `key ${m[1]}: valid keys are title, expression, description`;
    keys.push(m[1]);
  }
  if (!keys.includes("expression") || !keys.includes("title")) return `a condition needs title and expression, got ${keys.join(", ")}`;
  return undefined;
}

describe("gcloud commands in the documentation", () => {
  const gcloud = COMMANDS.filter((c) => c.words[0] === "gcloud");

  test("there are gcloud commands to check (the extraction works)", () => {
    expect(gcloud.length).toBeGreaterThan(30);
  });

  test("every --condition value parses as gcloud reads it: no unescaped comma inside the expression", () => {
    const conditions = gcloud.flatMap((c) => flagValues(c.words, "--condition").map((v) => ({ at: where(c), value: v, problem: conditionProblem(v) })));
    expect(conditions.length).toBeGreaterThanOrEqual(3);
    expect(conditions.filter((c) => c.problem !== undefined)).toEqual([]);
  });

  test("the grammar check fails the command issue 25 found (title=…,expression=…hasOnly([a,b]) splits at the list's commas)", () => {
    const broken = "title=netboot-node-roles-only,expression=api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly(['roles/logging.logWriter','roles/monitoring.viewer'])";
    expect(conditionProblem(broken)).toMatch(/is not KEY=VALUE: gcloud splits the value at every ","/);
    expect(conditionProblem(`^;^${broken.replace(",expression=", ";expression=")}`)).toBeUndefined();
    expect(conditionProblem("title=t,expression=!resource.name.startsWith(\"projects/_/buckets/b/objects/p/\")")).toBeUndefined();
  });

  test("flags are --lower-case-words; --member values are IAM principals", () => {
    const bad = gcloud.flatMap((c) => c.words.filter((w) => w.startsWith("-") && !/^--?[a-z][a-z0-9-]*(=[\s\S]*)?$/.test(w)).map((w) => `${where(c)}: ${w}`));
    expect(bad).toEqual([]);
    const members = gcloud.flatMap((c) => flagValues(c.words, "--member").map((m) => ({ at: where(c), m })));
    expect(members.length).toBeGreaterThan(10);
    expect(members.filter(({ m }) => !/^(serviceAccount|user|group|domain):\S+$|^principal(Set)?:\/\/iam\.googleapis\.com\/\S+$/.test(m))).toEqual([]);
  });
});

describe("npm, Terraform and key paths the documentation names", () => {
  const scripts = Object.keys(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts);

  test("every `npm run <script>` of the documentation is a script of package.json", () => {
    const named = COMMANDS.filter((c) => c.words[0] === "npm" && c.words[1] === "run").map((c) => ({ at: where(c), script: c.words.slice(2).find((w) => !w.startsWith("-")) }));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => n.script === undefined || !scripts.includes(n.script))).toEqual([]);
    // Inline code too: the README's command list, prose.
    const inline = [...PAGES].flatMap(([page, text]) => [...text.matchAll(/`npm run (?:-s |--silent )?([\w:-]+)/g)].map((m) => ({ page, script: m[1] })));
    expect(inline.length).toBeGreaterThan(20);
    expect(inline.filter((n) => !scripts.includes(n.script))).toEqual([]);
  });

  test("every `terraform … output <name>` names an output of that stack", () => {
    const site = fixtureSiteFrom();
    const stacks = buildStacks(site);
    const outputs: Record<string, string[]> = Object.fromEntries(
      [
        ["network", stacks.network],
        ["gke", stacks.gke],
        ["boot-server", stacks.bootServer],
        ["matchbox-config", stacks.matchboxConfig],
      ].map(([name, stack]) => [name as string, Object.keys(synthJson(stack as any).output ?? {})]),
    );
    // In code blocks and inline code alike; inside `cd cdktf.out/stacks/boot-server && …` the stack is implied (any stack's output then).
    const uses = [...PAGES].flatMap(([page, text]) =>
      [...text.matchAll(/terraform (?:-chdir="?cdktf\.out\/stacks\/([\w-]+)"? )?output (?:-[\w]+ )*([a-z][a-z0-9_]*)/g)].map((m) => ({ at: page, stack: m[1], output: m[2] })),
    );
    expect(uses.length).toBeGreaterThan(5);
    const missing = uses.filter((u) => u.output !== undefined && !(u.stack ? outputs[u.stack] ?? [] : Object.values(outputs).flat()).includes(u.output));
    expect(missing).toEqual([]);
  });

  test("every private key path the documentation names is under the one default key directory (lib/commands/local-keys.ts)", () => {
    expect(DEFAULT_KEY_DIR_SHOWN.replace(/^~/, homedir())).toBe(defaultKeyDir({}));
    const paths = [...PAGES].flatMap(([page, text]) => [...text.matchAll(/(?:~|\$HOME)\/[\w./-]+\.(?:key|conf)\b/g)].map((m) => ({ page, path: m[0].replace(/^\$HOME/, "~") })));
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.filter((p) => !p.path.startsWith(`${DEFAULT_KEY_DIR_SHOWN}/`))).toEqual([]);
  });

  test("the stand-in project and bucket of the runbook and getting started are the ones check-deployable refuses", () => {
    for (const page of ["docs/runbook.md", "docs/getting-started.md"]) {
      const text = PAGES.get(page)!;
      expect({ page, project: /^PROJECT=(\S+)/m.exec(text)?.[1], bucket: /^BUCKET=(\S+)/m.exec(text)?.[1] }).toEqual({ page, project: DOCS_PLACEHOLDERS.project, bucket: DOCS_PLACEHOLDERS.bucket });
    }
  });
});

describe("what the runbook and getting started name exists", () => {
  const texts = ["docs/runbook.md", "docs/getting-started.md", "docs/upgrading.md"].map((p) => [p, PAGES.get(p)!] as const);
  /** Top-level directories of the project whose files a page may name. */
  const ROOTS = ["constructs", "stacks", "lib", "bin", "scripts", "test", ".github", "wireguard", "matchbox-config", "sites", "docs", "provider-schemas"];

  test("every project file a page names in backticks or a command exists (your own site file aside)", () => {
    const named = texts.flatMap(([page, text]) =>
      [...text.matchAll(/(?<![\w./-])((?:\.github|[a-z][\w-]*)\/[\w./-]*[\w-](?:\.\w+)?)/g)]
        .map((m) => m[1].replace(/[.]$/, ""))
        .filter((p) => ROOTS.includes(p.split("/")[0]) && !p.startsWith("docs/adr/NNNN"))
        .map((path) => ({ page, path })),
    );
    expect(named.length).toBeGreaterThan(20);
    // A user's own files, written by the steps themselves.
    const own = new Set(["sites/home.yaml"]);
    expect(named.filter(({ path }) => !own.has(path) && !existsSync(join(REPO_ROOT, path)))).toEqual([]);
  });

  test("every setting a page names (`a.b.c` with a top-level field of the site schema) is a field of sites/site.schema.json", () => {
    const fields = new Set<string>();
    const walk = (schema: any, prefix: string) => {
      for (const [key, sub] of Object.entries<any>(schema.properties ?? {})) {
        const path = prefix ? `${prefix}.${key}` : key;
        fields.add(path);
        walk(sub, path);
      }
    };
    walk(siteSchema, "");
    const top = new Set(Object.keys(siteSchema.properties));
    // Not settings: the kernel argument talos.config=; upgrading.md names retired fields on purpose.
    const notSettings = new Set(["talos.config"]);
    const named = texts
      .filter(([page]) => page !== "docs/upgrading.md")
      .flatMap(([page, text]) =>
        [...text.matchAll(/`([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)+)(?::[^`]*)?`/g)].map((m) => ({ page, field: m[1] })).filter(({ field }) => top.has(field.split(".")[0]) && !notSettings.has(field)),
      );
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter(({ field }) => !fields.has(field))).toEqual([]);
  });
});
