import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { parseInventory, type Machine } from "../input/inventory";
import { ABSENT_PROFILE, bootPlan, talosInstallerImage, type ProfileSpec } from "../model/matchbox/boot-plan";
import { fencedBlock, markdownCode } from "../model/markdown";
import { EXAMPLE_SITE_PATH, parseSite, refusedPathProblem, siteFromCdktfJson, type SiteSettings } from "../input/settings";
import { repositoryFile } from "../input/repo-files";
import { oneLine, quote } from "../input/safe-text";
import { MAX_PATCH_FILE_BYTES, patchPathProblem, patchProblem, type PatchReader } from "../input/talos/patch-files";
import { DataFileError, formatProblem, MAX_DATA_FILE_BYTES, readSmallTextFile, YamlSource, type Problem } from "../input/yaml-source";

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

/** A Talos patch file as boot-diff compares it: its hash and its leaf values by key path. */
export interface PatchView {
  readonly sha256: string;
  /** `key.path` (with `docN:` before it when the file has several documents) → the value as JSON. */
  readonly values: ReadonlyMap<string, string>;
}

/**
 * The boot-relevant reading of one side: settings-level facts (everything of
 * the site that changes what a machine boots or installs), profiles,
 * machines and the content of every patch file either uses.
 */
export interface BootView {
  readonly talos: Readonly<Record<TalosField, string>>;
  readonly rescue: Readonly<Record<RescueField, string>>;
  readonly profiles: ReadonlyMap<string, ProfileSpec>;
  readonly machines: ReadonlyMap<string, MachineBoot>;
  readonly patches: ReadonlyMap<string, PatchView>;
}

/** Site-level Talos facts, in the order a reviewer reads them. */
const TALOS_FIELDS = ["version", "installer", "kubernetesVersion", "clusterName", "endpoint", "existingCluster", "patches", "discovery"] as const;
type TalosField = (typeof TALOS_FIELDS)[number];
const RESCUE_FIELDS = ["kernelUrl", "kernelSha256", "initrdUrl", "initrdSha256"] as const;
type RescueField = (typeof RESCUE_FIELDS)[number];

/** The leaf values of a patch file's documents, by key path. */
function patchValues(text: string): Map<string, string> {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const values = new Map<string, string>();
  list.forEach((doc, i) => {
    const prefix = list.length > 1 ? `doc${i + 1}:` : "";
    const walk = (value: unknown, path: string): void => {
      if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
        for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      } else values.set(`${prefix}${path}`, JSON.stringify(value) ?? "null");
    };
    walk(doc.toJS({ maxAliasCount: 100 }), "");
  });
  return values;
}

