import { rescueBootAssets, talosBootAssets, type BootAsset } from "../../input/boot-assets";
import type { Machine } from "../../input/inventory";
import type { SiteSettings } from "../../input/settings";
import { baseTalosKernelArgs } from "../../input/talos/settings-check";
import { machineKernelArgs, machineSchematic, metalInstallerImage, netbootMachinePatches } from "../talos/machine-patches";
import { MATCHBOX_HTTP_PORT } from "../wireguard/render";
import { talosMetalKernelArgs } from "../../input/talos/metal-kernel-args";
import { BOOT_REPORT_MAC_ARG, bootReportKernelArgs } from "../boot-reports";

/** A Matchbox profile as this project means it (values as Matchbox should finally hold them). */
export interface ProfileSpec {
  readonly name: string;
  readonly kernel: string;
  readonly initrd: readonly string[];
  readonly args: readonly string[];
  /** The machine whose generated Talos config `/generic` serves (its own profile); absent for maintenance and rescue. */
  readonly machine?: string;
}

/** Where the installer image goes in netboot's patches: the site's schematic, or the machine's own (a Terraform value). */
export const INSTALLER_IMAGE_PLACEHOLDER = "@@netboot-installer-image@@";

/** One installing machine's Talos config, as the Talos provider will generate it. */
export interface TalosConfigSpec {
  readonly machine: string;
  readonly role: "controlplane" | "worker";
  /** The machine's own Image Factory schematic (YAML) when kernel arguments need one; else the site's schematic. */
  readonly schematic?: string;
  /** netboot's own patches, with INSTALLER_IMAGE_PLACEHOLDER for the installer image. */
  readonly patches: readonly string[];
  /** Patch files (repository-relative), the site's then the machine's, passed byte for byte after netboot's. */
  readonly patchFiles: readonly string[];
  /** The arguments this machine's command lines carry beyond Talos's and the schematic's (PXE and installed). */
  readonly kernelArgs: readonly string[];
}

export interface GroupSpec {
  readonly name: string;
  /** A profile of the plan, or ABSENT_PROFILE (no profile: Matchbox answers 404). */
  readonly profile: string;
  /** `{ mac }` for a machine's group; `{}` for the discovery catch-all (DISCOVERY_GROUP), which matches every request. */
  readonly selector: { readonly mac?: string };
  /** Flat string map (Matchbox metadata): the per-machine values of the Talos config template. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BootPlan {
  readonly profiles: readonly ProfileSpec[];
  readonly groups: readonly GroupSpec[];
  /** One per machine with boot: install, in inventory order. */
  readonly talosConfigs: readonly TalosConfigSpec[];
}

/** Shared profiles; every installing machine has its own, `talos-<machine>` (talosProfileName). */
export const PROFILE_NAMES = { maintenance: "talos-maintenance", rescue: "rescue" } as const;

export const talosProfileName = (machine: string) => `talos-${machine}`;

/**
 * Discovery (site `discovery.enabled`): the catch-all group, with no selector,
 * to the shared maintenance profile. Matchbox v0.11.0 (server.go SelectGroup,
 * storagepb/group.go ByReqs) tries groups with more selector pairs first, so
 * every machine's one-pair MAC group wins over it; it takes only MACs that no
 * group names. Not a DNS label (it starts with `_`), so no machine can be called this.
 */
export const DISCOVERY_GROUP = "_discovery";

/**
 * With discovery on, a `boot: disk` machine gets a group of its own that names
 * this profile, which never exists (every profile's Matchbox name ends in a
 * content hash; this one cannot be such a name): Matchbox selects the group,
 * finds no profile and answers 404 "No matching profile" on /ipxe and /generic,
 * exactly as it answers a MAC without a group today, so the firmware falls
 * through to the disk. Without that group the catch-all would boot it into
 * maintenance mode.
 */
export const ABSENT_PROFILE = "_boot-from-disk-no-profile";

/**
 * The kernel arguments Talos puts on a metal amd64 command line for the site's
 * Talos version (lib/input/talos/metal-kernel-args.ts), followed by the
 * schematic's own `extraKernelArgs`, as the Image Factory's
 * `cmdline-metal-amd64` has them. Site validation refuses an unknown minor.
 */
export function talosKernelArgs(site: SiteSettings): string[] {
  const known = talosMetalKernelArgs(site.talos.version);
  if ("error" in known) throw new Error(known.error);
  return baseTalosKernelArgs(site);
}

