import { stringify } from "yaml";
import type { Machine } from "../../input/inventory";
import type { SiteSettings } from "../../input/settings";
import { bootReportDocuments } from "../boot-reports";

/**
 * Talos's patches, rendered here with the `yaml` library, never by string
 * surgery on a generated config: the Talos provider merges them into the
 * config Talos's own code generates, so nothing is decoded and re-encoded
 * (no `0644` → `644`, no `"on"` → `true`).
 *
 * YAML 1.1 output quotes every string a YAML 1.1 reader would take for a
 * boolean or a number (`"on"`, `"off"`, `"0644"`), so the patches mean the
 * same to any reader.
 */
const yaml = (value: unknown) => stringify(value, { version: "1.1", lineWidth: 0 });

/** Talos ≥ 1.12 takes the hostname from a HostnameConfig document; v1alpha1's machine.network.hostname beside it is refused. */
export function usesHostnameConfig(talosVersion: string): boolean {
  const [major, minor] = talosVersion.replace(/^v/, "").split(".").map(Number);
  return major > 1 || (major === 1 && minor >= 12);
}

/** The arguments a machine adds to every Talos command line: the site's, then its own. */
export function machineKernelArgs(site: SiteSettings, machine: Machine): string[] {
  return [...site.talos.kernelArgs, ...machine.kernelArgs];
}

/**
 * The Image Factory schematic a machine needs when it has kernel arguments of
 * its own (or the site has): since Talos 1.12 the installed system's command
 * line comes from the image's UKI, so the arguments must be in the schematic
 * its installer is built from. Undefined when the site's schematic serves.
 */
export function machineSchematic(site: SiteSettings, machine: Machine): string | undefined {
  const extra = machineKernelArgs(site, machine);
  if (extra.length === 0) return undefined;
  const customization: Record<string, unknown> = { extraKernelArgs: [...(site.talos.schematicExtraKernelArgs ?? []), ...extra] };
  if (site.talos.extensions.length > 0) customization.systemExtensions = { officialExtensions: [...site.talos.extensions] };
  return yaml({ customization });
}

/** The Image Factory metal installer for a schematic id (`metal-installer/` is the path Talos 1.13's own tooling uses). */
export function metalInstallerImage(schematicId: string, talosVersion: string): string {
  return `factory.talos.dev/metal-installer/${schematicId}:${talosVersion}`;
}

/** machine.nodeTaints as Talos reads it: key → `value:Effect`, or `Effect` without a value. */
function talosTaints(machine: Machine): Record<string, string> {
  return Object.fromEntries(machine.nodeTaints.map((t) => [t.key, t.value ? `${t.value}:${t.effect}` : t.effect]));
}

/**
 * netboot's own patches for one machine, in order: the v1alpha1 document
 * (install disk or selector, installer image, the NIC selected by MAC with its
 * static address and default route or DHCP, labels, taints) and, for
 * Talos ≥ 1.12, the HostnameConfig document with a static hostname
 * (`auto: off`, as Talos's documentation patches it); then the
 * EventSinkConfig and KmsgLogConfig documents, so the installed system keeps
 * reporting to the boot-report receiver (lib/model/boot-reports.ts).
 */
export function netbootMachinePatches(site: SiteSettings, machine: Machine, installerImage: string): string[] {
  const install: Record<string, unknown> = machine.installDiskSelector ? { diskSelector: { ...machine.installDiskSelector } } : { disk: machine.installDisk };
  install.image = installerImage;
  const nic: Record<string, unknown> = { deviceSelector: { hardwareAddr: machine.mac } };
  if (machine.addressCidr) Object.assign(nic, { dhcp: false, addresses: [machine.addressCidr], routes: [{ network: "0.0.0.0/0", gateway: machine.gateway }] });
  else nic.dhcp = true;
  const network: Record<string, unknown> = { interfaces: [nic] };
  const hostnameDocument = usesHostnameConfig(site.talos.version);
  if (!hostnameDocument) network.hostname = machine.hostname;
  const v1alpha1: Record<string, unknown> = { install, network };
  if (Object.keys(machine.nodeLabels).length > 0) v1alpha1.nodeLabels = { ...machine.nodeLabels };
  if (machine.nodeTaints.length > 0) v1alpha1.nodeTaints = talosTaints(machine);
  const patches = [yaml({ machine: v1alpha1 })];
  if (hostnameDocument) patches.push(yaml({ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: machine.hostname, auto: "off" }));
  for (const document of bootReportDocuments(site)) patches.push(yaml(document));
  return patches;
}
