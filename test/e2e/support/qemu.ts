// QEMU VMs that network-boot with Debian's firmware, for the firmware boot
// test: legacy BIOS (SeaBIOS running the iPXE ROM QEMU attaches to the NIC)
// and UEFI (OVMF with the same ROM's EFI driver, or with no ROM at all for
// OVMF's own HTTP boot). The NIC is a tap device the caller has put on a
// bridge; the VM is started inside that namespace and tracked by the harness.
import { spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { printedCmdline } from "./initramfs";
import type { Background, NetnsHarness } from "./netns";
import type { Prerequisite } from "./prerequisites";

export type Firmware = "bios" | "efi";
export type Accel = "kvm" | "tcg";

export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/** The combined legacy + EFI iPXE ROM QEMU attaches to virtio-net-pci by default (Debian's ipxe-qemu). */
export const IPXE_VIRTIO_ROM = "/usr/lib/ipxe/qemu/efi-virtio.rom";

/** The newest Debian kernel image in /boot (package linux-image-amd64), or undefined. */
export function debianKernel(): string | undefined {
  const r = spawnSync("sh", ["-c", "ls -1v /boot/vmlinuz-* 2>/dev/null | tail -n 1"], { encoding: "utf8" });
  const path = r.stdout.trim();
  return path || undefined;
}

/** The firmware files and the kernel the test boots; missing ones are reported with their Debian package. */
export const firmwareFiles: Prerequisite = {
  missing: () => {
    const need: [string, string][] = [
      [OVMF_CODE, "ovmf"],
      [OVMF_VARS, "ovmf"],
      [IPXE_VIRTIO_ROM, "ipxe-qemu"],
      ["/usr/share/seabios/bios-256k.bin", "seabios (qemu-system-x86)"],
      ["/bin/busybox", "busybox-static"],
    ];
    const absent = need.filter(([file]) => !existsSync(file));
    const kernel = debianKernel();
    const reasons = absent.map(([file, pkg]) => `${file} missing (apt-get install ${pkg})`);
    if (!kernel) reasons.push("no /boot/vmlinuz-* (apt-get install linux-image-amd64)");
    else {
      try {
        accessSync(kernel, constants.R_OK);
      } catch {
        reasons.push(`${kernel} is not readable`);
      }
    }
    if (existsSync("/bin/busybox") && !/statically linked/.test(spawnSync("file", ["-L", "/bin/busybox"], { encoding: "utf8" }).stdout ?? "statically linked")) {
      reasons.push("/bin/busybox is not static (apt-get install busybox-static)");
    }
    return reasons.length ? reasons.join("; ") : undefined;
  },
};

/**
 * KVM when /dev/kvm opens and really runs a kernel (nested virtualization can
 * offer /dev/kvm and then hang or assert at the first MSR write), TCG
 * otherwise. The probe boots the stand-in kernel and initramfs directly,
 * without firmware or network, and waits for the initramfs's output.
 */
export async function detectAccel(h: NetnsHarness, kernel: string, initramfs: string): Promise<{ accel: Accel; why: string }> {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return { accel: "tcg", why: "/dev/kvm is not usable" };
  }
  const serial = join(h.tempDir, "kvm-probe.serial");
  const r = await h.run(
    null,
    ["qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-nodefaults", "-display", "none", "-no-reboot", "-nic", "none", "-serial", `file:${serial}`, "-kernel", kernel, "-initrd", initramfs, "-append", "quiet"],
    { timeoutMs: 12_000 },
  );
  const out = existsSync(serial) ? readFileSync(serial, "latin1") : "";
  if (printedCmdline(out) !== undefined) return { accel: "kvm", why: `KVM booted the probe in ${r.ms} ms` };
  const detail = r.timedOut ? "it printed nothing within 12 s" : `qemu exited ${r.code}: ${r.stderr.trim().split("\n").pop()}`;
  return { accel: "tcg", why: `KVM is offered but does not run a kernel here (${detail})` };
}

export interface VmOptions {
  readonly name: string;
  readonly firmware: Firmware;
  readonly accel: Accel;
  readonly mac: string;
  /** A tap device that exists in `ns` (on the boot bridge). */
  readonly tap: string;
  /** `ipxe`: Debian's iPXE ROM on the NIC (QEMU's default); `none`: no option ROM (OVMF's own network stack). */
  readonly nicRom?: "ipxe" | "none";
  readonly memoryMb?: number;
  /**
   * OVMF only: turn off its PXE boot options (fw_cfg knobs of OVMF's network
   * setup), so its first network boot option is UEFI HTTP boot over IPv4.
   */
  readonly uefiHttpBootOnly?: boolean;
}

export interface VmRun {
  readonly options: VmOptions;
  readonly bg: Background;
  readonly serialFile: string;
  /** SeaBIOS's debug log (port 0x402), BIOS only. */
  readonly debugFile?: string;
  readonly startedAt: number;
  serial(): string;
  debug(): string;
}

const read = (file: string | undefined) => (file && existsSync(file) ? readFileSync(file, "latin1") : "");

export function qemuArgv(o: VmOptions, files: { serial: string; debug?: string; vars?: string }): string[] {
  const argv = ["qemu-system-x86_64", "-name", o.name, "-accel", o.accel, "-m", String(o.memoryMb ?? 256), "-nodefaults", "-display", "none", "-no-reboot", "-serial", `file:${files.serial}`];
  argv.push("-netdev", `tap,id=net0,ifname=${o.tap},script=no,downscript=no`);
  // QEMU picks efi-virtio.rom (legacy + EFI iPXE) from its data path; `romfile=` empty disables the ROM.
  argv.push("-device", `virtio-net-pci,netdev=net0,mac=${o.mac}${o.nicRom === "none" ? ",romfile=" : ""}`);
  if (o.firmware === "bios") {
    argv.push("-boot", "order=n,strict=on");
    if (files.debug) argv.push("-chardev", `file,id=seabios,path=${files.debug}`, "-device", "isa-debugcon,iobase=0x402,chardev=seabios");
  } else {
    argv.push("-machine", "q35", "-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,file=${files.vars}`);
    if (o.uefiHttpBootOnly) {
      for (const knob of ["IPv4PXESupport", "IPv6PXESupport", "IPv6Support"]) argv.push("-fw_cfg", `name=opt/org.tianocore/${knob},string=n`);
    }
  }
  return argv;
}

/** Starts the VM in `ns`; it runs until it powers off, `stopVm`, or the harness's cleanup. */
export async function startVm(h: NetnsHarness, ns: string, o: VmOptions): Promise<VmRun> {
  const base = join(h.tempDir, `vm-${o.name}`);
  const serial = `${base}.serial`;
  const debug = o.firmware === "bios" ? `${base}.seabios` : undefined;
  let vars: string | undefined;
  if (o.firmware === "efi") {
    vars = `${base}.vars.fd`;
    copyFileSync(OVMF_VARS, vars); // a fresh NVRAM per VM: no boot entries from earlier runs
  }
  const bg = await h.spawn(ns, `qemu ${o.name}`, qemuArgv(o, { serial, debug, vars }));
  return { options: o, bg, serialFile: serial, debugFile: debug, startedAt: Date.now(), serial: () => read(serial), debug: () => read(debug) };
}

export function stopVm(vm: VmRun): void {
  const pid = vm.bg.child.pid;
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** The serial console without terminal escapes and iPXE's spinner backspaces, for messages. */
export function cleanConsole(text: string): string {
  return text
    .replace(/\x1b\[[0-9;=?]*[A-Za-z]/g, "")
    .replace(/.\x08/g, "")
    .replace(/\r/g, "");
}
