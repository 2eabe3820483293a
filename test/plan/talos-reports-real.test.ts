/**
 * A real Talos VM reports to the real boot-report receiver: `talosctl cluster
 * create dev` (QEMU, Talos's released kernel and initramfs for the site's
 * version, verified against the release's sha256sum.txt by the workflow) boots
 * one control plane with netboot's report arguments on its kernel command line
 * (`--extra-boot-kernel-args`, talosctl v1.13.9 cmd/talosctl/cmd/mgmt/cluster/create/cmd_dev.go),
 * pointing at the receiver on the QEMU bridge's host address; the receiver's
 * /status must then show a machine with events and kernel log lines, the
 * Talos version, an installed or running phase, and nothing dropped; and the
 * MAC of the maintenance profile's `netboot.mac=` (here a literal: no iPXE
 * expands it), which the receiver can only have read from the kernel's
 * "Kernel command line:" as Talos's kmsg delivery sent it.
 *
 *
 * A second VM boots without a config (`--skip-injecting-config`: maintenance
 * mode, as discovery's catch-all boots an unknown server) on its own network;
 * the real talosctl reads its facts from the maintenance API without
 * credentials (`talosctl get … --insecure`), and `npm run discovered` must
 * turn the receiver's status and those facts into one proposed entry: the
 * one run of discovery against real talosctl output.
 *
 * Needs KVM, root (talosctl's QEMU provisioner) and the Talos release assets,
 * so it runs in the GitHub Actions job `talos-reports-real`
 * (TALOS_REPORTS_REAL=1, with TALOSCTL, TALOS_VMLINUZ, TALOS_INITRAMFS);
 * elsewhere it is skipped visibly.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoveredCommand } from "../../lib/commands/discovered";
import type { DiscoveredMachine } from "../../lib/model/discovery/entries";
import { FIXTURE_SITE_FILE } from "../support/site";
import { BOOT_REPORT_MAC_ARG, BOOT_REPORT_PORTS } from "../../lib/model/boot-reports";
import { eventually, fetchStatus, startReceiver, type RunningReceiver } from "../support/boot-reports";

const ENABLED = (() => {
  const v = process.env.TALOS_REPORTS_REAL;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
})();
const TITLE = "a Talos VM (talosctl cluster create dev, QEMU) reports events and its kernel log to the real receiver, which shows it installed or running";
const MINUTE = 60_000;
/** talosctl's default cluster network (cmd.go networkCIDRFlagName default 10.5.0.0/24); the host is its first address. */
const HOST = "10.5.0.1";
const CLUSTER = "netboot-reports";
/** What iPXE would have written for ${mac:hexhyp} (BOOT_REPORT_MAC_ARG); no VM has this MAC. */
const REPORTED_MAC = "02-6e-62-7e-57-01";
/** The maintenance-mode VM: its own cluster network (talosctl's --cidr), host address and MAC. */
const DISCOVER = { cluster: "netboot-discover", cidr: "10.6.0.0/24", host: "10.6.0.1", mac: "02-6e-62-7e-57-02" };
const DISCOVER_TITLE = "a Talos VM without a config (maintenance mode) reports its MAC, and discovered turns the real talosctl facts of its maintenance API into one proposed entry";

