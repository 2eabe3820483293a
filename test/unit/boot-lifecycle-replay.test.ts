/**
 * Issue 22's "done when", end to end on this machine: cp-01's install as Talos
 * reports it (the protoc-encoded events and kernel log lines of
 * test/fixtures/boot-reports/) is replayed into the real receiver script; what
 * the receiver serves on /status, and what it wrote to stdout as Cloud Logging
 * keeps it, both reach boot-status as "installed"; and the closing pull
 * request the workflow's script writes from that report shows
 * `~ cp-01  boot: install → disk` in boot-diff.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootDiff, formatBootDiffMarkdown } from "../../lib/commands/boot-diff";
import { bootStatusReport, formatBootStatus, keptByLoggingFilter, loggingFilter, parseReceiverStatus, RECEIVER, statusFromLogEntries, type ReceiverStatus } from "../../lib/commands/boot-status";
import { parseKernelHardware } from "../../lib/input/discovery-reports";
import { parseInventory } from "../../lib/input/inventory";
import { REPO_ROOT } from "../../lib/input/settings";
import { YamlSource } from "../../lib/input/yaml-source";
import { BOOT_REPORT_FIXTURES, eventFixture, eventually, fetchStatus, logFixture, publishAll, sendLogLines, startReceiver, type RunningReceiver } from "../support/boot-reports";
import { inventoryRepository } from "../support/inventory-repository";
import { siteFrom } from "../support/site";

jest.setTimeout(30_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseFilter } = require("../support/gcloud-logging-standin.js") as { parseFilter(filter: string): (entry: unknown) => boolean };

const INVENTORY_TEXT = readFileSync(join(REPO_ROOT, "test/fixtures/boot-status/machines.yaml"), "utf8");
const CLOSE_SCRIPT = join(REPO_ROOT, ".github/scripts/close-boot-windows.js");

/**
 * The receiver's stdout lines as Cloud Logging stores them (LogEntry objects
 * of the receiver container) and as boot-status's read gets them back: through
 * the gcloud stand-in's evaluation of the read's own filter.
 */
function loggedAndRead(lines: readonly Record<string, unknown>[]): { jsonPayload: Record<string, unknown> }[] {
  const keep = parseFilter(loggingFilter(RECEIVER.namespace, RECEIVER.container));
  const stored = lines.map((jsonPayload) => ({ resource: { type: "k8s_container", labels: { namespace_name: RECEIVER.namespace, container_name: RECEIVER.container } }, jsonPayload }));
  const read = stored.filter(keep);
  // The one rule in two forms: the filter string Cloud Logging gets, the predicate for a line.
  for (const e of stored) expect({ line: e.jsonPayload, kept: keptByLoggingFilter(e.jsonPayload) }).toEqual({ line: e.jsonPayload, kept: keep(e) });
  return read;
}

function reportOf(status: ReceiverStatus) {
  const settings = siteFrom((s) => (s.matchbox.inventoryFile = "inventory/machines.yaml"));
  const machines = parseInventory(YamlSource.parse(INVENTORY_TEXT, "inventory/machines.yaml"), settings);
  return bootStatusReport({ site: "site.yaml", settings, machines, status, source: "replay", windows: new Map(), now: new Date() });
}