/** Matchbox's base URL as booting machines reach it: the gateway's tunnel IP. */
export function matchboxBaseUrl(site: SiteSettings): string {
  return `http://${site.wireguard.gatewayAddress}:${MATCHBOX_HTTP_PORT}`;
}

const assetUrl = (asset: BootAsset) => `/assets/${asset.path}`;
const fileName = (asset: BootAsset) => asset.path.split("/").pop()!;

/**
 * The profiles, groups and Talos configs for a site's inventory. One group per
 * machine whose boot mode is not `disk`, selected by MAC only; no catch-all
 * group, so an unknown MAC gets Matchbox's 404 instead of a cluster config.
 * With discovery on, also the catch-all to the maintenance profile
 * (DISCOVERY_GROUP) and a group per `disk` machine that keeps its 404
 * (ABSENT_PROFILE).
 * Every installing machine has its own profile serving its own generated
 * config (as Typhoon does); maintenance and rescue profiles are shared.
 */
export function bootPlan(site: SiteSettings, machines: readonly Machine[]): BootPlan {
  const talos = talosBootAssets(site.talos);
  // iPXE names the initramfs after its file; `initrd=` must name that same file.
  const talosBase = { kernel: assetUrl(talos.kernel), initrd: [assetUrl(talos.initramfs)] };
  const talosArgs = [`initrd=${fileName(talos.initramfs)}`, ...talosKernelArgs(site)];
  // Every Talos profile reports to the boot-report receiver (docs/adr/0017), install and maintenance alike:
  // netboot's own arguments, after the site's and the machine's, like talos.config.
  const reportArgs = bootReportKernelArgs(site);
  const configUrl = `talos.config=${matchboxBaseUrl(site)}/generic?mac=\${mac:hexhyp}`;

  const installing = machines.filter((m) => m.boot === "install");
  const profiles: ProfileSpec[] = [
    ...installing.map((m) => ({ name: talosProfileName(m.name), ...talosBase, args: [...talosArgs, ...machineKernelArgs(site, m), ...reportArgs, configUrl], machine: m.name })),
    // Maintenance has no talos.config (whose ?mac= names an installing NIC): the receiver learns its MAC from BOOT_REPORT_MAC_ARG.
    { name: PROFILE_NAMES.maintenance, ...talosBase, args: [...talosArgs, ...site.talos.kernelArgs, ...reportArgs, BOOT_REPORT_MAC_ARG] },
  ];
  const talosConfigs = installing.map(
    (m): TalosConfigSpec => ({
      machine: m.name,
      // The inventory refuses an installing machine without a role.
      role: m.role!,
      schematic: machineSchematic(site, m),
      patches: netbootMachinePatches(site, m, INSTALLER_IMAGE_PLACEHOLDER),
      patchFiles: [...site.talos.patches, ...m.patches],
      kernelArgs: machineKernelArgs(site, m),
    }),
  );
  if (site.rescue) {
    const rescue = rescueBootAssets(site.rescue);
    profiles.push({ name: PROFILE_NAMES.rescue, kernel: assetUrl(rescue.kernel), initrd: [assetUrl(rescue.initrd)], args: [`initrd=${fileName(rescue.initrd)}`, ...site.rescue.args] });
  }

  const discovery = site.discovery.enabled;
  const groups = machines
    .filter((m) => m.boot !== "disk" || discovery)
    .map(
      (m): GroupSpec => ({
        name: m.name,
        profile: m.boot === "install" ? talosProfileName(m.name) : m.boot === "disk" ? ABSENT_PROFILE : PROFILE_NAMES[m.boot],
        selector: { mac: m.mac },
        // For Matchbox's logs and API readers only: each config is complete, no template reads these.
        metadata: { name: m.name, mac: m.mac },
      }),
    );
  // The catch-all boots the shared maintenance profile: no talos.config, no generic config,
  // and the arguments every Talos profile has (talosArgs: that is where the boot-report
  // receiver's talos.events.sink and talos.logging.kernel belong), so a discovered machine reports in.
  if (discovery) groups.push({ name: DISCOVERY_GROUP, profile: PROFILE_NAMES.maintenance, selector: {}, metadata: {} });
  return { profiles, groups, talosConfigs };
}

/**
 * The Image Factory's metal installer for the site's schematic and version
 * (machine.install.image). `metal-installer/` is the path Talos 1.13's own
 * tooling uses; `installer/` is the older form.
 */
export function talosInstallerImage(site: SiteSettings): string {
  return metalInstallerImage(site.talos.schematic, site.talos.version);
}
