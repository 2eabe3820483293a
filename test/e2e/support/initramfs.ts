// A tiny busybox initramfs for the firmware boot test, standing in for Talos's
// initramfs-amd64.xz: its /init prints the kernel command line to the first
// serial port, between markers, and powers the VM off.
//
// The archive is a newc cpio written here (so device nodes need no mknod and
// no cpio tool) and compressed with `xz --check=crc32`: the kernel's XZ
// decoder (CONFIG_RD_XZ, set in Debian's kernels) supports CRC32 and no
// check, not xz's default CRC64. Under the name initramfs-amd64.xz it is what
// Talos serves: an xz-compressed cpio.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { E2E_PATH } from "./prerequisites";

export const CMDLINE_BEGIN = "NETBOOT-E2E-CMDLINE-BEGIN";
export const CMDLINE_END = "NETBOOT-E2E-CMDLINE-END";

const KERNEL_LOG_LINE = /^\[\s*\d+\.\d+\]/;

/**
 * The kernel command line printed by the stand-in initramfs, from a serial
 * log; undefined until both markers appear. Kernel log lines that land
 * between the markers (the kernel and /init share the console; a CI run saw
 * one) are not the command line and are skipped.
 */
export function printedCmdline(serial: string): string | undefined {
  const text = serial.replace(/\r/g, "");
  const begin = text.indexOf(`${CMDLINE_BEGIN}\n`);
  if (begin < 0) return undefined;
  const end = text.indexOf(`\n${CMDLINE_END}`, begin);
  if (end < 0) return undefined;
  const lines = text
    .slice(begin + CMDLINE_BEGIN.length + 1, end)
    .split("\n")
    .filter((line) => line !== "" && !KERNEL_LOG_LINE.test(line));
  return lines.length === 1 ? lines[0] : undefined;
}

const INIT = `#!/bin/busybox sh
# netboot e2e stand-in for Talos's init: print /proc/cmdline on the first serial port and power off.
/bin/busybox mount -t proc proc /proc
# Only emergencies on the console from here on, so kernel messages do not split the markers.
echo 1 > /proc/sys/kernel/printk
{
  echo
  echo ${CMDLINE_BEGIN}
  /bin/busybox cat /proc/cmdline
  echo ${CMDLINE_END}
} > /dev/ttyS0
/bin/busybox sync
/bin/busybox poweroff -f
`;

interface Entry {
  readonly name: string;
  readonly mode: number;
  readonly data?: Buffer;
  readonly rdev?: [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

/** The newc ("070701") cpio archive of `entries`, with the TRAILER!!! entry; all owned by root, mtime 0. */
export function newcCpio(entries: readonly Entry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const pad4 = () => {
    const n = (4 - (offset % 4)) % 4;
    if (n) push(Buffer.alloc(n));
  };
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  let ino = 1;
  for (const e of [...entries, { name: "TRAILER!!!", mode: 0 } as Entry]) {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const fields = [
      e.name === "TRAILER!!!" ? 0 : ino++,
      e.mode,
      0, // uid
      0, // gid
      (e.mode & S_IFDIR) === S_IFDIR ? 2 : 1, // nlink
      0, // mtime
      data.length,
      0, // devmajor
      0, // devminor
      e.rdev?.[0] ?? 0,
      e.rdev?.[1] ?? 0,
      name.length,
      0, // check
    ];
    push(Buffer.from(`070701${fields.map(hex).join("")}`, "ascii"));
    push(name);
    pad4();
    if (data.length) {
      push(data);
      pad4();
    }
  }
  return Buffer.concat(parts);
}

/** Builds the initramfs (busybox from `busybox`, default the busybox-static binary) at `file`; returns its size. */
export function buildInitramfs(file: string, busybox = "/bin/busybox"): number {
  const bb = readFileSync(busybox);
  const cpio = newcCpio([
    { name: "bin", mode: S_IFDIR | 0o755 },
    { name: "bin/busybox", mode: S_IFREG | 0o755, data: bb },
    { name: "dev", mode: S_IFDIR | 0o755 },
    { name: "dev/console", mode: S_IFCHR | 0o600, rdev: [5, 1] },
    { name: "dev/ttyS0", mode: S_IFCHR | 0o660, rdev: [4, 64] },
    { name: "dev/null", mode: S_IFCHR | 0o666, rdev: [1, 3] },
    { name: "proc", mode: S_IFDIR | 0o755 },
    { name: "init", mode: S_IFREG | 0o755, data: Buffer.from(INIT) },
  ]);
  const xz = spawnSync("xz", ["--format=xz", "--check=crc32", "--lzma2=preset=6,dict=1MiB", "-c"], { input: cpio, maxBuffer: 64 << 20, env: { ...process.env, PATH: E2E_PATH } });
  if (xz.status !== 0) throw new Error(`xz failed: ${xz.error?.message ?? xz.stderr.toString()}`);
  writeFileSync(file, xz.stdout);
  return xz.stdout.length;
}