describe("cp-01's install replayed into the receiver, read by boot-status, closed by the workflow's pull request", () => {
  let receiver: RunningReceiver;
  beforeAll(async () => {
    receiver = await startReceiver({ REPORT_INVENTORY: join(BOOT_REPORT_FIXTURES, "inventory.json") });
    const answers = await publishAll(receiver.ports.events, eventFixture("install-cp-01"));
    expect(answers.every((a) => a.grpcStatus === "0")).toBe(true);
    await sendLogLines(receiver.ports.logs, `${logFixture("install-cp-01").join("\n")}\n`);
    await eventually("the receiver counted cp-01's log lines", () => fetchStatus(receiver.ports.status), (s) => s.machines.some((m) => m.machine === "cp-01" && m.logLines > 0));
  });
  afterAll(() => receiver.stop());

  test("from the receiver's /status: boot-status says installed, with the Talos version, and that the window is still open", async () => {
    const report = reportOf(parseReceiverStatus(await fetchStatus(receiver.ports.status), "/status"));
    const cp01 = report.machines.find((m) => m.name === "cp-01")!;
    expect(cp01).toMatchObject({ state: "installed", talosVersion: "v1.13.9", boot: "install" });
    expect(Date.parse(cp01.installedAt!)).not.toBeNaN();
    expect(formatBootStatus(report)).toMatch(/^cp-01 +installed \S+ \(v1\.13\.9\) — .*boot: install is still set: open the pull request that closes its window$/m);
  });

  test("from the receiver's stdout lines as the Cloud Logging read returns them (its filter applied): the same state as /status", async () => {
    const entries = loggedAndRead(receiver.lines);
    // Most kernel log lines are left out; the ones that named the machine's MAC, version or hostname are not.
    expect(entries.length).toBeLessThan(receiver.lines.length);
    const fromLogs = reportOf(statusFromLogEntries(entries, "replayed stdout", new Date(), new Date(0)));
    const fromStatus = reportOf(parseReceiverStatus(await fetchStatus(receiver.ports.status), "/status"));
    const pick = (r: typeof fromLogs) => r.machines.find((m) => m.name === "cp-01")!;
    expect(pick(fromLogs)).toMatchObject({ state: "installed", talosVersion: "v1.13.9", mac: "aa:bb:cc:dd:ee:01" });
    expect(pick(fromLogs).installedAt).toBe(pick(fromStatus).installedAt);
    // Nothing else in the inventory was seen, and nothing unknown was made up.
    expect(fromLogs.machines.filter((m) => m.state !== "never-seen").map((m) => m.name)).toEqual(["cp-01"]);
    expect(fromLogs.unknown).toEqual([]);
  });

  test("the closing pull request from that report: boot-diff shows ~ cp-01  boot: install → disk and nothing else closes", async () => {
    const repo = inventoryRepository(INVENTORY_TEXT);
    try {
      writeFileSync(repo.report, JSON.stringify(reportOf(parseReceiverStatus(await fetchStatus(receiver.ports.status), "/status"))));
      const edit = spawnSync(process.execPath, [CLOSE_SCRIPT, "edit", "inventory/machines.yaml", repo.report], { cwd: repo.dir, encoding: "utf8" });
      expect(edit.stderr).toBe("");
      expect(edit.stdout).toBe("cp-01\n");

      const markdown = formatBootDiffMarkdown(bootDiff({ repoRoot: repo.dir, siteFile: join(repo.dir, "site.yaml"), base: "HEAD" }));
      expect(markdown).toContain("~ cp-01  boot: install → disk\n");
      expect(markdown).not.toMatch(/~ (cp-02|cp-03|worker-0\d)\b/);
    } finally {
      repo.cleanup();
    }
  });
});

describe("a machine in no inventory, in maintenance mode (discovery), replayed into the receiver and read from its lines", () => {
  let receiver: RunningReceiver;
  beforeAll(async () => {
    receiver = await startReceiver({ REPORT_INVENTORY: join(BOOT_REPORT_FIXTURES, "inventory.json") });
    // Its events first, then its kernel log (two connections), as Talos sends them once the network is up.
    await publishAll(receiver.ports.events, eventFixture("maintenance-unknown"));
    await sendLogLines(receiver.ports.logs, `${logFixture("maintenance-unknown").join("\n")}\n`);
    await eventually("the receiver merged the machine's events and logs", () => fetchStatus(receiver.ports.status), (s) => s.machines.some((m) => m.mac === "52:54:00:0a:bc:de" && m.events > 0 && m.logLines > 0));
  });
  afterAll(() => receiver.stop());

  test("Cloud Logging's lines, as its read returns them, give one entry, as /status does: its MAC from the kernel's command line, its address and phase", async () => {
    const read = loggedAndRead(receiver.lines);
    const fromLogs = statusFromLogEntries(read, "replayed stdout", new Date(), new Date(0));
    const live = (await fetchStatus(receiver.ports.status)).machines.filter((m) => m.machine === null);
    expect(live).toHaveLength(1);
    expect(live[0].address).toBe("10.0.20.77");
    // Every event is read; of the log lines, those that changed the machine's state.
    const logsRead = read.filter((e) => e.jsonPayload.kind === "log").length;
    expect(logsRead).toBeGreaterThan(0);
    expect(fromLogs.machines).toEqual([expect.objectContaining({ machine: null, mac: "52:54:00:0a:bc:de", address: live[0].address, phase: "maintenance", talosVersion: "v1.13.9", events: live[0].events, logLines: logsRead })]);
    // The hardware its kernel log named reaches the logging path whole (the lines that changed it carry it).
    expect(fromLogs.machines[0].hardware).toEqual(parseKernelHardware(live[0].hardware));
    expect(fromLogs.machines[0].hardware?.disks.map((d) => d.model)).toEqual(["HP LOGICAL VOLUME"]);
  });

  test("the receiver marks exactly the log lines that change its machine's state: a line repeated changes nothing", async () => {
    const before = receiver.lines.length;
    const bootLine = logFixture("maintenance-unknown").find((l) => l.includes("booting Talos"))!;
    await sendLogLines(receiver.ports.logs, `${bootLine}\n${bootLine}\n`);
    const added = await eventually("two more lines", async () => receiver.lines.slice(before), (l) => l.length >= 2);
    // A new connection's first line opens it; the same report again tells nothing new.
    expect(added.map((l) => l.changed)).toEqual(["connection", undefined]);
  });
});
