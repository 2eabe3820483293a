import machinesSchema from "../../matchbox-config/machines.schema.json";
import { cidrContains, lastAddress, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from "./cidr";
import { FirstSeen } from "./first-seen";
import { normalizeMac, type CanonicalMac } from "./mac";
import { checkAgainstSchema } from "./schema-check";
import type { SiteSettings } from "./settings";
import { checkMachineTalosFields } from "./talos/machine-check";
import { readPatchFile, type PatchReader } from "./talos/patch-files";
import { DataFileError, YamlSource, type FieldPath, type Problem } from "./yaml-source";

export type MachineRole = "controlplane" | "worker";
export type BootMode = "install" | "maintenance" | "rescue" | "disk";

/** One machine of the inventory, after validation. */
export interface Machine {
  readonly name: string;
  /** Canonical form (lower case, colons), whatever was written in the file. */
  readonly mac: CanonicalMac;
  /** Always set for boot: install; a machine in maintenance, rescue or on disk may have none yet. */
  readonly role?: MachineRole;
  readonly hostname: string;
  /** Static address with the boot VLAN's prefix, e.g. 10.0.20.10/24. */
  readonly addressCidr?: string;
  /** The boot VLAN's gateway for a machine with a static address. */
  readonly gateway?: string;
  /** Exactly one of installDisk and installDiskSelector is set (installDisk defaults to /dev/sda). */
  readonly installDisk?: string;
  readonly installDiskSelector?: InstallDiskSelector;
  readonly boot: BootMode;
  /** This machine's own kernel arguments (after the site's talos.kernelArgs). */
  readonly kernelArgs: readonly string[];
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly nodeTaints: readonly NodeTaint[];
  /** Talos patch files, repository-relative, after the site's. */
  readonly patches: readonly string[];
}

/** Talos's machine.install.diskSelector (v1alpha1 InstallDiskSelector). */
export interface InstallDiskSelector {
  readonly size?: string;
  readonly name?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly modalias?: string;
  readonly uuid?: string;
  readonly wwid?: string;
  readonly type?: "ssd" | "hdd" | "nvme" | "sd";
  readonly busPath?: string;
}

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface RawMachine {
  name: string;
  mac: string;
  role?: MachineRole;
  hostname?: string;
  address?: string;
  installDisk?: string;
  installDiskSelector?: InstallDiskSelector;
  boot: BootMode;
  kernelArgs?: string[];
  nodeLabels?: Record<string, string>;
  nodeTaints?: string[];
  patches?: string[];
}

/**
 * Machine names that cannot install Talos: their own profile (`talos-<name>`,
 * lib/model/matchbox/boot-plan.ts) would be a shared profile's name;
 * test/unit/inventory.test.ts checks the two agree.
 */
export const RESERVED_MACHINE_NAMES: readonly string[] = ["maintenance"];

export function loadInventory(file: string, displayName: string, site: SiteSettings): Machine[] {
  return parseInventory(YamlSource.read(file, displayName), site);
}

/** Validates an inventory against its schema and the site (patch files read with `readPatch`, the working tree's by default); throws DataFileError with one problem per line. */
export function parseInventory(source: YamlSource, site: SiteSettings, readPatch: PatchReader = readPatchFile): Machine[] {
  const value = source.value() ?? {};
  const schemaProblems = checkAgainstSchema(machinesSchema, value, source).map((p) => withMachineName(p, value));
  const raw = (value as { machines?: unknown }).machines;
  if (!Array.isArray(raw)) throw new DataFileError(`inventory ${source.file}`, schemaProblems);
  // Entries with structural problems are reported as such; the rest are still
  // checked, so one run lists every problem in the file.
  const broken = new Set(schemaProblems.map((p) => /^machines\[(\d+)\]/.exec(p.field)?.[1]).filter((i) => i !== undefined).map(Number));
  const { machines, problems } = checkMachines(raw as RawMachine[], site, source, broken, readPatch);
  const all = [...schemaProblems, ...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (all.length > 0) throw new DataFileError(`inventory ${source.file}`, all);
  return machines;
}

function withMachineName(p: Problem, value: unknown): Problem {
  const index = /^machines\[(\d+)\]/.exec(p.field)?.[1];
  const name = index === undefined ? undefined : (value as { machines?: { name?: unknown }[] }).machines?.[Number(index)]?.name;
  return typeof name === "string" ? { ...p, entry: name } : p;
}

function checkMachines(raw: readonly RawMachine[], site: SiteSettings, src: YamlSource, skip: ReadonlySet<number>, readPatch: PatchReader): { machines: Machine[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const vlans = site.bootVlanCidrs.map((c) => parseIpv4Cidr(c) as Ipv4Cidr);
  const seen = new FirstSeen();

  const machines = raw.flatMap((m, i): Machine[] => {
    if (skip.has(i)) return [];
    const problem = (field: string | FieldPath, message: string) => problems.push(src.problem(["machines", i, ...(typeof field === "string" ? [field] : field)], message, m.name));
    const duplicate = (kind: string, field: string, key: string, shown: string) => {
      const before = seen.before(kind, key, i);
      if (before !== undefined) problem(field, `duplicate ${kind} ${shown} (also machines[${before}] "${raw[before].name}")`);
    };

    const nameTaken = seen.before("name", m.name, i);
    if (nameTaken !== undefined) problem("name", `duplicate name "${m.name}" (also machines[${nameTaken}] "${raw[nameTaken].name}")`);
    if (m.boot === "install" && m.role === undefined) {
      problem("boot", 'boot: install needs a role: add role: controlplane or role: worker (a machine in maintenance, rescue or on disk may leave it out)');
    }
    if (m.boot === "install" && RESERVED_MACHINE_NAMES.includes(m.name)) {
      problem("name", `"${m.name}" cannot install Talos under this name: an installing machine's Matchbox profile is talos-<name>, and talos-${m.name} is the shared profile of every machine in ${m.name}; rename the machine`);
    }
    const normalized = normalizeMac(m.mac);
    if ("error" in normalized) problem("mac", normalized.error);
    else duplicate("MAC", "mac", normalized.mac, normalized.mac === m.mac ? m.mac : `${m.mac} (= ${normalized.mac})`);
    const mac = "mac" in normalized ? normalized.mac : (m.mac as CanonicalMac);
    const hostname = m.hostname ?? m.name;
    // A hostname derived from a duplicate name is the same problem, reported once.
    if (m.hostname || nameTaken === undefined) duplicate("hostname", m.hostname ? "hostname" : "name", hostname, `"${hostname}"`);

    let addressCidr: string | undefined;
    let gateway: string | undefined;
    if (m.address !== undefined) {
      const address = parseIpv4(m.address);
      if (typeof address === "string") problem("address", address);
      else {
        const vlan = vlans.find((v) => cidrContains(v, address));
        if (!vlan) problem("address", `${m.address} is outside the boot VLAN(s) ${site.bootVlanCidrs.join(", ")}`);
        else if (m.address === vlan.address.toString() || m.address === lastAddress(vlan).toString()) {
          problem("address", `${m.address} is the network or broadcast address of ${vlan.text}`);
        } else {
          duplicate("address", "address", m.address, m.address);
          gateway = site.bootVlanGateways[vlan.text];
          if (!gateway) problem("address", `a static address needs the VLAN's gateway: add bootVlanGateways."${vlan.text}" to the site settings, or omit address to use DHCP`);
          else if (gateway === m.address) problem("address", `${m.address} is the boot VLAN's gateway (bootVlanGateways."${vlan.text}")`);
          addressCidr = `${m.address}/${vlan.prefix}`;
        }
      }
    }
    if (m.boot === "rescue" && !site.rescue) {
      problem("boot", 'boot: rescue needs a rescue image in the site settings (rescue: kernelUrl, kernelSha256, initrdUrl, initrdSha256, args); allowed here: install, maintenance, disk');
    }
    const talos = checkMachineTalosFields(m, site, problem, readPatch);
    return [{ name: m.name, mac, role: m.role, hostname, addressCidr, gateway, boot: m.boot, ...talos }];
  });
  return { machines, problems };
}

/**
 * Where talosctl reaches the control plane: the control-plane machines'
 * static addresses, else the host of the cluster endpoint.
 */
export function controlPlaneAddresses(machines: readonly Machine[], clusterEndpoint: string): string[] {
  const addresses = machines.filter((m) => m.role === "controlplane" && m.addressCidr).map((m) => m.addressCidr!.split("/")[0]);
  return addresses.length > 0 ? addresses : [new URL(clusterEndpoint).hostname];
}
