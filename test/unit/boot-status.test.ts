import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  BOOT_STATUS_REPORT_SCHEMA,
  bootStatusReport,
  BootStatusError,
  bootstrapNode,
  formatBootStatus,
  loggingFilter,
  loggingReader,
  parseReceiverStatus,
  readFirst,
  RECEIVER,
  statusFromLogEntries,
  windowsOpened,
  type ReceiverStatus,
  type WindowOpened,
} from "../../lib/commands/boot-status";
import { parseInventory, type Machine } from "../../lib/input/inventory";
import { REPO_ROOT } from "../../lib/input/settings";
import { YamlSource } from "../../lib/input/yaml-source";
import { runCommand, startCommand } from "../support/commands";
import { fixtureSiteValue, siteFrom } from "../support/site";

// The tests' own data: an inventory with the example's machine names
// (test/fixtures/boot-status/machines.yaml) and receiver answers for it.
const FIXTURES = join(REPO_ROOT, "test/fixtures/boot-status");
const INVENTORY = "test/fixtures/boot-status/machines.yaml";
const INSTALLED = join(FIXTURES, "example-cp-01-installed.json");
const BOOTSTRAPPED = join(FIXTURES, "example-bootstrapped.json");
const LOGGING = join(FIXTURES, "logging-cp-01-installed.json");
const GCLOUD_STANDIN = join(REPO_ROOT, "test/support/gcloud-logging-standin.js");

const settings = siteFrom((s) => (s.matchbox.inventoryFile = INVENTORY));
const inventoryText = readFileSync(join(REPO_ROOT, INVENTORY), "utf8");
const machines = parseInventory(YamlSource.parse(inventoryText, INVENTORY), settings);
const statusOf = (file: string) => parseReceiverStatus(JSON.parse(readFileSync(file, "utf8")), file);
const NOW = new Date("2026-12-07T11:30:00Z");
const DAY = 24 * 60 * 60 * 1000;
const opened = (daysAgo: number): WindowOpened => ({ kind: "commit", at: new Date(NOW.getTime() - daysAgo * DAY).toISOString(), commit: "c0ffee", truncated: false });
/** Windows as the git history would give them: cp-01 merged 3 days ago, worker-02 9 days ago, the rest today. */
const WINDOWS = new Map<string, WindowOpened>([
  ["cp-01", opened(3)],
  ["cp-02", opened(0.5)],
  ["cp-03", opened(1)],
  ["worker-01", opened(0.2)],
  ["worker-02", opened(9)],
]);
const report = (status: ReceiverStatus, windows = WINDOWS, s = settings) => bootStatusReport({ site: "test/fixtures/site/site.yaml", settings: s, machines, status, source: "a test", windows, now: NOW });
const lineOf = (text: string, name: string) => text.split("\n").find((l) => l.startsWith(`${name} `));

