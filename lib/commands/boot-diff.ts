import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseInventory, type Machine } from "../input/inventory";
import { bootPlan, talosInstallerImage, type ProfileSpec } from "../model/matchbox/boot-plan";
import { parseSite, type SiteSettings } from "../input/settings";
import { DataFileError, formatProblem, YamlSource, type Problem } from "../input/yaml-source";

/** What one machine boots, as a reviewer reads it. */
export interface MachineBoot {
  readonly name: string;
  readonly mac: string;
  readonly role: string;
  readonly boot: string;
  /** The Matchbox profile its group names; `disk` when it has no group (Matchbox answers 404). */
  readonly profile: string;
  readonly hostname: string;
  /** The install disk, or the disk selector as `key=value` pairs. */
  readonly installDisk: string;
  /** Static address with prefix, or `dhcp`. */
  readonly address: string;
  readonly gateway: string;
  /** The machine's own kernel arguments, labels, taints and patch files, space-separated. */
  readonly kernelArgs: string;
  readonly nodeLabels: string;
  readonly nodeTaints: string;
  readonly patches: string;
}

/** The boot-relevant reading of one side: settings-level facts, profiles and machines. */
export interface BootView {
  readonly talos: { readonly version: string; readonly installer: string };
  readonly profiles: ReadonlyMap<string, ProfileSpec>;
  readonly machines: ReadonlyMap<string, MachineBoot>;
}

