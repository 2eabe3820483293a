import { rescueBootAssets, talosBootAssets, type BootAsset } from "../boot-assets";
import type { Machine } from "../inventory";
import type { SiteSettings } from "../settings";
import { MATCHBOX_HTTP_PORT } from "../wireguard/render";
import { talosMetalKernelArgs } from "./talos-kernel-args";

/** A Matchbox profile as this project means it (values as Matchbox should finally hold them). */
export interface ProfileSpec {
  readonly name: string;
  readonly kernel: string;
  readonly initrd: readonly string[];
  readonly args: readonly string[];
  /** The Talos role whose machine config `/generic` serves; absent for maintenance and rescue. */
  readonly talosRole?: "controlplane" | "worker";
}

export interface GroupSpec {
  readonly name: string;
  readonly profile: string;
  readonly selector: { readonly mac: string };
  /** Flat string map (Matchbox metadata): the per-machine values of the Talos config template. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BootPlan {
  readonly profiles: readonly ProfileSpec[];
  readonly groups: readonly GroupSpec[];
}

export const PROFILE_NAMES = { controlplane: "talos-controlplane", worker: "talos-worker", maintenance: "talos-maintenance", rescue: "rescue" } as const;

/**
 * The kernel arguments Talos puts on a metal amd64 command line for the site's
 * Talos version (lib/matchbox/talos-kernel-args.ts), followed by the
 * schematic's own `extraKernelArgs`, as the Image Factory's
 * `cmdline-metal-amd64` has them. Site validation refuses an unknown minor.
 */
export function talosKernelArgs(site: SiteSettings): string[] {
  const known = talosMetalKernelArgs(site.talos.version);
  if ("error" in known) throw new Error(known.error);
  return [...known.args, ...(site.talos.schematicExtraKernelArgs ?? [])];
}

/** Matchbox's base URL as booting machines reach it: the gateway's tunnel IP. */
export function matchboxBaseUrl(site: SiteSettings): string {
  return `http://${site.wireguard.gatewayAddress}:${MATCHBOX_HTTP_PORT}`;
}

const assetUrl = (asset: BootAsset) => `/assets/${asset.path}`;
const fileName = (asset: BootAsset) => asset.path.split("/").pop()!;

/**
 * The profiles and groups for a site's inventory. One group per machine whose
 * boot mode is not `disk`, selected by MAC only; no catch-all group, so an
 * unknown MAC gets Matchbox's 404 instead of a cluster config.
 */
export function bootPlan(site: SiteSettings, machines: readonly Machine[]): BootPlan {
  const talos = talosBootAssets(site.talos);
  // iPXE names the initramfs after its file; `initrd=` must name that same file.
  const talosBase = { kernel: assetUrl(talos.kernel), initrd: [assetUrl(talos.initramfs)] };
  const talosArgs = [`initrd=${fileName(talos.initramfs)}`, ...talosKernelArgs(site)];
  const configUrl = `talos.config=${matchboxBaseUrl(site)}/generic?mac=\${mac:hexhyp}`;

  const profiles: ProfileSpec[] = [
    { name: PROFILE_NAMES.controlplane, ...talosBase, args: [...talosArgs, configUrl], talosRole: "controlplane" },
    { name: PROFILE_NAMES.worker, ...talosBase, args: [...talosArgs, configUrl], talosRole: "worker" },
    { name: PROFILE_NAMES.maintenance, ...talosBase, args: talosArgs },
  ];
  if (site.rescue) {
    const rescue = rescueBootAssets(site.rescue);
    profiles.push({ name: PROFILE_NAMES.rescue, kernel: assetUrl(rescue.kernel), initrd: [assetUrl(rescue.initrd)], args: [`initrd=${fileName(rescue.initrd)}`, ...site.rescue.args] });
  }

  const groups = machines
    .filter((m) => m.boot !== "disk")
    .map(
      (m): GroupSpec => ({
        name: m.name,
        profile: m.boot === "install" ? PROFILE_NAMES[m.role] : PROFILE_NAMES[m.boot as "maintenance" | "rescue"],
        selector: { mac: m.mac },
        // Every key, empty when unset: Matchbox renders /generic with missingkey=error.
        metadata: {
          name: m.name,
          mac: m.mac,
          hostname: m.hostname,
          install_disk: m.installDisk,
          address_cidr: m.addressCidr ?? "",
          gateway: m.gateway ?? "",
        },
      }),
    );
  return { profiles, groups };
}

/**
 * The Image Factory's metal installer for the site's schematic and version
 * (machine.install.image). `metal-installer/` is the path Talos 1.13's own
 * tooling uses; `installer/` is the older form.
 */
export function talosInstallerImage(site: SiteSettings): string {
  return `factory.talos.dev/metal-installer/${site.talos.schematic}:${site.talos.version}`;
}