describe("the receiver's status document", () => {
  test("the samples parse", () => {
    const status = statusOf(INSTALLED);
    expect(status.machines).toHaveLength(4);
    expect(status.machines[0]).toMatchObject({ machine: "cp-01", phase: "installed", talosVersion: "v1.13.9", etcd: "not-running" });
  });

  test.each([
    [{ schema: "netboot.boot-status/v2" }, 'schema is "netboot.boot-status/v2", expected "netboot.boot-status/v1"'],
    [[], "not a JSON object"],
    [{ schema: "netboot.boot-status/v1", generatedAt: "yesterday", receiverStartedAt: "2026-12-07T09:00:00Z", machines: [] }, 'generatedAt is not an ISO 8601 time: "yesterday"'],
    [{ schema: "netboot.boot-status/v1", generatedAt: "2026-12-07T09:00:00Z", receiverStartedAt: "2026-12-07T09:00:00Z", machines: {} }, "machines is not a list"],
  ])("a wrong document is refused, saying what is wrong: %j", (doc, message) => {
    expect(() => parseReceiverStatus(doc, "GET /status")).toThrow(new BootStatusError(`GET /status: not a boot status the receiver writes (netboot.boot-status/v1): ${message}`));
  });

  test("an entry with an unknown phase or etcd state, or a negative count, is refused with its index", () => {
    const base = JSON.parse(readFileSync(INSTALLED, "utf8"));
    const bad = (edit: (m: Record<string, unknown>) => void) => {
      const doc = structuredClone(base);
      edit(doc.machines[1]);
      return () => parseReceiverStatus(doc, "s");
    };
    expect(bad((m) => (m.phase = "exploded"))).toThrow(/machines\[1\]\.phase is "exploded"; allowed: booting, maintenance, installing, installed, running, failed/);
    expect(bad((m) => (m.etcd = "maybe"))).toThrow(/machines\[1\]\.etcd is "maybe"/);
    expect(bad((m) => (m.events = -1))).toThrow(/machines\[1\]\.events is not a count/);
    expect(bad((m) => (m.lastSeen = 12))).toThrow(/machines\[1\]\.lastSeen is not an ISO 8601 time: 12/);
  });

  test("fields the receiver adds later are ignored, not refused", () => {
    const doc = JSON.parse(readFileSync(INSTALLED, "utf8"));
    doc.extra = 1;
    doc.machines[0].hardware = { model: "ProLiant DL360 Gen9" };
    expect(parseReceiverStatus(doc, "s").machines[0].machine).toBe("cp-01");
  });
});

