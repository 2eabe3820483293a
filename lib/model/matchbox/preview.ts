import type { NetbootSite } from "../../input/site";
import { normalizeMac, type CanonicalMac } from "../../input/mac";
import { metalInstallerImage } from "../talos/machine-patches";
import { ABSENT_PROFILE, bootPlan, INSTALLER_IMAGE_PLACEHOLDER, talosInstallerImage, type TalosConfigSpec } from "./boot-plan";
import { talosMetalKernelArgs } from "../../input/talos/metal-kernel-args";
import { BOOT_IPXE, matchboxStoreFromPlan, renderIpxe, selectGroup, type MatchboxStore, type StoredGroup, type StoredProfile } from "./selection";

/** What Matchbox will hold for a site: the boot plan the matchbox-config stack is built from. */
export function plannedMatchboxStore(site: NetbootSite): MatchboxStore {
  return matchboxStoreFromPlan(bootPlan(site.settings, site.machines));
}

export type PreviewResult =
  | { readonly kind: "invalid-mac"; readonly message: string }
  | {
      readonly kind: "boot";
      readonly mac: CanonicalMac;
      readonly group: StoredGroup;
      readonly profile: StoredProfile;
      readonly ipxe: string;
      /** Each kernel argument of the profile, where it comes from and whether the installed system has it too. */
      readonly args: readonly ArgOrigin[];
      /** The machine's generated Talos config, for an installing machine. */
      readonly talos?: TalosPreview;
    }
  | { readonly kind: "not-found"; readonly mac: CanonicalMac; readonly reason: string };

/** Which group and profile Matchbox would select for `mac`, and the exact `/ipxe` answer. */
export interface ArgOrigin {
  readonly arg: string;
  readonly from: string;
  /** Also on the installed system's command line (the UKI of its installer's schematic). */
  readonly installed: boolean;
}

export interface TalosPreview {
  readonly spec: TalosConfigSpec;
  /** The installer image as it will be written (the generated schematic's id is known after apply). */
  readonly installer: string;
}

function argOrigins(site: NetbootSite, profile: StoredProfile, machineArgs: readonly string[]): ArgOrigin[] {
  const talos = talosMetalKernelArgs(site.settings.talos.version);
  const talosArgs = "args" in talos ? talos.args : [];
  const schematic = site.settings.talos.schematicExtraKernelArgs ?? [];
  return profile.args.map((arg): ArgOrigin => {
    if (arg.startsWith("initrd=")) return { arg, from: "iPXE: names the initramfs it loaded", installed: false };
    if (arg.startsWith("talos.config=")) return { arg, from: "netboot: where this machine's config is served", installed: false };
    // The installed system reports through its config's EventSinkConfig and KmsgLogConfig documents instead.
    if (arg.startsWith("talos.events.sink=")) return { arg, from: "netboot: Talos's events to the boot-report receiver", installed: false };
    if (arg.startsWith("talos.logging.kernel=")) return { arg, from: "netboot: the kernel log to the boot-report receiver", installed: false };
    if (talosArgs.includes(arg)) return { arg, from: `Talos ${site.settings.talos.version} metal defaults`, installed: true };
    if (schematic.includes(arg)) return { arg, from: "the site's schematic (talos.schematicExtraKernelArgs)", installed: true };
    if (site.settings.talos.kernelArgs.includes(arg)) return { arg, from: "the site (talos.kernelArgs)", installed: true };
    if (machineArgs.includes(arg)) return { arg, from: "this machine (kernelArgs)", installed: true };
    return { arg, from: "the rescue image (rescue.args)", installed: false };
  });
}

