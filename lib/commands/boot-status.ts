// What each inventory machine is doing, from the boot-report receiver's status
// (GET /status, through `kubectl port-forward`) or from its stdout lines kept
// by Cloud Logging, joined with the inventory and the git history of each
// entry's boot window. The state logic here is the one place that decides
// what a machine's reports mean and what the operator does next;
// bin/boot-status.ts only reads, prints and exits (docs/machine-lifecycle.md).
import { parseKernelHardware, type KernelHardware } from "../input/discovery-reports";
import { spawn, spawnSync } from "node:child_process";
import { request } from "node:http";
import { parse } from "yaml";
import type { Machine } from "../input/inventory";
import { BOOT_REPORT_PORTS } from "../model/boot-reports";
import type { SiteSettings } from "../input/settings";

/** The receiver's status document (its contract: netboot.boot-status/v1). */
export const RECEIVER_STATUS_SCHEMA = "netboot.boot-status/v1";
/** What `boot-status --json` prints, and what the close-boot-windows workflow reads. */
export const BOOT_STATUS_REPORT_SCHEMA = "netboot.boot-status-report/v1";

/**
 * Where the receiver is: in Matchbox's namespace (the boot-server stack's
 * MATCHBOX_NAMESPACE), Service boot-report-receiver, container receiver. Its
 * status port is only reached through `kubectl port-forward` (the gateway
 * never forwards it); its port is the model's (lib/model/boot-reports.ts).
 * test/unit/boot-status.test.ts compares these with the stack's namespace and
 * the receiver's construct; written here so the command's bundle does not load
 * the stacks.
 */
export const RECEIVER = {
  namespace: "netboot-matchbox",
  service: "boot-report-receiver",
  container: "receiver",
  statusPort: BOOT_REPORT_PORTS.status,
} as const;

export const PHASES = ["booting", "maintenance", "installing", "installed", "running", "failed"] as const;
export type Phase = (typeof PHASES)[number];

/** One machine as the receiver reports it. */
export interface ReportedMachine {
  readonly machine: string | null;
  readonly mac: string | null;
  readonly address: string;
  readonly identifiedBy: "hostname" | "mac" | "address" | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly talosVersion: string | null;
  readonly phase: Phase;
  readonly phaseSince: string;
  readonly installedAt: string | null;
  readonly error: string | null;
  readonly etcd: "running" | "not-running" | null;
  readonly events: number;
  readonly logLines: number;
  readonly dropped: number;
  /** What its kernel log said about its hardware (discovery's pull request shows it). */
  readonly hardware?: KernelHardware | null;
}

export interface ReceiverStatus {
  readonly schema: typeof RECEIVER_STATUS_SCHEMA;
  readonly generatedAt: string;
  readonly receiverStartedAt: string;
  readonly machines: readonly ReportedMachine[];
}

/** Something boot-status cannot work with: a source that is unreachable or answers nonsense. Exit 1. */
export class BootStatusError extends Error {}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const isIso = (v: unknown): v is string => typeof v === "string" && ISO.test(v) && !Number.isNaN(Date.parse(v));

/**
 * Checks a status document field by field; `from` names where it came from
 * in every message. Unknown fields are allowed (the receiver may add some).
 */
