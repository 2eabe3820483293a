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
 * Needs KVM, root (talosctl's QEMU provisioner) and the Talos release assets,
 * so it runs in the GitHub Actions job `talos-reports-real`
 * (TALOS_REPORTS_REAL=1, with TALOSCTL, TALOS_VMLINUZ, TALOS_INITRAMFS);
 * elsewhere it is skipped visibly.
 */
import { spawnSync } from "node:child_process";
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

if (!ENABLED) {
  test.skip(`SKIPPED: needs KVM, root, talosctl and Talos's kernel and initramfs; runs in the GitHub Actions job talos-reports-real (TALOS_REPORTS_REAL=1) — ${TITLE}`, () => {});
} else {
  let receiver: RunningReceiver;
  const talosctl = process.env.TALOSCTL ?? "talosctl";
  const sudo = (args: string[], timeout = 15 * MINUTE) => spawnSync("sudo", ["-E", talosctl, ...args], { encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });

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
    await receiver?.stop();
  }, 6 * MINUTE);

  test(
    TITLE,
    async () => {
      for (const name of ["TALOS_VMLINUZ", "TALOS_INITRAMFS", "TALOS_VERSION"]) if (!process.env[name]) throw new Error(`TALOS_REPORTS_REAL=1 needs ${name}`);
      const create = sudo([
        "cluster",
        "create",
        "dev",
        "--name",
        CLUSTER,
        "--controlplanes",
        "1",
        "--workers",
        "0",
        "--vmlinuz-path",
        process.env.TALOS_VMLINUZ!,
        "--initrd-path",
        process.env.TALOS_INITRAMFS!,
        "--extra-boot-kernel-args",
        `talos.events.sink=${HOST}:${BOOT_REPORT_PORTS.events} talos.logging.kernel=tcp://${HOST}:${BOOT_REPORT_PORTS.logs} ${BOOT_REPORT_MAC_ARG.replace("${mac:hexhyp}", REPORTED_MAC)}`,
        "--wait=false",
      ]);
      if (create.status !== 0) throw new Error(`talosctl cluster create dev failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
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
}