export function bootView(settings: SiteSettings, machines: readonly Machine[], patchTexts: ReadonlyMap<string, string> = new Map()): BootView {
  const plan = bootPlan(settings, machines);
  const groups = new Map(plan.groups.map((g) => [g.name, g]));
  const rescue = settings.rescue;
  return {
    talos: {
      version: settings.talos.version,
      installer: talosInstallerImage(settings),
      kubernetesVersion: settings.talos.kubernetesVersion,
      clusterName: settings.talos.cluster.name,
      endpoint: settings.talos.cluster.endpoint,
      existingCluster: String(settings.talos.cluster.existing ?? false),
      patches: settings.talos.patches.join(" "),
      // What a MAC in no inventory entry boots: "off" a 404, "on" Talos maintenance through the catch-all.
      discovery: settings.discovery.enabled ? "on" : "off",
    },
    rescue: {
      kernelUrl: rescue?.kernelUrl ?? "",
      kernelSha256: rescue?.kernelSha256 ?? "",
      initrdUrl: rescue?.initrdUrl ?? "",
      initrdSha256: rescue?.initrdSha256 ?? "",
    },
    profiles: new Map(plan.profiles.map((p) => [p.name, p])),
    machines: new Map(
      machines.map((m) => [
        m.name,
        {
          name: m.name,
          mac: m.mac,
          role: m.role ?? "",
          boot: m.boot,
          // With discovery on, a disk machine's group names no profile (ABSENT_PROFILE): still a 404.
          profile: groups.get(m.name)?.profile.replace(ABSENT_PROFILE, "disk") ?? "disk",
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
    patches: new Map([...patchTexts].map(([path, text]) => [path, { sha256: createHash("sha256").update(text).digest("hex"), values: patchValues(text) }])),
  };
}

export type BootChange =
  | { readonly kind: "added"; readonly machine: MachineBoot }
  | { readonly kind: "removed"; readonly machine: MachineBoot }
  /** `installsTo`: on the change that sets `boot: install`, the disk (or selector) the install will write. */
  | { readonly kind: "changed"; readonly name: string; readonly field: string; readonly from: string; readonly to: string; readonly installsTo?: string }
  | { readonly kind: "profile"; readonly name: string; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: "talos"; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: "rescue"; readonly field: string; readonly from: string; readonly to: string }
  /** A patch file whose content differs (or that only one side uses): its hashes and the key paths whose values differ. */
  | { readonly kind: "patch"; readonly path: string; readonly from: string; readonly to: string; readonly keys: readonly string[] };

/** Machine fields in the order a reviewer reads them. */
const MACHINE_FIELDS = ["mac", "profile", "role", "boot", "installDisk", "hostname", "address", "gateway", "kernelArgs", "nodeLabels", "nodeTaints", "patches"] as const;

/** The most changed keys listed for one patch file; the rest are counted. */
export const MAX_PATCH_KEYS_LISTED = 20;

/** Every difference in what machines boot between `base` and `head`, machines by name in head order. */
export function diffBootViews(base: BootView, head: BootView): BootChange[] {
  const changes: BootChange[] = [];
  for (const field of TALOS_FIELDS) {
    if (base.talos[field] !== head.talos[field]) changes.push({ kind: "talos", field, from: base.talos[field] || '""', to: head.talos[field] || '""' });
  }
  // A removed rescue image is its profile's "- profile rescue"; a new or changed one shows what will be served.
  for (const field of head.rescue.kernelUrl === "" ? [] : RESCUE_FIELDS) {
    if (base.rescue[field] !== head.rescue[field]) changes.push({ kind: "rescue", field, from: base.rescue[field] || "(none)", to: head.rescue[field] || "(none)" });
  }
  for (const path of [...new Set([...head.patches.keys(), ...base.patches.keys()])]) {
    const before = base.patches.get(path);
    const after = head.patches.get(path);
    if (before?.sha256 === after?.sha256) continue;
    const keys = [...new Set([...(after?.values.keys() ?? []), ...(before?.values.keys() ?? [])])].filter((k) => before?.values.get(k) !== after?.values.get(k));
    changes.push({ kind: "patch", path, from: before ? before.sha256.slice(0, 12) : "(not used)", to: after ? after.sha256.slice(0, 12) : "(not used)", keys });
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
      if (before[field] === machine[field]) continue;
      const installs = field === "boot" && machine.boot === "install" ? { installsTo: machine.installDisk } : {};
      changes.push({ kind: "changed", name, field, from: before[field] || '""', to: machine[field] || '""', ...installs });
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
  readonly base: { readonly ref: string; readonly commit: string; /** The site file the base side was read with. */ readonly site: string };
  /** Why the base side could not be read; then `changes` lists the head side as added. */
  readonly baseProblem?: string;
  /** Facts about how the base was read (a site file new in this change, another site at the base). */
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
  /**
   * Whether SITE_CONFIG chose the site: then the base side reads the same
   * path. Otherwise the base side uses the base commit's own selection
   * (its cdktf.json's context.site), so a change of site (a user's first
   * pull request, from the example to their own) shows the machines of one
   * removed and of the other added.
   */
  readonly siteFromEnv?: boolean;
}

/** One side's files: the working tree (by the one path rule) or a commit's tree (git, never the working tree). */
interface SideFiles {
  /** How a path of this side is shown in messages. */
  shown(path: string): string;
  /** The file's text; `missing` when the side has no such file; `error` when it is refused. Nothing that can block is read. */
  read(path: string, limit: number): { text: string } | { missing: string } | { error: string };
}

function workingTree(repoRoot: string): SideFiles {
  return {
    shown: (path) => path,
    read(path, limit) {
      const checked = repositoryFile(path, repoRoot);
      if ("error" in checked) return /^does not exist/.test(checked.error) ? { missing: checked.error } : { error: checked.error };
      const read = readSmallTextFile(checked.file, limit);
      return "error" in read ? { error: read.error } : { text: read.text };
    },
  };
}

/**
 * Compares what each machine boots at `base` with the working tree. The base
 * side's data files are read from the commit's tree with git (size checked
 * with `git cat-file -s` before the blob is read); no code of the base ref
 * runs, nothing of the working tree is read for it. Both sides are
 * interpreted by this code.
 */
export function bootDiff(options: BootDiffOptions): BootDiffResult {
  const { repoRoot } = options;
  const sitePath = relative(repoRoot, options.siteFile);
  if (sitePath.startsWith("..")) {
    throw new BootDiffError(`the site file ${quote(options.siteFile)} is outside the repository ${repoRoot}; boot-diff reads the base side from git, so the site must be a file of this repository`);
  }
  const commit = resolveCommit(repoRoot, options.base);

  const head = readSide(workingTree(repoRoot), sitePath);
  if ("problems" in head) {
    throw new BootDiffError(`the working tree's data is invalid, so there is nothing to compare; fix it first (npm run validate):\n${head.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
  }

  const notes: string[] = [];
  const atBase = commitTree(repoRoot, commit, options.base);
  const selected = options.siteFromEnv ? undefined : baseSiteSelection(atBase);
  const baseSite = selected?.site ?? sitePath;
  if (selected && baseSite !== sitePath) notes.push(`the site at ${options.base} is ${baseSite} (${selected.by}); this change's is ${sitePath}`);
  let base: Side;
  const baseSiteRead = atBase.read(baseSite, MAX_DATA_FILE_BYTES);
  if ("missing" in baseSiteRead) {
    // A site added in this change has no earlier settings: read the base's
    // inventory with today's settings, so the diff shows what the inventory changed.
    notes.push(`${baseSite} does not exist at ${options.base}; the base inventory is read with this change's settings`);
    base = readSide(atBase, baseSite, head.settings);
  } else {
    base = readSide(atBase, baseSite);
  }
  const result = { site: sitePath, base: { ref: options.base, commit, site: baseSite } };
  if ("problems" in base) {
    const problem = `the data at ${options.base} does not validate with the current code, so every machine is shown as on the head side:\n${base.problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`;
    const empty: BootView = { ...head.view, machines: new Map() };
    return { ...result, baseProblem: problem, notes, changes: diffBootViews(empty, head.view) };
  }
  return { ...result, notes, changes: diffBootViews(base.view, head.view) };
}

type Side = { settings: SiteSettings; view: BootView } | { problems: readonly Problem[] };

/**
 * Reads one side's settings, inventory and patch files by the one path rule
 * (the working tree's, or the commit's tree); a missing or refused file or
 * invalid data becomes problems, worded as validate words them.
 */
function readSide(files: SideFiles, sitePath: string, knownSettings?: SiteSettings): Side {
  const patchTexts = new Map<string, string>();
  const readPatch: PatchReader = (path) => {
    const read = files.read(path, MAX_PATCH_FILE_BYTES);
    if ("missing" in read) return { error: patchPathProblem(read.missing) };
    if ("error" in read) return { error: patchPathProblem(read.error) };
    const problem = patchProblem(read.text);
    if (problem) return problem;
    patchTexts.set(path, read.text);
    return { text: read.text };
  };
  try {
    let settings = knownSettings;
    let siteSource: YamlSource | undefined;
    if (!settings) {
      siteSource = YamlSource.parse(required(files, sitePath), files.shown(sitePath));
      settings = parseSite(siteSource, readPatch);
    } else {
      for (const path of settings.talos.patches) readPatch(path);
    }
    const inventoryPath = settings.matchbox.inventoryFile;
    const inventory = files.read(inventoryPath, MAX_DATA_FILE_BYTES);
    if (!("text" in inventory)) {
      const reason = "missing" in inventory ? inventory.missing : inventory.error;
      const shownSite = files.shown(sitePath);
      throw new DataFileError(`site settings ${shownSite}`, [refusedPathProblem(shownSite, ["matchbox", "inventoryFile"], inventoryPath, reason, siteSource)]);
    }
    const machines = parseInventory(YamlSource.parse(inventory.text, files.shown(inventoryPath)), settings, readPatch);
    return { settings, view: bootView(settings, machines, patchTexts) };
  } catch (err) {
    if (err instanceof DataFileError) return { problems: err.problems };
    throw err;
  }
}

function required(files: SideFiles, path: string): string {
  const read = files.read(path, MAX_DATA_FILE_BYTES);
  if ("text" in read) return read.text;
  throw new DataFileError(files.shown(path), [{ file: files.shown(path), field: "", message: "missing" in read ? read.missing : read.error }]);
}

/** The site the base commit selects: its cdktf.json's context.site, when it names one. */
/**
 * The site the base commit selects by the one rule (its cdktf.json's
 * context.site, else the example), read from its tree, and by which part of
 * the rule; undefined when it has no readable cdktf.json (not a netboot
 * commit's layout: the change's site is used then).
 */
function baseSiteSelection(files: SideFiles): { readonly site: string; readonly by: string } | undefined {
  const example = { site: EXAMPLE_SITE_PATH, by: "the example: its cdktf.json names no context.site" };
  const read = files.read("cdktf.json", MAX_DATA_FILE_BYTES);
  if (!("text" in read)) return undefined;
  const selected = siteFromCdktfJson(read.text);
  if ("problem" in selected) return undefined;
  return selected.site === undefined ? example : { site: selected.site, by: "its cdktf.json context.site" };
}

/** git's output is sized from the largest file read, so a big blob is refused by size, never by a buffer overflow. */
const GIT_OUTPUT_MARGIN = 64 * 1024;

function git(repoRoot: string, args: string[], maxBuffer = GIT_OUTPUT_MARGIN) {
  const run = spawnSync("git", ["--literal-pathspecs", ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer, timeout: 30_000 });
  if (run.error) throw new BootDiffError(`cannot run git ${args[0]}: ${run.error.message}`);
  return run;
}

function resolveCommit(repoRoot: string, ref: string): string {
  if (ref.startsWith("-")) throw new BootDiffError(`--base ${oneLine(ref, 200)}: not a git ref`);
  const run = git(repoRoot, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (run.status !== 0) {
    throw new BootDiffError(
      `--base ${oneLine(ref, 200)}: no such commit in ${repoRoot}; give a branch, tag or commit (in CI, check out with fetch-depth: 0 so the base branch exists)`,
    );
  }
  return run.stdout.trim();
}

const ALLOWED_AT_BASE = "allowed: a regular file of the commit's tree, inside the repository";

/**
 * The files of a commit's tree, by the one path rule applied to the tree: a
 * path inside the repository naming a regular file (mode 100644 or 100755;
 * a symbolic link is refused, a directory reached through one does not
 * exist), at most `limit` bytes by `git cat-file -s`, read by its blob id.
 */
function commitTree(repoRoot: string, commit: string, ref: string): SideFiles {
  const shown = (path: string) => `${ref}:${path}`;
  return {
    shown,
    read(path, limit) {
      if (path === "" || /[\u0000-\u001f\u007f]/.test(path)) return { error: `is not a path on one line; ${ALLOWED_AT_BASE}` };
      const inTree = relative(repoRoot, `${repoRoot}/${path}`);
      if (inTree.startsWith("..") || path.startsWith("/")) return { error: `is outside the repository; ${ALLOWED_AT_BASE}` };
      const listed = git(repoRoot, ["ls-tree", "-z", commit, "--", inTree]);
      if (listed.status !== 0) throw new BootDiffError(`git ls-tree ${commit} failed: ${oneLine(listed.stderr.trim(), 400)}`);
      const entry = listed.stdout.split("\0").find((e) => e.endsWith(`\t${inTree}`));
      if (!entry) return { missing: `does not exist at ${ref}; ${ALLOWED_AT_BASE}` };
      const [mode, type, blob] = entry.split("\t")[0].split(" ");
      if (type !== "blob") return { error: `is a ${type === "tree" ? "directory" : type} at ${ref}, not a regular file; ${ALLOWED_AT_BASE}` };
      if (mode === "120000") return { error: `is a symbolic link at ${ref}; ${ALLOWED_AT_BASE}` };
      if (mode !== "100644" && mode !== "100755") return { error: `has mode ${mode} at ${ref}, not a regular file; ${ALLOWED_AT_BASE}` };
      const size = git(repoRoot, ["cat-file", "-s", blob]);
      const bytes = Number(size.stdout.trim());
      if (size.status !== 0 || !Number.isFinite(bytes)) throw new BootDiffError(`git cat-file -s ${blob} failed: ${oneLine(size.stderr.trim(), 400)}`);
      if (bytes > limit) return { error: `is ${bytes} bytes at ${ref}, over the limit; allowed: a regular file of at most ${limit} bytes` };
      const shownBlob = git(repoRoot, ["cat-file", "blob", blob], limit + GIT_OUTPUT_MARGIN);
      if (shownBlob.status !== 0) throw new BootDiffError(`git cat-file blob ${blob} failed: ${oneLine(shownBlob.stderr.trim(), 400)}`);
      return { text: shownBlob.stdout };
    },
  };
}

/** Counts for the summary line. */
function summary(changes: readonly BootChange[]): string {
  const count = (kind: BootChange["kind"]) => changes.filter((c) => c.kind === kind).length;
  const changedMachines = new Set(changes.flatMap((c) => (c.kind === "changed" ? [c.name] : []))).size;
  const changedProfiles = new Set(changes.flatMap((c) => (c.kind === "profile" ? [c.name] : []))).size;
  const parts = [`${count("added")} machine(s) added`, `${count("removed")} removed`, `${changedMachines} changed`, `${changedProfiles} profile(s) changed`];
  if (count("talos") > 0) parts.push("Talos changed");
  if (count("patch") > 0) parts.push(`${count("patch")} patch file(s) changed`);
  if (count("rescue") > 0) parts.push("rescue image changed");
  return changes.length === 0 ? "no boot changes" : parts.join(", ");
}

function patchKeys(keys: readonly string[]): string {
  if (keys.length === 0) return "";
  const listed = keys.slice(0, MAX_PATCH_KEYS_LISTED).join(", ");
  return `; keys: ${listed}${keys.length > MAX_PATCH_KEYS_LISTED ? ` and ${keys.length - MAX_PATCH_KEYS_LISTED} more` : ""}`;
}

/** One line per change, git-style: `+` added, `-` removed, `~` changed; every value through the one escaping rule. */
export function changeLines(changes: readonly BootChange[]): string[] {
  return changes.map((c) => {
    switch (c.kind) {
      case "added":
        // What a new installing machine's install will write, on the line that adds it.
        return oneLine(`+ ${c.machine.name}  ${c.machine.mac}  ${c.machine.profile}${c.machine.boot === "install" ? `  (installs to ${c.machine.installDisk})` : ""}`);
      case "removed":
        return oneLine(`- ${c.machine.name}  ${c.machine.mac}  ${c.machine.profile}`);
      case "changed":
        return oneLine(`~ ${c.name}  ${c.field}: ${c.from} → ${c.to}${c.installsTo !== undefined ? `  (installs to ${c.installsTo})` : ""}`);
      case "profile":
        return oneLine(c.field === "exists" ? `${c.to === "yes" ? "+" : "-"} profile ${c.name}` : `~ profile ${c.name}  ${c.field}: ${c.from} → ${c.to}`);
      case "talos":
        return oneLine(`~ talos  ${c.field}: ${c.from} → ${c.to}`);
      case "rescue":
        return oneLine(`~ rescue  ${c.field}: ${c.from} → ${c.to}`);
      case "patch":
        return oneLine(`~ patch ${c.path}  sha256 ${c.from} → ${c.to}${patchKeys(c.keys)}`);
    }
  });
}

export function formatBootDiff(result: BootDiffResult): string {
  const out = [`boot-diff ${oneLine(result.site)}: ${oneLine(result.base.ref)} (${result.base.commit.slice(0, 12)}) → working tree`];
  for (const note of result.notes) out.push(`note: ${oneLine(note)}`);
  if (result.baseProblem) out.push(`warning: ${result.baseProblem}`);
  out.push(...changeLines(result.changes), summary(result.changes));
  return `${out.join("\n")}\n`;
}

/**
 * Markdown for a pull-request comment. Every value goes through the one
 * Markdown rule (lib/model/markdown.js): the site path as a code span, the
 * changes inside a fenced block no value can close.
 */
export function formatBootDiffMarkdown(result: BootDiffResult): string {
  const lines = changeLines(result.changes);
  const body = [...result.notes.map((n) => `note: ${oneLine(n)}`), ...(result.baseProblem ? [`warning: ${result.baseProblem}`] : []), ...lines].join("\n");
  const out = [`### Boot changes: ${markdownCode(result.site)}`, "", `Base \`${result.base.commit.slice(0, 12)}\` → this change: **${summary(result.changes)}**.`, ""];
  if (body) out.push(fencedBlock(body, "diff"), "");
  out.push(
    `\`+\` boots from now on, \`-\` no longer in the inventory, \`~\` boots differently (a patch file by its SHA-256 and the keys whose values differ). Computed offline from the data files (\`npm run boot-diff -- --base ${result.base.commit.slice(0, 12)}\`).`,
  );
  return `${out.join("\n")}\n`;
}
