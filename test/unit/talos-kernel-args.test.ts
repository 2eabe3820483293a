import { SUPPORTED_TALOS_MINORS, talosMetalKernelArgs } from "../../lib/input/talos/metal-kernel-args";

function argsOf(version: string): readonly string[] {
  const r = talosMetalKernelArgs(version);
  if ("error" in r) throw new Error(`unexpected error: ${r.error}`);
  return r.args;
}

function errorOf(version: string): string {
  const r = talosMetalKernelArgs(version);
  if ("args" in r) throw new Error(`expected an error for ${version}, got ${r.args.join(" ")}`);
  return r.error;
}

// Expected strings as in siderolabs/talos pkg/imager/imager_test.go (metal amd64
// cases, v1.14.0-rc.1 L104, L134, L164, L224); 1.12 from kernel.go/quirks.go at v1.12.11.
const EXPECTED: Record<string, string> = {
  "v1.10.9":
    "talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on ima_template=ima-ng ima_appraise=fix ima_hash=sha512 selinux=1",
  "v1.11.6":
    "talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1",
  "v1.12.11":
    "talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1",
  "v1.13.9":
    "talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1 proc_mem.force_override=never",
  "v1.14.0":
    "talos.platform=metal console=tty0 slab_nomerge pti=on consoleblank=0 printk.devkmsg=on selinux=1 module.sig_enforce=1 proc_mem.force_override=never",
};

describe("talosMetalKernelArgs", () => {
  test("the known minors are 1.10 to 1.14", () => {
    expect([...SUPPORTED_TALOS_MINORS]).toEqual(["1.10", "1.11", "1.12", "1.13", "1.14"]);
  });

  test.each(Object.entries(EXPECTED))("%s: exact ordered list for metal amd64", (version, expected) => {
    expect(argsOf(version)).toEqual(expected.split(" "));
  });

  test("the list depends on the minor only (any patch, pre-releases too)", () => {
    expect(argsOf("v1.13.0")).toEqual(argsOf("v1.13.9"));
    expect(argsOf("v1.13.0-rc.0")).toEqual(argsOf("v1.13.9"));
    expect(argsOf("v1.14.0-rc.1")).toEqual(argsOf("v1.14.0"));
  });

  test("talos.platform=metal comes first, console=tty0 second, and neither ttyS0 nor duplicates", () => {
    for (const minor of SUPPORTED_TALOS_MINORS) {
      const args = argsOf(`v${minor}.0`);
      expect(args.slice(0, 2)).toEqual(["talos.platform=metal", "console=tty0"]);
      expect(args).not.toContain("console=ttyS0");
      expect(new Set(args).size).toBe(args.length);
      // required by Talos's KSPP check (pkg/kernel/kspp/kspp.go)
      expect(args).toEqual(expect.arrayContaining(["slab_nomerge", "pti=on"]));
    }
  });

  test("1.14 drops init_on_alloc=1 and nvme_core.io_timeout (AWS only from 1.14)", () => {
    const a13 = argsOf("v1.13.9");
    const a14 = argsOf("v1.14.0");
    expect(a13).toContain("init_on_alloc=1");
    expect(a13).toContain("nvme_core.io_timeout=4294967295");
    expect(a14).not.toContain("init_on_alloc=1");
    expect(a14.some((a) => a.startsWith("nvme_core.io_timeout"))).toBe(false);
    expect(a13.filter((a) => a !== "init_on_alloc=1" && !a.startsWith("nvme_core.io_timeout"))).toEqual(a14);
  });

  test("only 1.10 has the IMA args", () => {
    expect(argsOf("v1.10.9")).toContain("ima_hash=sha512");
    for (const v of ["v1.11.6", "v1.12.11", "v1.13.9", "v1.14.0"]) {
      expect(argsOf(v).some((a) => a.startsWith("ima_"))).toBe(false);
    }
  });

  test("the returned list is frozen: a caller cannot change the table", () => {
    const args = argsOf("v1.13.9") as string[];
    expect(() => args.push("talos.config=http://x")).toThrow(TypeError);
    expect(argsOf("v1.13.9")).toEqual(EXPECTED["v1.13.9"].split(" "));
  });

  test.each(["v1.9.6", "v1.15.0", "v2.0.0"])("%s: unknown minor is an error naming the version, the known minors and the fix", (version) => {
    const error = errorOf(version);
    expect(error).toContain(version);
    for (const minor of SUPPORTED_TALOS_MINORS) expect(error).toContain(minor);
    expect(error).toContain("pkg/machinery/kernel/kernel.go");
    expect(error).toContain("lib/input/talos/metal-kernel-args.ts");
  });

  test.each(["1.13.9", "v1.13", "v1.13.x", "latest", "", " v1.13.9", "v1.13.9 ", "v01.13.9", "V1.13.9"])(
    "malformed version %j is an error",
    (version) => {
      expect(errorOf(version)).toMatch(/is not a release tag like v1\.13\.9/);
    },
  );
});