if (!ENABLED) {
  test.skip(`SKIPPED: needs KVM, root, talosctl and Talos's kernel and initramfs; runs in the GitHub Actions job talos-reports-real (TALOS_REPORTS_REAL=1) — ${TITLE}`, () => {});
  test.skip(`SKIPPED: needs KVM, root, talosctl and Talos's kernel and initramfs; runs in the GitHub Actions job talos-reports-real (TALOS_REPORTS_REAL=1) — ${DISCOVER_TITLE}`, () => {});
} else {
  let receiver: RunningReceiver;
  const talosctl = process.env.TALOSCTL ?? "talosctl";
  // talosctl writes the configs it generates to its working directory: never the repository's.
  const workDir = mkdtempSync(join(tmpdir(), "netboot-talosctl-"));
  const sudo = (args: string[], timeout = 15 * MINUTE) => spawnSync("sudo", ["-E", talosctl, ...args], { cwd: workDir, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
  /**
   * One control plane from the release's kernel and initramfs, reporting to the receiver at `host`
   * (the cluster network's first address) with netboot's report arguments and `mac` as netboot.mac=.
   */
  const createCluster = (name: string, host: string, mac: string, extra: string[]) => {
    for (const v of ["TALOS_VMLINUZ", "TALOS_INITRAMFS", "TALOS_VERSION"]) if (!process.env[v]) throw new Error(`TALOS_REPORTS_REAL=1 needs ${v}`);
    const args = ["cluster", "create", "dev", "--name", name, "--controlplanes", "1", "--workers", "0", "--vmlinuz-path", process.env.TALOS_VMLINUZ!, "--initrd-path", process.env.TALOS_INITRAMFS!, ...extra];
    const kernelArgs = `talos.events.sink=${host}:${BOOT_REPORT_PORTS.events} talos.logging.kernel=tcp://${host}:${BOOT_REPORT_PORTS.logs} ${BOOT_REPORT_MAC_ARG.replace("${mac:hexhyp}", mac)}`;
    const create = sudo([...args, "--extra-boot-kernel-args", kernelArgs, "--wait=false"]);
    if (create.status !== 0) throw new Error(`talosctl ${args.join(" ")} failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
  };

  beforeAll(async () => {
    receiver = await startReceiver({
      REPORT_BIND: "0.0.0.0",
      REPORT_EVENTS_PORT: String(BOOT_REPORT_PORTS.events),
      REPORT_LOGS_PORT: String(BOOT_REPORT_PORTS.logs),
      REPORT_STATUS_PORT: String(BOOT_REPORT_PORTS.status),
    });
  });
  afterAll(async () => {
    sudo(["cluster", "destroy", "--name", CLUSTER], 5 * MINUTE);
    sudo(["cluster", "destroy", "--name", DISCOVER.cluster], 5 * MINUTE);
    await receiver?.stop();
  }, 6 * MINUTE);

  test(
    TITLE,
    async () => {
      createCluster(CLUSTER, HOST, REPORTED_MAC, []);
      const status = await eventually(
        "a machine reported events and kernel log lines and reached installed or running",
        () => fetchStatus(BOOT_REPORT_PORTS.status),
        (s) => s.machines.some((m) => m.events > 0 && m.logLines > 0 && ["installed", "running"].includes(m.phase)),
        12 * MINUTE,
      );
      const machine = status.machines.find((m) => m.events > 0 && m.logLines > 0)!;
      process.stdout.write(`\nreal Talos report: ${JSON.stringify(machine)}\n`);
      expect(machine.talosVersion).toBe(process.env.TALOS_VERSION);
      expect(machine.hostname).toMatch(/\S/);
      expect(machine.mac).toBe(REPORTED_MAC.replace(/-/g, ":"));
      expect(status.totals.dropped).toBe(0);
      // Every event Talos sent was accepted and decoded (Talos v1.13's types are all known to the decoder).
      expect(receiver.lines.filter((l) => l.kind === "drop")).toEqual([]);
      expect(receiver.lines.filter((l) => l.kind === "event" && l.note !== undefined)).toEqual([]);
    },
    20 * MINUTE,
  );

  test(
    DISCOVER_TITLE,
    async () => {
      createCluster(DISCOVER.cluster, DISCOVER.host, DISCOVER.mac, ["--cidr", DISCOVER.cidr, "--skip-injecting-config"]);
      const mac = DISCOVER.mac.replace(/-/g, ":");
      const status = await eventually(
        "the maintenance-mode machine reported its MAC and the maintenance phase",
        () => fetchStatus(BOOT_REPORT_PORTS.status),
        (s) => s.machines.some((m) => m.mac === mac && m.phase === "maintenance" && typeof m.address === "string" && m.address.startsWith("10.6.0.")),
        10 * MINUTE,
      );
      const machine = status.machines.find((m) => m.mac === mac)!;
      process.stdout.write(`\nreal maintenance-mode report: ${JSON.stringify(machine)}\n`);

      // What the admin peer reads through the tunnel (docs/discovery.md, step 2), here on the VM's network.
      const dir = mkdtempSync(join(tmpdir(), "netboot-discover-real-"));
      writeFileSync(join(dir, "status.json"), JSON.stringify(status));
      const facts = ["disks", "links", "systeminformation", "cpus", "memorymodules"].map((resource) => {
        const got = spawnSync(talosctl, ["get", resource, "--insecure", "-e", machine.address, "-n", machine.address, "-o", "json"], { cwd: workDir, encoding: "utf8", timeout: 2 * MINUTE, maxBuffer: 64 * 1024 * 1024 });
        if (got.status !== 0) throw new Error(`talosctl get ${resource} --insecure -n ${machine.address} failed (${got.status}):\n${got.stderr}`);
        writeFileSync(join(dir, `${resource}.json`), got.stdout);
        return ["--facts", join(dir, `${resource}.json`)];
      });
      const result = discoveredCommand(["--status", join(dir, "status.json"), ...facts.flat(), "--json"], { ...process.env, SITE_CONFIG: FIXTURE_SITE_FILE });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const found = JSON.parse(result.stdout) as DiscoveredMachine[];
      process.stdout.write(`\ndiscovered from real talosctl output: ${JSON.stringify(found)}\n`);
      const d = found.find((f) => f.mac === mac);
      expect(d?.entry).toMatchObject({ mac, boot: "maintenance" });
      expect(d?.facts?.disks.length).toBeGreaterThan(0);
      expect(d?.facts?.links.some((l) => l.physical)).toBe(true);
      expect(d?.facts?.system).toBeDefined();
      // Either the largest disk's selector, or a note saying why there is none (QEMU disks may have no WWID or serial).
      expect(d?.entry?.installDiskSelector !== undefined || d!.notes.length > 0).toBe(true);
    },
    15 * MINUTE,
  );
}