export function bootView(settings: SiteSettings, machines: readonly Machine[]): BootView {
  const plan = bootPlan(settings, machines);
  const groups = new Map(plan.groups.map((g) => [g.name, g]));
  return {
    talos: { version: settings.talos.version, installer: talosInstallerImage(settings) },
    profiles: new Map(plan.profiles.map((p) => [p.name, p])),
    machines: new Map(
      machines.map((m) => [
        m.name,
        {
          name: m.name,
          mac: m.mac,
          role: m.role,
          boot: m.boot,
          profile: groups.get(m.name)?.profile ?? "disk",
          hostname: m.hostname,
          installDisk: m.installDisk ?? `selector ${Object.entries(m.installDiskSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(" ")}`,
          address: m.addressCidr ?? "dhcp",
          gateway: m.gateway ?? "",
          kernelArgs: m.kernelArgs.join(" "),
          nodeLabels: Object.entries(m.nodeLabels).map(([k, v]) => `${k}=${v}`).join(" "),
          nodeTaints: m.nodeTaints.map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`).join(" "),
          patches: m.patches.join(" "),
        },
      ]),
    ),
  };
}

export type BootChange =
  | { readonly kind: "added"; readonly machine: MachineBoot }
  | { readonly kind: "removed"; readonly machine: MachineBoot }
  | { readonly kind: "changed"; readonly name: string; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: "profile"; readonly name: string; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: "talos"; readonly field: string; readonly from: string; readonly to: string };

/** Machine fields in the order a reviewer reads them. */
const MACHINE_FIELDS = ["mac", "profile", "role", "boot", "installDisk", "hostname", "address", "gateway", "kernelArgs", "nodeLabels", "nodeTaints", "patches"] as const;

/** Every difference in what machines boot between `base` and `head`, machines by name in head order. */
export function diffBootViews(base: BootView, head: BootView): BootChange[] {
  const changes: BootChange[] = [];
  for (const field of ["version", "installer"] as const) {
    if (base.talos[field] !== head.talos[field]) changes.push({ kind: "talos", field, from: base.talos[field], to: head.talos[field] });
  }
  const names = [...new Set([...base.profiles.keys(), ...head.profiles.keys()])];
  for (const name of names) {
    const before = base.profiles.get(name);
    const after = head.profiles.get(name);
    if (!before || !after) {
      // A machine's own profile comes and goes with the machine, which has its own line.
      if (!(before ?? after)!.machine) changes.push({ kind: "profile", name, field: "exists", from: before ? "yes" : "no", to: after ? "yes" : "no" });
      continue;
    }
    if (before.kernel !== after.kernel) changes.push({ kind: "profile", name, field: "kernel", from: before.kernel, to: after.kernel });
    if (before.initrd.join(" ") !== after.initrd.join(" ")) changes.push({ kind: "profile", name, field: "initrd", from: before.initrd.join(" "), to: after.initrd.join(" ") });
    if (before.args.join(" ") !== after.args.join(" ")) changes.push({ kind: "profile", name, field: "args", ...argsChange(before.args, after.args) });
  }
  for (const [name, machine] of head.machines) {
    const before = base.machines.get(name);
    if (!before) {
      changes.push({ kind: "added", machine });
      continue;
    }
    for (const field of MACHINE_FIELDS) {
      if (before[field] !== machine[field]) changes.push({ kind: "changed", name, field, from: before[field] || '""', to: machine[field] || '""' });
    }
  }
  for (const [name, machine] of base.machines) {
    if (!head.machines.has(name)) changes.push({ kind: "removed", machine });
  }
  return changes;
}

/** Kernel arguments as removed and added tokens; a reorder shows the whole list. */
function argsChange(before: readonly string[], after: readonly string[]): { from: string; to: string } {
  const removed = before.filter((a) => !after.includes(a));
  const added = after.filter((a) => !before.includes(a));
  if (removed.length === 0 && added.length === 0) return { from: before.join(" "), to: after.join(" ") };
  return { from: removed.join(" ") || "(none removed)", to: added.join(" ") || "(none added)" };
}

export interface BootDiffResult {
  /** The site file, relative to the repository. */
  readonly site: string;
  readonly base: { readonly ref: string; readonly commit: string };
  /** Why the base side could not be read; then `changes` lists the head side as added. */
  readonly baseProblem?: string;
  /** Facts about how the base was read (a site file new in this change). */
  readonly notes: readonly string[];
  readonly changes: readonly BootChange[];
}

/** A failure that is the caller's input (unknown ref, invalid head data, a site outside the repository): exit 2. */
export class BootDiffError extends Error {}

export interface BootDiffOptions {
  /** The git repository whose working tree is the head side; paths in settings are relative to it. */
  readonly repoRoot: string;
  /** Absolute path of the selected site file (in the working tree). */
  readonly siteFile: string;
  readonly base: string;
}

/**
 * Compares what each machine boots at `base` with the working tree. The base
 * side's data files are read with `git show <commit>:<path>`; no code of the
 * base ref runs. Both sides are interpreted by this code.
 */
export function bootDiff(options: BootDiffOptions): BootDiffResult {
  const { repoRoot } = options;
  const sitePath = relative(repoRoot, options.siteFile);
  if (sitePath.startsWith("..")) {
    throw new BootDiffError(`the site file ${options.siteFile} is outside the repository ${repoRoot}; boot-diff reads the base side from git, so the site must be a file of this repository`);
  }
  const commit = resolveCommit(repoRoot, options.base);

  const head = readSide((path) => readFileSync(resolve(repoRoot, path), "utf8"), sitePath, (p) => p);
  if ("problems" in head) {
    throw new BootDiffError(`the working tree's data is invalid, so there is nothing to compare; fix it first (npm run validate):\n${head.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
  }

  const notes: string[] = [];
  const atBase = (path: string) => gitShow(repoRoot, commit, path);
  const shownAtBase = (path: string) => `${options.base}:${path}`;
  let base: ReturnType<typeof readSide>;
  if (atBase(sitePath) === undefined) {
    // A site added in this change has no earlier settings: read the base's
    // inventory with today's settings, so the diff shows what the inventory changed.
    notes.push(`${sitePath} does not exist at ${options.base}; the base inventory is read with this change's settings`);
    base = readSide(atBase, sitePath, shownAtBase, head.settings);
  } else {
    base = readSide(atBase, sitePath, shownAtBase);
  }
  const result = { site: sitePath, base: { ref: options.base, commit } };
  if ("problems" in base) {
    const problem = `the data at ${options.base} does not validate with the current code, so every machine is shown as on the head side:\n${base.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`;
    const empty: BootView = { talos: head.view.talos, profiles: head.view.profiles, machines: new Map() };
    return { ...result, baseProblem: problem, notes, changes: diffBootViews(empty, head.view) };
  }
  return { ...result, notes, changes: diffBootViews(base.view, head.view) };
}

type Side = { settings: SiteSettings; view: BootView } | { problems: readonly Problem[] };

/** Reads one side's settings and inventory; a missing file or invalid data becomes problems, not an exception. */
function readSide(read: (path: string) => string | undefined, sitePath: string, shown: (path: string) => string, knownSettings?: SiteSettings): Side {
  try {
    const settings = knownSettings ?? parseSite(YamlSource.parse(required(read, sitePath, shown), shown(sitePath)));
    const inventoryPath = settings.matchbox.inventoryFile;
    const machines = parseInventory(YamlSource.parse(required(read, inventoryPath, shown), shown(inventoryPath)), settings);
    return { settings, view: bootView(settings, machines) };
  } catch (err) {
    if (err instanceof DataFileError) return { problems: err.problems };
    throw err;
  }
}

function required(read: (path: string) => string | undefined, path: string, shown: (path: string) => string): string {
  let text: string | undefined;
  try {
    text = read(path);
  } catch (err) {
    text = undefined;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text === undefined) throw new DataFileError(shown(path), [{ file: shown(path), field: "", message: "the file does not exist" }]);
  return text;
}

function git(repoRoot: string, args: string[]) {
  const run = spawnSync("git", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  if (run.error) throw new BootDiffError(`cannot run git: ${run.error.message}`);
  return run;
}

function resolveCommit(repoRoot: string, ref: string): string {
  if (ref.startsWith("-")) throw new BootDiffError(`--base ${ref}: not a git ref`);
  const run = git(repoRoot, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (run.status !== 0) {
    throw new BootDiffError(
      `--base ${ref}: no such commit in ${repoRoot}; give a branch, tag or commit (in CI, check out with fetch-depth: 0 so the base branch exists)`,
    );
  }
  return run.stdout.trim();
}

/** A file's content at a commit, or undefined when the commit has no such file. */
function gitShow(repoRoot: string, commit: string, path: string): string | undefined {
  const run = git(repoRoot, ["show", `${commit}:${path}`]);
  if (run.status === 0) return run.stdout;
  // Only when show failed: was it a missing file (expected) or something else?
  if (git(repoRoot, ["cat-file", "-e", `${commit}:${path}`]).status !== 0) return undefined;
  throw new BootDiffError(`git show ${commit}:${path} failed: ${run.stderr.trim()}`);
}

/** Counts for the summary line. */
function summary(changes: readonly BootChange[]): string {
  const count = (kind: BootChange["kind"]) => changes.filter((c) => c.kind === kind).length;
  const changedMachines = new Set(changes.flatMap((c) => (c.kind === "changed" ? [c.name] : []))).size;
  const changedProfiles = new Set(changes.flatMap((c) => (c.kind === "profile" ? [c.name] : []))).size;
  const parts = [`${count("added")} machine(s) added`, `${count("removed")} removed`, `${changedMachines} changed`, `${changedProfiles} profile(s) changed`];
  if (count("talos") > 0) parts.push("Talos changed");
  return changes.length === 0 ? "no boot changes" : parts.join(", ");
}

/** One line per change, git-style: `+` added, `-` removed, `~` changed. */
export function changeLines(changes: readonly BootChange[]): string[] {
  return changes.map((c) => {
    switch (c.kind) {
      case "added":
        return `+ ${c.machine.name}  ${c.machine.mac}  ${c.machine.profile}`;
      case "removed":
        return `- ${c.machine.name}  ${c.machine.mac}  ${c.machine.profile}`;
      case "changed":
        return `~ ${c.name}  ${c.field}: ${c.from} → ${c.to}`;
      case "profile":
        return c.field === "exists" ? `${c.to === "yes" ? "+" : "-"} profile ${c.name}` : `~ profile ${c.name}  ${c.field}: ${c.from} → ${c.to}`;
      case "talos":
        return `~ talos  ${c.field}: ${c.from} → ${c.to}`;
    }
  });
}

export function formatBootDiff(result: BootDiffResult): string {
  const out = [`boot-diff ${result.site}: ${result.base.ref} (${result.base.commit.slice(0, 12)}) → working tree`];
  for (const note of result.notes) out.push(`note: ${note}`);
  if (result.baseProblem) out.push(`warning: ${result.baseProblem}`);
  out.push(...changeLines(result.changes), summary(result.changes));
  return `${out.join("\n")}\n`;
}

/** Markdown for a pull-request comment; user data sits only inside a code fence longer than any backtick run in it. */
export function formatBootDiffMarkdown(result: BootDiffResult): string {
  const lines = changeLines(result.changes);
  const body = [...result.notes.map((n) => `note: ${n}`), ...(result.baseProblem ? [`warning: ${result.baseProblem}`] : []), ...lines].join("\n");
  const longestTicks = Math.max(2, ...(body.match(/`+/g) ?? []).map((t) => t.length));
  const fence = "`".repeat(longestTicks + 1);
  const out = [
    `### Boot changes: \`${result.site}\``,
    "",
    `Base \`${result.base.commit.slice(0, 12)}\` → this change: **${summary(result.changes)}**.`,
    "",
  ];
  if (body) out.push(`${fence}diff`, body, fence, "");
  out.push(`\`+\` boots from now on, \`-\` no longer in the inventory, \`~\` boots differently. Computed offline from the data files (\`npm run boot-diff -- --base ${result.base.commit.slice(0, 12)}\`).`);
  return `${out.join("\n")}\n`;
}
