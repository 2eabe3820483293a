// The receiver's kernelFacts against the messages a real Linux kernel prints:
// a QEMU VM (TCG) boots Debian's kernel and its initramfs with a SCSI disk
// (virtio-scsi) and a virtio disk; initramfs-tools' udev loads their drivers,
// and the kernel's own lines (DMI, memory, the SCSI scan, sd and virtio_blk)
// go to the serial console. Each console line, without its printk time
// prefix, is what Talos's kmsg delivery puts in `msg`; kernelFacts must read
// the VM's SMBIOS strings, its memory and both disks with their sizes from
// them. Issue 23: what a discovered machine's kernel log tells the pull
// request before anyone reads its maintenance API.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECEIVER_SCRIPT } from "../support/boot-reports";
import { commands, describeE2E, type Prerequisite } from "./support/prerequisites";
import { debianKernel } from "./support/qemu";

const { kernelFacts } = require(RECEIVER_SCRIPT) as { kernelFacts(line: string): Record<string, any> | null };

const BOOT_TIMEOUT_MS = 150_000;
const MEMORY_MIB = 512;
const SCSI_DISK_BYTES = 96 * 1024 * 1024;
const VIRTIO_DISK_BYTES = 40 * 1024 * 1024;

/** Debian's initramfs for the kernel debianKernel() picks (initramfs-tools: it loads the disk drivers). */
const initrdFor = (kernel: string) => kernel.replace(/vmlinuz-/, "initrd.img-");

const debianInitramfs: Prerequisite = {
  missing: () => {
    const kernel = debianKernel();
    if (!kernel) return "no Debian kernel in /boot (apt-get install linux-image-amd64)";
    return existsSync(initrdFor(kernel)) ? undefined : `${initrdFor(kernel)} missing (linux-image-amd64 with initramfs-tools writes it)`;
  },
};

/** Boots until both disks' lines are on the console (or the timeout); the console, printk prefixes removed. */
function bootAndReadConsole(kernel: string, dir: string): Promise<string[]> {
  const scsi = join(dir, "scsi.img");
  const virtio = join(dir, "virtio.img");
  for (const [file, size] of [[scsi, SCSI_DISK_BYTES], [virtio, VIRTIO_DISK_BYTES]] as const) {
    writeFileSync(file, "");
    truncateSync(file, size);
  }
  const args = [
    "-accel", "tcg", "-m", String(MEMORY_MIB), "-nodefaults", "-display", "none", "-no-reboot", "-serial", "stdio",
    "-smbios", "type=1,manufacturer=Netboot Test,product=Kernel Facts VM",
    "-kernel", kernel, "-initrd", initrdFor(kernel),
    // break=premount: initramfs-tools stops after udev loaded the drivers, before it looks for a root.
    "-append", "console=ttyS0 loglevel=7 break=premount panic=-1",
    "-device", "virtio-scsi-pci", "-drive", `file=${scsi},if=none,id=s0,format=raw`, "-device", "scsi-hd,drive=s0",
    "-drive", `file=${virtio},if=virtio,format=raw`,
  ];
  return new Promise((resolve) => {
    const vm = spawn("qemu-system-x86_64", args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const done = () => {
      clearTimeout(timer);
      vm.kill("SIGKILL");
      resolve(out.replace(/\r/g, "").split("\n").map((l) => l.replace(/^\[\s*\d+\.\d+\]\s?/, "")));
    };
    const timer = setTimeout(done, BOOT_TIMEOUT_MS);
    vm.stdout.on("data", (d) => {
      out += d;
      if (/\[sda\] \d+ \d+-byte logical blocks/.test(out) && /\[vda\] \d+ \d+-byte logical blocks/.test(out)) setTimeout(done, 500);
    });
    vm.on("exit", done);
  });
}

describeE2E("kernel facts from a real kernel's messages (QEMU, Debian kernel and initramfs)", [commands({ "qemu-system-x86_64": "qemu-system-x86" }), debianInitramfs], () => {
  const dir = mkdtempSync(join(tmpdir(), "netboot-kernel-facts-"));
  let lines: string[] = [];
  beforeAll(async () => {
    lines = await bootAndReadConsole(debianKernel()!, dir);
  }, BOOT_TIMEOUT_MS + 10_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("DMI names the VM's SMBIOS manufacturer and product; memory is what QEMU gave it; both disks with their sizes, the SCSI one with its model", () => {
    const facts = lines.map((l) => kernelFacts(l)).filter((f): f is Record<string, any> => f !== null);
    const seen = (key: string) => facts.filter((f) => key in f).map((f) => f[key]);
    if (seen("disk").length < 2) throw new Error(`the console named fewer than two disks; its kernel lines:\n${lines.filter((l) => /sd |virtio_blk|scsi |DMI:|Memory:/.test(l)).join("\n") || lines.slice(-40).join("\n")}`);
    expect(seen("dmi")).toEqual([expect.stringMatching(/^Netboot Test Kernel Facts VM/)]);
    const [memory] = seen("memoryMiB");
    expect(memory).toBeGreaterThan(MEMORY_MIB * 0.8);
    expect(memory).toBeLessThanOrEqual(MEMORY_MIB);
    const disks = new Map(seen("disk").map((d) => [d.name, d]));
    expect(disks.get("sda")).toMatchObject({ size: SCSI_DISK_BYTES, scsi: expect.stringMatching(/^\d+:\d+:\d+:\d+$/) });
    expect(disks.get("vda")).toMatchObject({ size: VIRTIO_DISK_BYTES, scsi: null });
    // QEMU's scsi-hd answers the inquiry as vendor QEMU, model QEMU HARDDISK.
    expect(seen("scsiModel")).toContainEqual({ scsi: disks.get("sda").scsi, model: "QEMU QEMU HARDDISK" });
  });
});