describe("boot-status: each machine's state and what to do next", () => {
  const text = formatBootStatus(report(statusOf(INSTALLED)));

  test("installed and still on boot: install: the closing pull request is next, and on the first control plane the bootstrap", () => {
    expect(lineOf(text, "cp-01")).toBe(
      "cp-01      installed 2026-12-07T10:12Z (v1.13.9) — bootstrap pending: etcd is not running yet on any control plane; run npm run cluster-bootstrap once (docs/machine-lifecycle.md, \"Bootstrap\"); boot: install is still set: open the pull request that closes its window",
    );
    const cp01 = report(statusOf(INSTALLED)).machines.find((m) => m.name === "cp-01")!;
    expect(cp01).toMatchObject({ state: "installed", closable: true, bootstrapPending: true, installedAt: "2026-12-07T10:12:07Z", talosVersion: "v1.13.9" });
  });

  test("never seen: how long ago its window opened, and what to check", () => {
    expect(lineOf(text, "worker-02")).toMatch(/^worker-02  never seen since the window opened 9 days ago \(the receiver only remembers since 2026-12-04T08:00Z; earlier reports are in Cloud Logging: --source logging\) — PXE-boot it .*; its window has been open 9 days \(longer than matchbox\.bootWindowWarnDays, 7\)/);
    expect(lineOf(text, "cp-03")).toMatch(/^cp-03      never seen since the window opened 1 day ago — PXE-boot it/);
  });

  test("installing, found by its MAC from a DHCP address", () => {
    expect(lineOf(text, "cp-02")).toBe("cp-02      installing since 2026-12-07T11:24Z (v1.13.9), last report 2026-12-07T11:29Z — wait: it reports installed after the install finishes");
  });

  test("failed, found by its static address: the error Talos reported", () => {
    expect(lineOf(text, "worker-01")).toBe(
      "worker-01  failed 2026-12-07T10:47Z (v1.13.9): install: failed to find disk /dev/sda: no such device — fix what the error names, then PXE-boot it again (the window stays open until it reports installed)",
    );
    expect(report(statusOf(INSTALLED)).machines.find((m) => m.name === "worker-01")!.closable).toBe(false);
  });

  test("a closed window (boot: disk) is not a problem, and reports no window", () => {
    expect(lineOf(text, "storage-01")).toBe("storage-01 boot: disk, no reports since 2026-12-04T08:00Z");
    expect(report(statusOf(INSTALLED)).machines.find((m) => m.name === "storage-01")).toMatchObject({ window: null, closable: false, next: null });
  });

  test("a machine the inventory does not explain is listed, not matched to anyone", () => {
    expect(text).toContain("not in the inventory: 10.0.20.99 (02:00:00:00:99:01), maintenance since 2026-12-07T11:00Z, last report 2026-12-07T11:05Z");
    expect(report(statusOf(INSTALLED)).unknown.map((u) => u.address)).toEqual(["10.0.20.99"]);
  });

  test("maintenance while boot: install says the config was not served", () => {
    const doc = JSON.parse(readFileSync(INSTALLED, "utf8"));
    doc.machines[1].phase = "maintenance";
    const line = lineOf(formatBootStatus(report(parseReceiverStatus(doc, "s"))), "cp-02");
    expect(line).toMatch(/^cp-02      in maintenance mode since .* — it booted Talos without its config: check that Matchbox serves it/);
  });

  test("a discovered machine accepted with boot: maintenance: what installing it takes, with or without its role", () => {
    const doc = JSON.parse(readFileSync(INSTALLED, "utf8"));
    doc.machines[1].phase = "maintenance";
    const cp02 = machines.find((m) => m.name === "cp-02")!;
    const accepted = (role: Machine["role"]) => machines.map((m) => (m === cp02 ? { ...m, boot: "maintenance" as const, role } : m));
    const lineFor = (role: Machine["role"]) =>
      lineOf(formatBootStatus(bootStatusReport({ site: "s", settings, machines: accepted(role), status: parseReceiverStatus(doc, "s"), source: "a test", windows: WINDOWS, now: NOW })), "cp-02");
    expect(lineFor(undefined)).toMatch(/^cp-02 +in maintenance mode since .* — to install it, add its role \(controlplane or worker\) and installDisk or installDiskSelector \(docs\/discovery\.md: read its disks first\), then set boot: install in a reviewed change$/);
    expect(lineFor("worker")).toMatch(/ — to install it, set boot: install in a reviewed change \(boot-diff shows the disk the install writes\)$/);
  });

  test("once etcd runs on a control plane, no bootstrap is pending anywhere; a running machine still on install is closable", () => {
    const r = report(statusOf(BOOTSTRAPPED));
    expect(r.bootstrap).toEqual({ node: "cp-01", done: true, needed: false });
    expect(r.machines.every((m) => !m.bootstrapPending)).toBe(true);
    const line = lineOf(formatBootStatus(r), "cp-01");
    expect(line).toBe("cp-01      running, installed 2026-12-07T10:12Z (v1.13.9) — boot: install is still set: open the pull request that closes its window");
  });

  test("other installed control planes wait for the bootstrap node, not bootstrap themselves", () => {
    const doc = JSON.parse(readFileSync(INSTALLED, "utf8"));
    Object.assign(doc.machines[1], { phase: "installed", installedAt: "2026-12-07T11:28:00Z" });
    const r = report(parseReceiverStatus(doc, "s"));
    expect(r.machines.filter((m) => m.bootstrapPending).map((m) => m.name)).toEqual(["cp-01"]);
    expect(lineOf(formatBootStatus(r), "cp-02")).toContain("waiting for the bootstrap of cp-01 (etcd is not running on any control plane)");
  });

  test("a cluster that already exists (talos.cluster.existing) is never bootstrapped", () => {
    const existing = siteFrom((s) => {
      s.matchbox.inventoryFile = INVENTORY;
      s.talos.cluster.existing = true;
      s.talos.cluster.secretsFile = "/home/you/netboot-talos/secrets.yaml";
    });
    const r = report(statusOf(INSTALLED), WINDOWS, existing);
    expect(r.bootstrap).toEqual({ node: null, done: false, needed: false });
    expect(lineOf(formatBootStatus(r), "cp-01")).not.toContain("bootstrap");
  });

  test("the warning threshold is the site's matchbox.bootWindowWarnDays", () => {
    const strict = siteFrom((s) => {
      s.matchbox.inventoryFile = INVENTORY;
      s.matchbox.bootWindowWarnDays = 1;
    });
    const r = report(statusOf(INSTALLED), WINDOWS, strict);
    expect(r.warnDays).toBe(1);
    expect(r.machines.filter((m) => m.window && "tooLong" in m.window && m.window.tooLong).map((m) => m.name)).toEqual(["cp-01", "worker-02"]);
    expect(settings.matchbox.bootWindowWarnDays).toBe(7);
    expect(() => siteFrom((s) => (s.matchbox.bootWindowWarnDays = 0))).toThrow(/matchbox\.bootWindowWarnDays/);
  });

  test("the receiver restarted after the window opened: the line says its memory is short and where the rest is", () => {
    const doc = JSON.parse(readFileSync(INSTALLED, "utf8"));
    doc.receiverStartedAt = "2026-12-07T11:00:00Z";
    expect(lineOf(formatBootStatus(report(parseReceiverStatus(doc, "s"))), "worker-02")).toContain(
      "(the receiver only remembers since 2026-12-07T11:00Z; earlier reports are in Cloud Logging: --source logging)",
    );
  });

  test("--json's report carries every machine with its state and window", () => {
    const r = report(statusOf(INSTALLED));
    expect(r.schema).toBe(BOOT_STATUS_REPORT_SCHEMA);
    expect(r.machines.map((m) => [m.name, m.state])).toEqual([
      ["cp-01", "installed"],
      ["cp-02", "installing"],
      ["cp-03", "never-seen"],
      ["worker-01", "failed"],
      ["worker-02", "never-seen"],
      ["storage-01", "never-seen"],
    ]);
    expect(r.machines[0].window).toMatchObject({ kind: "commit", days: 3, tooLong: false });
  });
});