export function parseReceiverStatus(value: unknown, from: string): ReceiverStatus {
  const fail = (what: string): never => {
    throw new BootStatusError(`${from}: not a boot status the receiver writes (${RECEIVER_STATUS_SCHEMA}): ${what}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("not a JSON object");
  const doc = value as Record<string, unknown>;
  if (doc.schema !== RECEIVER_STATUS_SCHEMA) fail(`schema is ${JSON.stringify(doc.schema)}, expected "${RECEIVER_STATUS_SCHEMA}"`);
  for (const field of ["generatedAt", "receiverStartedAt"]) if (!isIso(doc[field])) fail(`${field} is not an ISO 8601 time: ${JSON.stringify(doc[field])}`);
  if (!Array.isArray(doc.machines)) fail("machines is not a list");
  const machines = (doc.machines as unknown[]).map((m, i) => {
    const at = `machines[${i}]`;
    if (typeof m !== "object" || m === null) return fail(`${at} is not an object`);
    const e = m as Record<string, unknown>;
    const nullableString = (f: string) => (e[f] === null || typeof e[f] === "string" ? (e[f] as string | null) : fail(`${at}.${f} is neither a string nor null`));
    const time = (f: string) => (isIso(e[f]) ? (e[f] as string) : fail(`${at}.${f} is not an ISO 8601 time: ${JSON.stringify(e[f])}`));
    const count = (f: string) => (Number.isInteger(e[f]) && (e[f] as number) >= 0 ? (e[f] as number) : fail(`${at}.${f} is not a count`));
    if (!PHASES.includes(e.phase as Phase)) fail(`${at}.phase is ${JSON.stringify(e.phase)}; allowed: ${PHASES.join(", ")}`);
    if (typeof e.address !== "string") fail(`${at}.address is not a string`);
    const identifiedBy = nullableString("identifiedBy");
    if (identifiedBy !== null && !["hostname", "mac", "address"].includes(identifiedBy)) fail(`${at}.identifiedBy is ${JSON.stringify(identifiedBy)}`);
    const etcd = nullableString("etcd");
    if (etcd !== null && etcd !== "running" && etcd !== "not-running") fail(`${at}.etcd is ${JSON.stringify(etcd)}; allowed: running, not-running, null`);
    const installedAt = e.installedAt === null ? null : time("installedAt");
    return {
      machine: nullableString("machine"),
      mac: nullableString("mac")?.toLowerCase() ?? null,
      address: e.address as string,
      identifiedBy: identifiedBy as ReportedMachine["identifiedBy"],
      firstSeen: time("firstSeen"),
      lastSeen: time("lastSeen"),
      talosVersion: nullableString("talosVersion"),
      phase: e.phase as Phase,
      phaseSince: time("phaseSince"),
      installedAt,
      error: nullableString("error"),
      etcd: etcd as ReportedMachine["etcd"],
      events: count("events"),
      logLines: count("logLines"),
      dropped: count("dropped"),
      hardware: parseKernelHardware(e.hardware),
    };
  });
  return { schema: RECEIVER_STATUS_SCHEMA, generatedAt: doc.generatedAt as string, receiverStartedAt: doc.receiverStartedAt as string, machines };
}

/** The fields of a status entry that a receiver's stdout line may carry, applied in time order. */
const LINE_FIELDS = ["mac", "talosVersion", "phase", "installedAt", "error", "etcd", "identifiedBy"] as const;

/**
 * The receiver's status rebuilt from its stdout lines as Cloud Logging keeps
 * them (`gcloud logging read --format=json`: LogEntry objects whose
 * jsonPayload is one line: {"ts","kind","source","machine",...}). Lines are
 * applied oldest first; a line's status fields (phase, talosVersion, mac,
 * installedAt, error, etcd) update its machine, as the receiver updated its
 * own state when it wrote the line. Machines are keyed by name, else MAC, else
 * source address. `since` is the start of what was read (the receiver's own
 * start is unknown there).
 */
export function statusFromLogEntries(entries: unknown, from: string, now: Date, since: Date): ReceiverStatus {
  if (!Array.isArray(entries)) throw new BootStatusError(`${from}: expected a JSON list of log entries, got ${typeof entries}`);
  const payloads = entries
    .map((e) => (e as { jsonPayload?: Record<string, unknown> } | null)?.jsonPayload)
    .filter((p): p is Record<string, unknown> => typeof p === "object" && p !== null && isIso(p.ts))
    .sort((a, b) => Date.parse(a.ts as string) - Date.parse(b.ts as string));
  // A connection's first reports come before the one that identifies its
  // machine (Talos sends its AddressEvent, and the kernel log its command
  // line, a few reports in): the receiver then counts them for that machine,
  // and so does this. Connection ids restart with the receiver (its "ready"
  // line), so they are told apart per receiver run.
  let run = 0;
  const lines: Array<Record<string, unknown> & { connKey: string | null }> = [];
  for (const p of payloads) {
    if (p.kind === "ready") run++;
    else if (typeof p.source === "string" && ["event", "log", "drop"].includes(p.kind as string)) lines.push({ ...p, connKey: typeof p.conn === "string" ? `${run}:${p.conn}` : null });
  }
  // A machine in no inventory (discovery) has no name: its lines are
  // attributed by the MAC and hostname the receiver knew, also to a
  // connection's earlier lines, and entries are merged when a line shows two
  // of them belong together (its events and its kernel log arrive on two
  // connections, and the receiver merges them by hostname, as here).
  const stateOf = (line: Record<string, unknown>) =>
    // The receiver writes the machine's state after the line's report as
    // machineState (its /status field names); a line without it (another
    // writer, an older receiver) may carry them at the top level.
    typeof line.machineState === "object" && line.machineState !== null ? (line.machineState as Record<string, unknown>) : line;
  /** A line's value of one identity, else the first its connection had. */
  const firstPerConn = (pick: (line: (typeof lines)[number]) => unknown, normal: (v: string) => string) => {
    const found = new Map<string, string>();
    for (const line of lines) {
      const v = pick(line);
      if (line.connKey !== null && typeof v === "string" && !found.has(line.connKey)) found.set(line.connKey, normal(v));
    }
    return (line: (typeof lines)[number]): string | null => {
      const v = pick(line);
      return typeof v === "string" ? normal(v) : line.connKey !== null ? (found.get(line.connKey) ?? null) : null;
    };
  };
  const lower = (v: string) => v.toLowerCase();
  const nameOf = firstPerConn((l) => l.machine, (v) => v);
  const macOf = firstPerConn((l) => stateOf(l).mac, lower);
  const hostnameOf = firstPerConn((l) => stateOf(l).hostname, lower);
  type Entry = { -readonly [K in keyof ReportedMachine]: ReportedMachine[K] };
  const byKey = new Map<string, Entry>();
  const machines: Entry[] = [];
  /** Folds `from` into `into` (the older), and points every key of `from` at `into`. */
  const merge = (into: Entry, from: Entry) => {
    into.firstSeen = into.firstSeen < from.firstSeen ? into.firstSeen : from.firstSeen;
    into.events += from.events;
    into.logLines += from.logLines;
    into.dropped += from.dropped;
    into.mac ??= from.mac;
    into.talosVersion ??= from.talosVersion;
    into.installedAt ??= from.installedAt;
    into.hardware ??= from.hardware;
    for (const [k, e] of byKey) if (e === from) byKey.set(k, into);
    machines.splice(machines.indexOf(from), 1);
  };
  for (const line of lines) {
    const state = stateOf(line);
    const name = nameOf(line);
    const mac = macOf(line);
    const hostname = hostnameOf(line);
    // Every report reaches the receiver from the gateway's address (it
    // masquerades), so lines never identified are told apart by connection.
    const keys = name ? [`name:${name}`] : [...(mac ? [`mac:${mac}`] : []), ...(hostname ? [`hostname:${hostname}`] : [])];
    if (keys.length === 0) keys.push(line.connKey !== null ? `conn:${line.connKey}` : `address:${line.source}`);
    const ts = line.ts as string;
    const known = [...new Set(keys.map((k) => byKey.get(k)).filter((e): e is Entry => e !== undefined))].sort((a, b) => machines.indexOf(a) - machines.indexOf(b));
    let m = known[0];
    for (const other of known.slice(1)) merge(m, other);
    if (!m) {
      m = { machine: name, mac, address: line.source as string, identifiedBy: null, firstSeen: ts, lastSeen: ts, talosVersion: null, phase: "booting", phaseSince: ts, installedAt: null, error: null, etcd: null, events: 0, logLines: 0, dropped: 0 };
      machines.push(m);
    }
    for (const k of keys) byKey.set(k, m);
    m.lastSeen = ts;
    // The address the machine reported (the receiver's machineState), else where the line came from.
    if (typeof state.address === "string" && state.address !== "") m.address = state.address;
    else if (m.address === null) m.address = line.source as string;
    if (line.kind === "event") m.events++;
    else if (line.kind === "log") m.logLines++;
    else m.dropped++;
    for (const field of LINE_FIELDS) {
      const v = state[field];
      if (v === undefined) continue;
      if (field === "phase") {
        if (!PHASES.includes(v as Phase) || v === m.phase) continue;
        m.phase = v as Phase;
        m.phaseSince = ts;
      } else if (field === "installedAt") {
        if (isIso(v)) m.installedAt = v;
      } else if (field === "etcd") {
        if (v === "running" || v === "not-running") m.etcd = v;
      } else if (field === "error") {
        if (v === null || typeof v === "string") m.error = v;
      } else if (typeof v === "string") {
        (m as Record<string, unknown>)[field] = field === "mac" ? v.toLowerCase() : v;
      }
    }
    if (m.phase === "installed" && m.installedAt === null) m.installedAt = ts;
    // A line whose report changed the hardware facts carries all of them (the receiver's kernelFacts).
    if (line.hardware !== undefined) m.hardware = parseKernelHardware(line.hardware) ?? m.hardware ?? null;
  }
  return { schema: RECEIVER_STATUS_SCHEMA, generatedAt: now.toISOString(), receiverStartedAt: since.toISOString(), machines };
}

// ---------------------------------------------------------------------------
// When each window opened: the git history of the inventory.

export type WindowOpened =
  | { readonly kind: "commit"; readonly at: string; readonly commit: string; readonly truncated: boolean }
  /** boot: install only in the working tree: not merged, so not deployed either. */
  | { readonly kind: "uncommitted" }
  /** No git history to read (not a repository, git missing). */
  | { readonly kind: "unknown"; readonly why: string };

/** Commits of the inventory file read at most, newest first. */
export const MAX_HISTORY_COMMITS = 200;

/** Each machine's boot mode in one version of the inventory file, read loosely (an old version may not validate today). */
function bootModes(text: string | undefined): Map<string, string> {
  const modes = new Map<string, string>();
  if (text === undefined) return modes;
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch {
    return modes;
  }
  const list = (doc as { machines?: unknown } | null)?.machines;
  if (!Array.isArray(list)) return modes;
  for (const m of list) {
    if (m && typeof m === "object" && typeof (m as { name?: unknown }).name === "string") {
      const boot = (m as { boot?: unknown }).boot;
      modes.set((m as { name: string }).name, typeof boot === "string" ? boot : "install");
    }
  }
  return modes;
}

/**
 * For every machine on `boot: install` in the working tree: the time of the
 * oldest commit of the newest unbroken run of commits of the inventory file
 * in which it was on install (an entry without `boot:` installs). That is the
 * commit that added the machine or set it back to install; its committer time
 * is when it reached the branch (for a merged pull request, the merge), and
 * the deploy that opened the window ran right after. Committer time, not
 * author time: a rebased or cherry-picked commit keeps its author date.
 */
export function windowsOpened(repoRoot: string, inventoryPath: string, workingTreeText: string, names: readonly string[]): Map<string, WindowOpened> {
  const result = new Map<string, WindowOpened>();
  const git = (...args: string[]) => spawnSync("git", args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
  const log = git("log", `--max-count=${MAX_HISTORY_COMMITS + 1}`, "--format=%H %cI", "--end-of-options", "HEAD", "--", inventoryPath);
  if (log.error || log.status !== 0) {
    const why = log.error ? `cannot run git: ${log.error.message}` : `git log failed: ${log.stderr.trim().split("\n")[0]}`;
    for (const n of names) result.set(n, { kind: "unknown", why });
    return result;
  }
  const commits = log.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ commit: l.slice(0, l.indexOf(" ")), at: new Date(l.slice(l.indexOf(" ") + 1)).toISOString() }));
  const truncated = commits.length > MAX_HISTORY_COMMITS || git("rev-parse", "--is-shallow-repository").stdout.trim() === "true";
  const history = commits.slice(0, MAX_HISTORY_COMMITS);
  const working = bootModes(workingTreeText);
  const pending = new Set(names.filter((n) => working.get(n) === "install"));
  const opened = new Map<string, { at: string; commit: string }>();
  for (const { commit, at } of history) {
    if (pending.size === 0) break;
    const show = git("show", `${commit}:${inventoryPath}`);
    const modes = bootModes(show.status === 0 ? show.stdout : undefined);
    for (const name of [...pending]) {
      if (modes.get(name) === "install") opened.set(name, { at, commit });
      else pending.delete(name);
    }
  }
  for (const name of names) {
    if (working.get(name) !== "install") continue;
    const o = opened.get(name);
    // Still pending after the whole history read: the run may go back further than what was read.
    result.set(name, o ? { kind: "commit", ...o, truncated: pending.has(name) && truncated } : { kind: "uncommitted" });
  }
  return result;
}

// ---------------------------------------------------------------------------
// The report.

export type MachineState =
  | "never-seen"
  | "booting"
  | "maintenance"
  | "installing"
  | "installed"
  | "running"
  | "failed";

export interface MachineReport {
  readonly name: string;
  readonly role: string;
  readonly mac: string;
  readonly boot: string;
  readonly state: MachineState;
  /** When the state began (the phase's start; for installed, the install). */
  readonly since: string | null;
  readonly lastSeen: string | null;
  readonly address: string | null;
  readonly talosVersion: string | null;
  readonly installedAt: string | null;
  readonly error: string | null;
  readonly etcd: "running" | "not-running" | null;
  /** For boot: install only. */
  readonly window: (WindowOpened & { readonly days?: number; readonly tooLong?: boolean }) | null;
  /** Installed and still on boot: install: the closing pull request sets boot: disk. */
  readonly closable: boolean;
  /** The control plane to bootstrap, installed, with etcd not yet running anywhere. */
  readonly bootstrapPending: boolean;
  /** One line as printed. */
  readonly summary: string;
  readonly next: string | null;
}

export interface BootStatusReport {
  readonly schema: typeof BOOT_STATUS_REPORT_SCHEMA;
  readonly site: string;
  /** The inventory the report is of (matchbox.inventoryFile). */
  readonly inventoryFile: string;
  readonly source: string;
  readonly generatedAt: string;
  readonly receiverStartedAt: string;
  readonly warnDays: number;
  readonly bootstrap: { readonly node: string | null; readonly done: boolean; readonly needed: boolean };
  readonly machines: readonly MachineReport[];
  /** Reports the inventory does not explain (no entry has their name, MAC or address). */
  readonly unknown: readonly ReportedMachine[];
}

/**
 * The control plane `npm run cluster-bootstrap` bootstraps: the one whose
 * static address is the cluster endpoint's host, else the first control plane
 * of the inventory. Always the same node for the same inventory, so a second
 * run cannot start a second etcd cluster on another node (docs/adr/0018).
 */
export function bootstrapNode(machines: readonly Machine[], clusterEndpoint: string): Machine | undefined {
  const host = new URL(clusterEndpoint).hostname;
  const controlPlanes = machines.filter((m) => m.role === "controlplane");
  return controlPlanes.find((m) => m.addressCidr?.split("/")[0] === host) ?? controlPlanes[0];
}

/** `2026-12-07T10:12Z`: minutes are enough to read, and sort. */
export function shortTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16)}Z`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function ago(fromIso: string, now: Date): string {
  const ms = now.getTime() - Date.parse(fromIso);
  if (ms < 60 * 60 * 1000) return `${Math.max(0, Math.floor(ms / 60000))} minutes ago`;
  if (ms < DAY_MS) return `${Math.floor(ms / 3600000)} hours ago`;
  const days = Math.floor(ms / DAY_MS);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

/** The receiver's entries that belong to one inventory machine: by name, else MAC, else static address. */
function reportsOf(machine: Machine, reports: readonly ReportedMachine[]): ReportedMachine[] {
  const address = machine.addressCidr?.split("/")[0];
  return reports.filter((r) => r.machine === machine.name || (r.machine === null && (r.mac === machine.mac || (r.mac === null && address !== undefined && r.address === address))));
}

/** One machine's several entries (a DHCP maintenance boot, then the static address) as one: the newest, with the install from any. */
function merged(entries: readonly ReportedMachine[]): ReportedMachine | undefined {
  if (entries.length === 0) return undefined;
  const newest = [...entries].sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen))[0];
  const installs = entries.map((e) => e.installedAt).filter((t): t is string => t !== null).sort();
  return { ...newest, installedAt: newest.installedAt ?? installs[installs.length - 1] ?? null, talosVersion: newest.talosVersion ?? entries.find((e) => e.talosVersion)?.talosVersion ?? null };
}

export interface BootStatusInput {
  readonly site: string;
  readonly settings: SiteSettings;
  readonly machines: readonly Machine[];
  readonly status: ReceiverStatus;
  readonly source: string;
  readonly windows: ReadonlyMap<string, WindowOpened>;
  readonly now: Date;
}

export function bootStatusReport(input: BootStatusInput): BootStatusReport {
  const { settings, machines, status, now } = input;
  const warnDays = settings.matchbox.bootWindowWarnDays;
  const seen = new Map(machines.map((m) => [m.name, merged(reportsOf(m, status.machines))]));
  const explained = new Set(machines.flatMap((m) => reportsOf(m, status.machines)));
  const bootstrapTarget = settings.talos.cluster.existing ? undefined : bootstrapNode(machines, settings.talos.cluster.endpoint);
  const done = machines.some((m) => m.role === "controlplane" && seen.get(m.name)?.etcd === "running");
  const needed = !settings.talos.cluster.existing && !done;

  const reports = machines.map((m): MachineReport => {
    const r = seen.get(m.name);
    const installed = r !== undefined && (r.installedAt !== null || r.phase === "installed" || r.phase === "running");
    const state: MachineState = r === undefined ? "never-seen" : r.phase === "failed" ? "failed" : installed && r.phase !== "running" ? "installed" : r.phase;
    const openedRaw = m.boot === "install" ? input.windows.get(m.name) ?? { kind: "unknown" as const, why: "not looked up" } : null;
    const window = openedRaw?.kind === "commit" ? { ...openedRaw, days: Math.floor((now.getTime() - Date.parse(openedRaw.at)) / DAY_MS), tooLong: now.getTime() - Date.parse(openedRaw.at) > warnDays * DAY_MS } : openedRaw;
    const closable = m.boot === "install" && installed && state !== "failed";
    const isBootstrapNode = bootstrapTarget?.name === m.name;
    const bootstrapPending = needed && isBootstrapNode && installed && state !== "failed";
    const version = r?.talosVersion ? ` (${r.talosVersion})` : "";

    let summary: string;
    const next: string[] = [];
    if (r === undefined) {
      if (m.boot === "install") {
        const since = window?.kind === "commit" ? `since the window opened ${ago(window.at, now)}` : window?.kind === "uncommitted" ? "(boot: install is not committed yet, so not deployed)" : "since the receiver started";
        summary = `never seen ${since}`;
        if (window?.kind === "commit" && Date.parse(status.receiverStartedAt) > Date.parse(window.at)) {
          summary += ` (the receiver only remembers since ${shortTime(status.receiverStartedAt)}; earlier reports are in Cloud Logging: --source logging)`;
        }
        next.push("PXE-boot it (its MAC must be the one in the inventory); if it boots but never reports, check its route through the tunnel (docs/machine-lifecycle.md, \"Nothing reported\")");
      } else {
        summary = `boot: ${m.boot}, no reports since ${shortTime(status.receiverStartedAt)}`;
      }
    } else if (state === "failed") {
      summary = `failed ${shortTime(r.phaseSince)}${version}: ${r.error ?? "no error text was reported"}`;
      next.push("fix what the error names, then PXE-boot it again (the window stays open until it reports installed)");
    } else if (state === "installed" || state === "running") {
      summary = `${state === "running" ? "running, installed" : "installed"} ${r.installedAt ? shortTime(r.installedAt) : "(time unknown)"}${version}`;
      if (bootstrapPending) next.push("bootstrap pending: etcd is not running yet on any control plane; run npm run cluster-bootstrap once (docs/machine-lifecycle.md, \"Bootstrap\")");
      else if (needed && m.role === "controlplane") next.push(`waiting for the bootstrap of ${bootstrapTarget?.name ?? "the first control plane"} (etcd is not running on any control plane)`);
      if (closable) next.push("boot: install is still set: open the pull request that closes its window");
    } else {
      const what = state === "maintenance" ? "in maintenance mode" : state;
      summary = `${what} since ${shortTime(r.phaseSince)}${version}, last report ${shortTime(r.lastSeen)}`;
      if (m.boot === "install" && state === "maintenance") next.push("it booted Talos without its config: check that Matchbox serves it (npm run boot-preview) and that the deploy has run");
      else if (m.boot === "maintenance" && state === "maintenance") {
        next.push(
          m.role
            ? "to install it, set boot: install in a reviewed change (boot-diff shows the disk the install writes)"
            : "to install it, add its role (controlplane or worker) and installDisk or installDiskSelector (docs/discovery.md: read its disks first), then set boot: install in a reviewed change",
        );
      }
      else if (m.boot === "install") next.push("wait: it reports installed after the install finishes");
    }
    if (window?.kind === "commit" && window.tooLong && !closable) {
      next.push(`its window has been open ${window.days} days (longer than matchbox.bootWindowWarnDays, ${warnDays}): its Talos config is served to its MAC until boot: disk is set`);
    }
    return {
      name: m.name,
      role: m.role ?? "",
      mac: m.mac,
      boot: m.boot,
      state,
      since: r === undefined ? null : state === "installed" ? r.installedAt : r.phaseSince,
      lastSeen: r?.lastSeen ?? null,
      address: r?.address ?? null,
      talosVersion: r?.talosVersion ?? null,
      installedAt: r?.installedAt ?? null,
      error: r?.error ?? null,
      etcd: r?.etcd ?? null,
      window,
      closable,
      bootstrapPending,
      summary,
      next: next.length > 0 ? next.join("; ") : null,
    };
  });
  return {
    schema: BOOT_STATUS_REPORT_SCHEMA,
    site: input.site,
    inventoryFile: settings.matchbox.inventoryFile,
    source: input.source,
    generatedAt: status.generatedAt,
    receiverStartedAt: status.receiverStartedAt,
    warnDays,
    bootstrap: { node: bootstrapTarget?.name ?? null, done, needed },
    machines: reports,
    unknown: status.machines.filter((r) => !explained.has(r)),
  };
}

export function formatBootStatus(report: BootStatusReport): string {
  const width = Math.max(0, ...report.machines.map((m) => m.name.length));
  const out = [`boot status from ${report.source} at ${shortTime(report.generatedAt)} (receiver up since ${shortTime(report.receiverStartedAt)})`];
  for (const m of report.machines) out.push(`${m.name.padEnd(width)} ${m.summary}${m.next ? ` — ${m.next}` : ""}`);
  for (const u of report.unknown) {
    out.push(`not in the inventory: ${u.address}${u.mac ? ` (${u.mac})` : ""}${u.machine ? ` calling itself ${u.machine}` : ""}, ${u.phase} since ${shortTime(u.phaseSince)}, last report ${shortTime(u.lastSeen)}`);
  }
  if (report.bootstrap.node === null && !report.bootstrap.done && report.bootstrap.needed) out.push("no control plane in the inventory: nothing can be bootstrapped");
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------
// Sources.

/** Largest status or log read accepted: a receiver's status for hundreds of machines is well below it. */
export const MAX_STATUS_BYTES = 8 * 1024 * 1024;

export interface Reader {
  readonly describe: string;
  read(): Promise<ReceiverStatus>;
}

/**
 * GET /status through `kubectl port-forward svc/<service> :<port>`: kubectl
 * picks a free local port and prints it ("Forwarding from 127.0.0.1:NNNNN ->
 * 4003"); the forward ends when the read is done.
 */
export function portForwardReader(options: { namespace: string; service: string; port: number; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Reader {
  const describe = `the receiver's /status (kubectl port-forward -n ${options.namespace} svc/${options.service})`;
  return {
    describe,
    read: () =>
      new Promise<ReceiverStatus>((resolve, reject) => {
        const timeoutMs = options.timeoutMs ?? 20_000;
        const child = spawn("kubectl", ["port-forward", "-n", options.namespace, `svc/${options.service}`, `:${options.port}`, "--address", "127.0.0.1"], {
          stdio: ["ignore", "pipe", "pipe"],
          env: options.env ?? process.env,
        });
        let stdout = "";
        let stderr = "";
        let settled = false;
        const finish = (err: Error | undefined, value?: ReceiverStatus) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          child.kill();
          if (err) reject(err);
          else resolve(value!);
        };
        const timer = setTimeout(() => finish(new BootStatusError(`kubectl port-forward did not report a local port within ${timeoutMs / 1000} s${stderr ? `; kubectl said: ${stderr.trim()}` : ""}`)), timeoutMs);
        child.on("error", (err: NodeJS.ErrnoException) =>
          finish(new BootStatusError(err.code === "ENOENT" ? "kubectl is not installed (or not on PATH)" : `cannot run kubectl: ${err.message}`)),
        );
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on("exit", (code) => finish(new BootStatusError(`kubectl port-forward exited (status ${code}) before the status was read${stderr ? `; kubectl said: ${stderr.trim()}` : ""}`)));
        child.stdout.on("data", (d: Buffer) => {
          stdout = (stdout + d.toString()).slice(-4000);
          const m = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${options.port}`).exec(stdout);
          if (!m || settled) return;
          stdout = "";
          httpGetJson(Number(m[1]), "/status", timeoutMs).then(
            (json) => {
              try {
                finish(undefined, parseReceiverStatus(json, describe));
              } catch (err) {
                finish(err as Error);
              }
            },
            (err) => finish(err as Error),
          );
        });
      }),
  };
}

function httpGetJson(port: number, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: timeoutMs, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_STATUS_BYTES) {
          req.destroy();
          reject(new BootStatusError(`GET ${path} answered more than ${MAX_STATUS_BYTES} bytes`));
        } else chunks.push(c);
      });
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode !== 200) return reject(new BootStatusError(`GET ${path} answered HTTP ${res.statusCode}: ${body.slice(0, 200).trim()}`));
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new BootStatusError(`GET ${path} did not answer JSON: ${body.slice(0, 200).trim()}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new BootStatusError(`GET ${path} timed out after ${timeoutMs / 1000} s`)));
    req.on("error", (err) => reject(err instanceof BootStatusError ? err : new BootStatusError(`GET ${path} through the port-forward failed: ${err.message}`)));
    req.end();
  });
}

/** The Cloud Logging filter for the receiver's stdout lines. */
/**
 * The receiver's line kinds a Cloud Logging read keeps whole. Of its `log`
 * lines (the kernel log, most of what it writes) only those the receiver
 * marked `changed` (the report changed its machine's state, or opened a
 * connection): every line carries its machine's state after it, so the rest
 * tell a status nothing, and 30 days of them would pass the read's limit.
 */
const LOGGING_KINDS = ["event", "drop", "ready"] as const;

export function loggingFilter(namespace: string, container: string): string {
  const kinds = LOGGING_KINDS.map((k) => `"${k}"`).join(" OR ");
  return `resource.type="k8s_container" AND resource.labels.namespace_name="${namespace}" AND resource.labels.container_name="${container}" AND (jsonPayload.kind=(${kinds}) OR (jsonPayload.kind="log" AND jsonPayload.changed:*))`;
}

/** loggingFilter's rule for one receiver line (its jsonPayload): what a read gets back of it. */
export function keptByLoggingFilter(line: Record<string, unknown>): boolean {
  return (LOGGING_KINDS as readonly unknown[]).includes(line.kind) || (line.kind === "log" && line.changed !== undefined);
}

/**
 * `gcloud logging read` of the receiver's lines over the last `days` days
 * (Cloud Logging keeps _Default 30 days), newest first: when there are more
 * than `limit`, the oldest are the ones not read, and each machine's newest
 * line still carries its current state. `warn` says when that happened.
 */
export function loggingReader(options: { project: string; namespace: string; container: string; days: number; now: Date; env?: NodeJS.ProcessEnv; limit?: number; warn?: (message: string) => void }): Reader {
  const describe = `Cloud Logging (gcloud logging read, project ${options.project}, the last ${options.days} days)`;
  const limit = options.limit ?? 50_000;
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  return {
    describe,
    read: async () => {
      const args = ["logging", "read", loggingFilter(options.namespace, options.container), `--project=${options.project}`, `--freshness=${options.days}d`, "--order=desc", `--limit=${limit}`, "--format=json"];
      let tooLarge = false;
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>((resolve) => {
        const child = spawn("gcloud", args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
        let stdout = "";
        let stderr = "";
        let size = 0;
        child.stdout.on("data", (d: Buffer) => {
          size += d.length;
          if (size > MAX_STATUS_BYTES * 8) {
            tooLarge = true;
            child.kill();
          } else stdout += d.toString();
        });
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
        child.on("error", (error: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, error }));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
      if (run.error) throw new BootStatusError(run.error.code === "ENOENT" ? "gcloud is not installed (or not on PATH)" : `cannot run gcloud: ${run.error.message}`);
      if (tooLarge) throw new BootStatusError(`gcloud logging read printed more than ${MAX_STATUS_BYTES * 8} bytes, the most read; pass --days <n> to read fewer days`);
      if (run.code !== 0) throw new BootStatusError(`gcloud logging read failed (status ${run.code}): ${run.stderr.trim() || "no message"}`);
      let entries: unknown;
      try {
        entries = JSON.parse(run.stdout || "[]");
      } catch {
        throw new BootStatusError(`gcloud logging read did not print JSON: ${run.stdout.slice(0, 200)}`);
      }
      if (Array.isArray(entries) && entries.length >= limit) {
        warn(`Cloud Logging has more than ${limit} of the receiver's lines in the last ${options.days} days; the newest ${limit} were read, so first-seen times and counts may be later and lower than they were (pass --days <n> to read fewer days)`);
      }
      // Oldest first again, so lines of one millisecond keep Cloud Logging's order (its timestamps are finer).
      const oldestFirst = Array.isArray(entries) ? [...entries].reverse() : entries;
      return statusFromLogEntries(oldestFirst, describe, options.now, new Date(options.now.getTime() - options.days * DAY_MS));
    },
  };
}

/**
 * The first reader that answers; when none does, one error naming each
 * source and why it failed, and what would make one work.
 */
export async function readFirst(readers: readonly Reader[]): Promise<{ status: ReceiverStatus; source: string }> {
  const failures: string[] = [];
  for (const reader of readers) {
    try {
      return { status: await reader.read(), source: reader.describe };
    } catch (err) {
      if (!(err instanceof BootStatusError)) throw err;
      failures.push(`  ${reader.describe}: ${err.message}`);
    }
  }
  throw new BootStatusError(
    `cannot read the boot status from any source:\n${failures.join("\n")}\n` +
      "Needs one of: cluster access for kubectl (gcloud container clusters get-credentials <cluster> --dns-endpoint, and a role that may port-forward in the receiver's namespace), " +
      "or Cloud Logging read access (roles/logging.viewer) on the site's project for gcloud.",
  );
}