export function previewBoot(site: NetbootSite, store: MatchboxStore, macInput: string): PreviewResult {
  const parsed = normalizeMac(macInput);
  if ("error" in parsed) return { kind: "invalid-mac", message: parsed.error };
  const group = selectGroup(store.groups, { mac: parsed.mac });
  if (!group) {
    const machine = site.machines.find((m) => m.mac === parsed.mac);
    const reason = machine
      ? `machine "${machine.name}" has boot: ${machine.boot}, so it has no group: Matchbox answers 404 and the machine boots from its disk`
      : "no machine in the inventory has this MAC and there is no catch-all group: Matchbox answers 404 (No matching profile/group)";
    return { kind: "not-found", mac: parsed.mac, reason };
  }
  const profile = store.profiles.get(group.profile);
  if (!profile && group.profile === ABSENT_PROFILE) {
    const reason = `machine "${group.name}" has boot: disk; with discovery on it has a group that names no profile (so the catch-all cannot take it): Matchbox answers 404 and the machine boots from its disk`;
    return { kind: "not-found", mac: parsed.mac, reason };
  }
  if (!profile) return { kind: "not-found", mac: parsed.mac, reason: `group ${group.name} names profile ${group.profile}, which does not exist: Matchbox answers 404` };
  const machine = site.machines.find((m) => m.name === group.name);
  const spec = bootPlan(site.settings, site.machines).talosConfigs.find((c) => c.machine === group.name);
  const talos = spec && {
    spec,
    installer: spec.schematic
      ? metalInstallerImage("<id of the schematic below>", site.settings.talos.version)
      : talosInstallerImage(site.settings),
  };
  return { kind: "boot", mac: parsed.mac, group, profile, ipxe: renderIpxe(profile), args: argOrigins(site, profile, machine?.kernelArgs ?? []), talos };
}

export function formatPreview(result: PreviewResult, baseUrl: string): string {
  switch (result.kind) {
    case "invalid-mac":
      return `error: ${result.message}\n`;
    case "not-found":
      return `MAC      ${result.mac}\nresult   HTTP 404 from ${baseUrl}/ipxe?mac=${result.mac.replace(/:/g, "-")}\nwhy      ${result.reason}\n`;
    case "boot": {
      const meta = Object.entries(result.group.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      return [
        `MAC      ${result.mac}`,
        result.group.selector.mac === undefined
          ? `group    ${result.group.name}  (no selector: discovery's catch-all, for every MAC no inventory entry has)`
          : `group    ${result.group.name}  (selector mac=${result.group.selector.mac})`,
        `profile  ${result.profile.name}${result.profile.hasGenericConfig ? "  (serves a Talos machine config at /generic)" : "  (no machine config)"}`,
        `metadata ${meta}`,
        "",
        `# ${baseUrl}/boot.ipxe`,
        BOOT_IPXE.trimEnd(),
        "",
        `# ${baseUrl}/ipxe?mac=${result.mac.replace(/:/g, "-")}`,
        result.ipxe.trimEnd(),
        "",
        "kernel arguments (PXE boot; \"installed\" = also on the installed system):",
        ...result.args.map((a) => `  ${a.arg.padEnd(42)} ${a.installed ? "installed  " : "PXE only   "}${a.from}`),
        "",
        ...(result.talos ? talosLines(result.talos) : []),
      ].join("\n");
    }
  }
}

function talosLines(talos: TalosPreview): string[] {
  const patches = talos.spec.patches.map((p) => p.split(INSTALLER_IMAGE_PLACEHOLDER).join(talos.installer));
  return [
    `Talos config (${talos.spec.role}), generated by the Talos provider from these patches, in order:`,
    ...patches.flatMap((p, i) => [`# netboot patch ${i + 1}`, p.trimEnd()]),
    ...talos.spec.patchFiles.map((f) => `# patch file ${f} (passed as written)`),
    "",
    ...(talos.spec.schematic
      ? ["Installer schematic (Image Factory; its arguments reach the installed system):", talos.spec.schematic.trimEnd(), ""]
      : ["Installer: the site's schematic (talos.schematic); no arguments of its own.", ""]),
  ];
}