test("the bootstrap node: the control plane at the cluster endpoint's address, else the first control plane", () => {
  expect(bootstrapNode(machines, "https://10.0.20.11:6443")?.name).toBe("cp-02");
  expect(bootstrapNode(machines, "https://cluster.home.example:6443")?.name).toBe("cp-01");
  expect(bootstrapNode(machines.filter((m) => m.role === "worker"), "https://10.0.20.11:6443")).toBeUndefined();
});

describe("Cloud Logging's copy of the receiver's lines", () => {
  const entries = JSON.parse(readFileSync(LOGGING, "utf8"));

  test("rebuilds the same state as /status: cp-01 installed, with its time, version and MAC; boot-status reads it as installed", () => {
    const status = statusFromLogEntries(entries, "logs", NOW, new Date("2026-11-07T11:30:00Z"));
    const cp01 = status.machines.find((m) => m.machine === "cp-01")!;
    expect(cp01).toMatchObject({ mac: "aa:bb:cc:dd:ee:01", phase: "installed", phaseSince: "2026-12-07T10:12:07Z", installedAt: "2026-12-07T10:12:07Z", talosVersion: "v1.13.9", etcd: "not-running", events: 3, logLines: 1 });
    // The drop line had no machine: it is keyed by its source address, and matched to cp-01 by its static address.
    expect(status.machines.find((m) => m.machine === null)).toMatchObject({ address: "10.0.20.10", dropped: 1 });
    const r = report(status);
    expect(r.machines[0]).toMatchObject({ name: "cp-01", state: "installed", closable: true });
    expect(r.unknown).toEqual([]);
  });

  test("lines out of order are applied by their time; a non-list answer is refused", () => {
    const status = statusFromLogEntries([...entries].reverse(), "logs", NOW, NOW);
    expect(status.machines.find((m) => m.machine === "cp-01")?.phase).toBe("installed");
    expect(() => statusFromLogEntries({ entries: [] }, "logs", NOW, NOW)).toThrow("logs: expected a JSON list of log entries, got object");
  });
});

