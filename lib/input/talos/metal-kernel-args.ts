/**
 * The kernel command line Talos itself puts on a metal amd64 boot, per Talos
 * minor release, so a Matchbox profile's PXE boot matches it.
 *
 * Where the lists come from (siderolabs/talos):
 * - Order: `pkg/imager/imager.go` `buildCmdline` (v1.13.9 L357-419): first
 *   `talos.platform=<platform>` (L368), then the platform's own args (L370; for
 *   metal amd64 `console=tty0`, `internal/app/machined/pkg/runtime/v1alpha1/platform/metal/metal.go`
 *   v1.13.9 L148-159), then `kernel.DefaultArgs(quirks)` (L387), then the
 *   schematic's `extraKernelArgs` (L407-411). The Image Factory's
 *   `cmdline-metal-amd64` and its iPXE script are built by this code
 *   (siderolabs/image-factory `internal/frontend/http/pxe.go`, `internal/profile/profile.go`
 *   `cmdline-<platform>-<arch>`), with the factory's vendored Talos machinery
 *   and quirks for the requested version.
 * - Defaults: `pkg/machinery/kernel/kernel.go` `DefaultArgs`, gated by
 *   `pkg/machinery/imager/quirks/quirks.go`. `slab_nomerge=` in DefaultArgs is
 *   rendered `slab_nomerge` (no value) on the command line.
 * - Check: `pkg/imager/imager_test.go` at v1.14.0-rc.1 has the exact metal
 *   amd64 strings for 1.10 (L104), 1.11 (L134), 1.13 (L164) and 1.14 (L224).
 *
 * Quirks compare only major.minor.patch (pre-release suffixes are ignored,
 * `quirks.New`), and every quirk that changes this list flips at a `.0`
 * release, so the list depends on the minor only.
 *
 * Not included: the schematic's `extraKernelArgs` (append them after this list),
 * `talos.config=...` and iPXE's `initrd=...`.
 */

/** Args from `kernel.DefaultArgs` common to 1.10-1.13, in order. */
const DEFAULTS_UP_TO_1_13 = [
  "init_on_alloc=1",
  "slab_nomerge",
  "pti=on",
  "consoleblank=0",
  "nvme_core.io_timeout=4294967295",
  "printk.devkmsg=on",
] as const;

const METAL_AMD64_PREFIX = ["talos.platform=metal", "console=tty0"] as const;

const TABLE: Readonly<Record<string, readonly string[]>> = freezeAll({
  // v1.10.9: pkg/machinery/kernel/kernel.go L24-45 (IMA args unconditional at
  // L35-37, selinux=1 at L40-42 via quirks.SupportsSELinux >= 1.10, quirks.go L158-168);
  // metal.go L199-210 (console=tty0; ttyS0 only < 1.8, quirks.go SupportsMetalPlatformConsoleTTYS0);
  // order pkg/imager/imager.go L346-; expected string pkg/imager/imager_test.go L104.
  "1.10": [
    ...METAL_AMD64_PREFIX,
    ...DEFAULTS_UP_TO_1_13,
    "ima_template=ima-ng",
    "ima_appraise=fix",
    "ima_hash=sha512",
    "selinux=1",
  ],
  // v1.11.6: pkg/machinery/kernel/kernel.go L24-52 (IMA args only if
  // quirks.SupportsIMA, i.e. <= 1.10.99, quirks.go L266-276); metal.go L199-210;
  // expected string pkg/imager/imager_test.go L134.
  "1.11": [...METAL_AMD64_PREFIX, ...DEFAULTS_UP_TO_1_13, "selinux=1"],
  // v1.12.11: pkg/machinery/kernel/kernel.go L24-56, module.sig_enforce=1 at L51-53
  // (quirks.SupportsDisablingModuleSignatureVerification >= 1.12.0, quirks.go L290-300;
  // constants.go L167 KernelParamEnforceModuleSigVerify); metal.go L149-160.
  "1.12": [...METAL_AMD64_PREFIX, ...DEFAULTS_UP_TO_1_13, "selinux=1", "module.sig_enforce=1"],
  // v1.13.9: pkg/machinery/kernel/kernel.go L24-60, proc_mem.force_override=never at
  // L55-57 (quirks.ProcMemOverrideNever >= 1.13.0, quirks.go L316-326); metal.go L148-159;
  // order pkg/imager/imager.go L368/L370/L387; expected string
  // pkg/imager/imager_test.go L164 at v1.14.0-rc.1.
  "1.13": [
    ...METAL_AMD64_PREFIX,
    ...DEFAULTS_UP_TO_1_13,
    "selinux=1",
    "module.sig_enforce=1",
    "proc_mem.force_override=never",
  ],
  // v1.14.0-rc.1 (no final v1.14 tag yet): pkg/machinery/kernel/kernel.go L24-79 drops
  // init_on_alloc=1 (quirks.DropInitOnAllocInArgs >= 1.14.0, quirks.go L357-367) and
  // nvme_core.io_timeout=4294967295 (quirks.NvmeCoreIoTimeoutAWSOnly >= 1.14.0,
  // quirks.go L369-379; AWS only from then on); metal.go L149-160;
  // expected string pkg/imager/imager_test.go L224. Re-check at the final v1.14 tag.
  "1.14": [
    ...METAL_AMD64_PREFIX,
    "slab_nomerge",
    "pti=on",
    "consoleblank=0",
    "printk.devkmsg=on",
    "selinux=1",
    "module.sig_enforce=1",
    "proc_mem.force_override=never",
  ],
});

function freezeAll(table: Record<string, readonly string[]>): Readonly<Record<string, readonly string[]>> {
  for (const list of Object.values(table)) Object.freeze(list);
  return Object.freeze(table);
}

/** The Talos minors (`major.minor`) whose metal amd64 kernel args are known. */
export const SUPPORTED_TALOS_MINORS: readonly string[] = Object.freeze(Object.keys(TABLE));

const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$/;

/**
 * Talos's own kernel args for a metal amd64 boot of `version` (e.g. `v1.13.9`),
 * in the order the Image Factory's `cmdline-metal-amd64` has them.
 */
export function talosMetalKernelArgs(version: string): { args: readonly string[] } | { error: string } {
  const m = VERSION.exec(version);
  if (!m) {
    return {
      error: `Talos version ${JSON.stringify(version)} is not a release tag like v1.13.9 (v<major>.<minor>.<patch>)`,
    };
  }
  const minor = `${m[1]}.${m[2]}`;
  const args = TABLE[minor];
  if (!args) {
    return {
      error:
        `Talos ${version}: no kernel argument list for Talos ${minor}; known minors: ${SUPPORTED_TALOS_MINORS.join(", ")}. ` +
        `Add the ${minor} list to lib/input/talos/metal-kernel-args.ts from siderolabs/talos at the v${minor} tag: ` +
        `pkg/machinery/kernel/kernel.go (DefaultArgs) with pkg/machinery/imager/quirks/quirks.go, the metal console args in ` +
        `internal/app/machined/pkg/runtime/v1alpha1/platform/metal/metal.go (KernelArgs), ` +
        `in the order of pkg/imager/imager.go (buildCmdline)`,
    };
  }
  return { args };
}