describe("when each window opened: the inventory's git history", () => {
  function repository() {
    const dir = mkdtempSync(join(tmpdir(), "netboot-windows-"));
    const git = (env: Record<string, string>, ...args: string[]) => {
      const run = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } });
      if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
    };
    git({}, "init", "-q");
    const commit = (machinesValue: Record<string, unknown>[], at: string) => {
      mkdirSync(join(dir, "inv"), { recursive: true });
      writeFileSync(join(dir, "inv/machines.yaml"), stringify({ machines: machinesValue }));
      git({ GIT_COMMITTER_DATE: at, GIT_AUTHOR_DATE: "2000-01-01T00:00:00Z" }, "add", "-A");
      git({ GIT_COMMITTER_DATE: at, GIT_AUTHOR_DATE: "2000-01-01T00:00:00Z" }, "commit", "-qm", at);
    };
    return { dir, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  test("the commit that added it, or set it back to install; a later unrelated commit does not move it; committer time, not author time", () => {
    const repo = repository();
    try {
      repo.commit([{ name: "a" }, { name: "b", boot: "disk" }], "2026-12-01T10:00:00Z");
      repo.commit([{ name: "a" }, { name: "b", boot: "disk" }, { name: "c", boot: "maintenance" }], "2026-12-02T10:00:00Z");
      repo.commit([{ name: "a", boot: "disk" }, { name: "b", boot: "install" }, { name: "c", boot: "maintenance" }], "2026-12-03T10:00:00Z");
      repo.commit([{ name: "a" }, { name: "b", boot: "install" }, { name: "c", boot: "maintenance" }, { name: "d" }], "2026-12-04T10:00:00Z");
      const working = stringify({ machines: [{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }, { name: "e" }] });
      const w = windowsOpened(repo.dir, "inv/machines.yaml", working, ["a", "b", "c", "d", "e"]);
      // a: install, disk, then install again on the 4th.
      expect(w.get("a")).toMatchObject({ kind: "commit", at: "2026-12-04T10:00:00.000Z" });
      expect(w.get("b")).toMatchObject({ kind: "commit", at: "2026-12-03T10:00:00.000Z" });
      // c is install only in the working tree, as is e.
      expect(w.get("c")).toEqual({ kind: "uncommitted" });
      expect(w.get("d")).toMatchObject({ kind: "commit", at: "2026-12-04T10:00:00.000Z" });
      expect(w.get("e")).toEqual({ kind: "uncommitted" });
    } finally {
      repo.cleanup();
    }
  });

  test("outside a git repository every window is unknown, with git's reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-nogit-"));
    try {
      const w = windowsOpened(dir, "machines.yaml", stringify({ machines: [{ name: "a" }] }), ["a"]);
      expect(w.get("a")).toMatchObject({ kind: "unknown", why: expect.stringMatching(/^git log failed: fatal: not a git repository/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run boot-status (the bundle, with stand-ins for kubectl and gcloud on PATH)", () => {
  const BASH = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
  /** A PATH holding only the given stand-ins (and git, which the window lookup needs). */
  function fakePath(tools: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "netboot-fake-path-"));
    for (const [name, script] of Object.entries(tools)) {
      writeFileSync(join(dir, name), `#!${BASH}\n${script}\n`);
      chmodSync(join(dir, name), 0o755);
    }
    const git = spawnSync(BASH, ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(dir, "git"), `#!/bin/sh\nexec ${git} "$@"\n`);
    chmodSync(join(dir, "git"), 0o755);
    return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  // The fixture site reading this directory's inventory, written outside the repository (its paths are the repository's).
  const site = join(mkdtempSync(join(tmpdir(), "netboot-boot-status-site-")), "site.yaml");
  const siteValue = fixtureSiteValue();
  siteValue.matchbox.inventoryFile = INVENTORY;
  writeFileSync(site, stringify(siteValue));
  const env = (path: string, extra: Record<string, string> = {}) => ({ PATH: path, SITE_CONFIG: site, ...extra });
  const node = process.execPath;
  /** kubectl port-forward as kubectl does it: picks a local port, says so on stdout, forwards until killed; serves $FAKE_STATUS at /status. */
  const kubectl = `echo "$*" >> "$FAKE_CALLS"
exec ${node} -e '
const http = require("http"), fs = require("fs");
const s = http.createServer((q, r) => { if (q.url !== "/status") { r.statusCode = 404; return r.end(); } r.setHeader("content-type", "application/json"); r.end(fs.readFileSync(process.env.FAKE_STATUS)); });
s.listen(0, "127.0.0.1", () => console.log("Forwarding from 127.0.0.1:" + s.address().port + " -> 4003"));
setTimeout(() => process.exit(0), 20000);'`;

  test("reads /status through kubectl port-forward of the receiver's Service and prints each machine", async () => {
    const calls = join(mkdtempSync(join(tmpdir(), "netboot-calls-")), "calls");
    const path = fakePath({ kubectl });
    try {
      const r = await startCommand("boot-status", ["--now", "2026-12-07T11:30:00Z"], { env: env(path.dir, { FAKE_STATUS: INSTALLED, FAKE_CALLS: calls }) });
      expect(r.stderr).toBe(`site: ${site}\n`);
      expect(r.status).toBe(0);
      expect(readFileSync(calls, "utf8")).toBe(`port-forward -n ${RECEIVER.namespace} svc/${RECEIVER.service} :${RECEIVER.statusPort} --address 127.0.0.1\n`);
      expect(r.stdout.split("\n")[0]).toBe(`boot status from the receiver's /status (kubectl port-forward -n ${RECEIVER.namespace} svc/${RECEIVER.service}) at 2026-12-07T11:30Z (receiver up since 2026-12-04T08:00Z)`);
      expect(lineOf(r.stdout, "cp-01")).toMatch(/^cp-01 +installed 2026-12-07T10:12Z \(v1\.13\.9\) — bootstrap pending: .*; boot: install is still set: open the pull request that closes its window$/);
      expect(lineOf(r.stdout, "worker-01")).toContain("failed 2026-12-07T10:47Z (v1.13.9): install: failed to find disk /dev/sda");
    } finally {
      path.cleanup();
    }
  });

  test("--json: the report, cp-01 installed and closable", () => {
    const r = runCommand("boot-status", ["--json", "--status-file", INSTALLED, "--now", "2026-12-07T11:30:00Z"], { env: env(process.env.PATH!) });
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.schema).toBe(BOOT_STATUS_REPORT_SCHEMA);
    expect(json.machines[0]).toMatchObject({ name: "cp-01", state: "installed", closable: true, bootstrapPending: true, talosVersion: "v1.13.9", installedAt: "2026-12-07T10:12:07Z" });
    // The window comes from this repository's history of the fixture inventory (or is uncommitted in a fresh edit).
    expect(["commit", "uncommitted"]).toContain(json.machines[0].window.kind);
  });

  test("falls back to Cloud Logging when kubectl cannot reach the cluster, with the site's project", () => {
    const calls = join(mkdtempSync(join(tmpdir(), "netboot-calls-")), "calls");
    const path = fakePath({
      kubectl: 'echo "error: You must be logged in to the server (Unauthorized)" >&2; exit 1',
      gcloud: `exec ${node} ${GCLOUD_STANDIN} "$@"`,
    });
    try {
      const r = runCommand("boot-status", ["--now", "2026-12-07T11:30:00Z"], { env: env(path.dir, { FAKE_LOGS: LOGGING, FAKE_CALLS: calls }) });
      expect(r.stderr).toBe(`site: ${site}\n`);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^boot status from Cloud Logging \(gcloud logging read, project netboot-fixture-000001, the last 30 days\)/);
      expect(lineOf(r.stdout, "cp-01")).toMatch(/^cp-01 +installed 2026-12-07T10:12Z \(v1\.13\.9\)/);
      const args = readFileSync(calls, "utf8").split("\n");
      expect(args.slice(0, 2)).toEqual(["logging", "read"]);
      expect(args[2]).toBe(loggingFilter(RECEIVER.namespace, RECEIVER.container));
      expect(args).toEqual(expect.arrayContaining(["--project=netboot-fixture-000001", "--freshness=30d", "--order=desc", "--limit=50000", "--format=json"]));
    } finally {
      path.cleanup();
    }
  });

  test("neither reachable: one error naming each source, why it failed, and what would make one work; exit 1", () => {
    const path = fakePath({ gcloud: 'echo "ERROR: (gcloud.logging.read) You do not currently have an active account selected." >&2; exit 1' });
    try {
      const r = runCommand("boot-status", [], { env: env(path.dir) });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("error: cannot read the boot status from any source:\n");
      expect(r.stderr).toContain(`  the receiver's /status (kubectl port-forward -n ${RECEIVER.namespace} svc/${RECEIVER.service}): kubectl is not installed (or not on PATH)\n`);
      expect(r.stderr).toContain("gcloud logging read failed (status 1): ERROR: (gcloud.logging.read) You do not currently have an active account selected.");
      expect(r.stderr).toContain("roles/logging.viewer");
    } finally {
      path.cleanup();
    }
  });

  test("usage mistakes exit 2 and name the flag", () => {
    const r = runCommand("boot-status", ["--source", "carrier-pigeon"], { env: env(process.env.PATH!) });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: --source carrier-pigeon: allowed: auto, port-forward, logging");
    const bad = runCommand("boot-status", ["--status-file", join(FIXTURES, "README.md")], { env: env(process.env.PATH!) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("is not JSON");
  });
});

test("readFirst passes on an unexpected exception instead of calling it unreachable", async () => {
  await expect(readFirst([{ describe: "x", read: async () => Promise.reject(new TypeError("bug")) }])).rejects.toThrow(TypeError);
});

test("boot-status looks for the receiver in the boot-server stack's Matchbox namespace", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(RECEIVER.namespace).toBe(require("../../stacks/boot-server-stack").MATCHBOX_NAMESPACE);
});

// The receiver's constants, once its construct exists, must be the ones boot-status dials.
const RECEIVER_MODULE = join(REPO_ROOT, "constructs/boot-report-receiver/index.ts");
(existsSync(RECEIVER_MODULE) ? test : test.skip)(
  existsSync(RECEIVER_MODULE) ? "boot-status dials the receiver's status port" : "SKIPPED: constructs/boot-report-receiver does not exist in this tree yet, so its port is not compared",
  () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ports = require(RECEIVER_MODULE).BOOT_REPORT_PORTS as { status: number };
    expect(ports.status).toBe(RECEIVER.statusPort);
  },
);

describe("the Cloud Logging read (loggingReader) through the gcloud stand-in", () => {
  const dir = mkdtempSync(join(tmpdir(), "netboot-gcloud-"));
  writeFileSync(join(dir, "gcloud"), `#!/bin/sh\nexec ${process.execPath} ${GCLOUD_STANDIN} "$@"\n`);
  chmodSync(join(dir, "gcloud"), 0o755);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (limit: number, warnings: string[]) =>
    loggingReader({ project: "p", namespace: RECEIVER.namespace, container: RECEIVER.container, days: 30, now: new Date("2026-12-07T11:30:00Z"), limit, warn: (w) => warnings.push(w), env: { PATH: `${dir}:${process.env.PATH}`, FAKE_LOGS: LOGGING } }).read();

  test("all lines within the limit: cp-01 installed, no warning", async () => {
    const warnings: string[] = [];
    const status = await read(50_000, warnings);
    expect(status.machines.find((m) => m.machine === "cp-01")).toMatchObject({ phase: "installed", installedAt: "2026-12-07T10:12:07Z", talosVersion: "v1.13.9" });
    expect(warnings).toEqual([]);
  });

  test("more lines than the limit: the newest are read (the machine's current state), and it says so", async () => {
    const warnings: string[] = [];
    const status = await read(2, warnings);
    const cp01 = status.machines.find((m) => m.machine === "cp-01");
    expect(cp01).toMatchObject({ phase: "installed", installedAt: "2026-12-07T10:12:07Z" });
    expect(warnings).toEqual([expect.stringMatching(/^Cloud Logging has more than 2 of the receiver's lines in the last 30 days; the newest 2 were read/)]);
  });
});
