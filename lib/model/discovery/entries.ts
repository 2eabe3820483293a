import { isIP } from "node:net";
import type { InstallDiskSelector, Machine } from "../../input/inventory";
import { normalizeMac, type CanonicalMac } from "../../input/mac";
import type { KernelHardware, ReportedMachine, TalosResource } from "../../input/discovery-reports";

/** Talos v1.13.9 resource types the maintenance API serves to an insecure (Reader) client. */
export const FACT_TYPES = {
  disks: "Disks.block.talos.dev",
  links: "LinkStatuses.net.talos.dev",
  system: "SystemInformations.hardware.talos.dev",
  cpus: "Processors.hardware.talos.dev",
  memory: "MemoryModules.hardware.talos.dev",
} as const;

export interface DiskFact {
  readonly id: string;
  readonly devPath: string;
  readonly size: number;
  readonly prettySize: string;
  readonly model: string;
  readonly serial: string;
  readonly wwid: string;
  readonly transport: string;
  readonly rotational: boolean;
  readonly readonly: boolean;
  readonly cdrom: boolean;
}

export interface LinkFact {
  readonly id: string;
  readonly mac: string;
  readonly up: boolean;
  readonly physical: boolean;
  readonly speedMbit?: number;
}

export interface HardwareFacts {
  readonly links: readonly LinkFact[];
  readonly disks: readonly DiskFact[];
  readonly system?: { readonly manufacturer: string; readonly productName: string; readonly serialNumber: string; readonly uuid: string };
  readonly cpus: readonly { readonly productName: string; readonly coreCount: number; readonly threadCount: number }[];
  readonly memoryMiB: number;
}

/** The inventory entry proposed for one discovered machine (role left to the user). */
export interface ProposedEntry {
  readonly name: string;
  readonly mac: CanonicalMac;
  readonly boot: "maintenance";
  readonly installDiskSelector?: InstallDiskSelector;
}

export interface DiscoveredMachine {
  readonly mac: CanonicalMac | null;
  /** Other MACs the same server (same SMBIOS UUID) booted from. */
  readonly otherMacs: readonly CanonicalMac[];
  readonly address: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly phase: string;
  readonly talosVersion: string | null;
  readonly facts?: HardwareFacts;
  /** What its kernel log said about its hardware, as the receiver read it (no WWID or serial). */
  readonly kernelLog?: KernelHardware;
  /** The disk the selector picks, when one could be chosen. */
  readonly disk?: DiskFact;
  /** Why no disk selector was proposed, or what to check. */
  readonly notes: readonly string[];
  /** Undefined when no MAC is known (nothing to append). */
  readonly entry?: ProposedEntry;
}

const s = (v: unknown) => (typeof v === "string" ? v : "");
const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function factsFor(resources: readonly TalosResource[]): HardwareFacts {
  const of = (type: string) => resources.filter((r) => r.type === type);
  const sys = of(FACT_TYPES.system)[0]?.spec;
  return {
    links: of(FACT_TYPES.links).map((r) => ({
      id: r.id,
      mac: s(r.spec.hardwareAddr),
      up: r.spec.linkState === true,
      // A NIC has a bus path; bonds, bridges and VLANs have a kind.
      physical: s(r.spec.kind) === "" && s(r.spec.busPath) !== "",
      speedMbit: typeof r.spec.speedMbit === "number" ? r.spec.speedMbit : undefined,
    })),
    disks: of(FACT_TYPES.disks).map((r) => ({
      id: r.id,
      devPath: s(r.spec.dev_path),
      size: n(r.spec.size),
      prettySize: s(r.spec.pretty_size),
      model: s(r.spec.model),
      serial: s(r.spec.serial),
      wwid: s(r.spec.wwid),
      transport: s(r.spec.transport),
      rotational: r.spec.rotational === true,
      readonly: r.spec.readonly === true,
      cdrom: r.spec.cdrom === true,
    })),
    system: sys && { manufacturer: s(sys.manufacturer), productName: s(sys.productName), serialNumber: s(sys.serialnumber), uuid: s(sys.uuid) },
    cpus: of(FACT_TYPES.cpus).map((r) => ({ productName: s(r.spec.productName), coreCount: n(r.spec.coreCount), threadCount: n(r.spec.threadCount) })),
    memoryMiB: of(FACT_TYPES.memory).reduce((sum, r) => sum + n(r.spec.sizeMiB), 0),
  };
}

/**
 * A disk Talos may install to: not read-only, not a CD-ROM, not on USB
 * (removable), and with a transport (Talos v1.13.9's install.diskSelector adds
 * `disk.transport != ""` to every selector: v1alpha1_provider.go).
 */
const installable = (d: DiskFact) => !d.readonly && !d.cdrom && d.transport !== "" && d.transport !== "usb" && d.size > 0;

/**
 * A value usable in a selector field: Talos matches wwid, serial and model as
 * ryanuber/go-glob patterns (only `*` is special, and it cannot be escaped), and
 * the inventory takes one line per value.
 */
const selectorValue = (v: string) => v !== "" && !v.includes("*") && !/[\u0000-\u001f\u007f]/.test(v);

/** The selector that picks the largest installable disk, and only it among this machine's disks. */
export function largestDiskSelector(disks: readonly DiskFact[]): { disk?: DiskFact; selector?: InstallDiskSelector; note?: string } {
  const candidates = disks.filter(installable).sort((a, b) => b.size - a.size || a.devPath.localeCompare(b.devPath));
  if (disks.length === 0) return { note: "the machine reported no disks: choose installDisk or installDiskSelector yourself before boot: install" };
  if (candidates.length === 0) return { note: "no disk it reported is installable (all read-only, CD-ROM, USB or without a transport): choose the install disk yourself" };
  const disk = candidates[0];
  for (const field of ["wwid", "serial"] as const) {
    const value = disk[field];
    if (selectorValue(value) && disks.filter((d) => d[field] === value).length === 1) return { disk, selector: { [field]: value } };
  }
  return { disk, note: "the largest disk has no usable unique WWID or serial (empty, shared, or containing * or a control character, which Talos would read as a pattern): choose the install disk yourself" };
}

/** The receiver's phases of a machine that installs or runs an installed Talos (lib/commands/boot-status.ts PHASES). */
const INSTALLED_PHASES: readonly string[] = ["installing", "installed", "running"];

/** A DNS-label name not yet taken: new-<last three bytes of the MAC>. */
function suggestName(mac: CanonicalMac, taken: Set<string>): string {
  const base = `new-${mac.split(":").slice(3).join("")}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

/**
 * Machines the receiver saw that no inventory entry names, each with a
 * proposed entry. Facts are matched to a report by the address talosctl was
 * given (`node`), or by a link with the report's MAC; reports whose facts
 * carry the same SMBIOS UUID are one server (booted through two NICs): one
 * entry, with the MAC seen last.
 */
export function discoveredMachines(reports: readonly ReportedMachine[], resources: readonly TalosResource[], inventory: readonly Machine[]): DiscoveredMachine[] {
  const listed = new Set(inventory.map((m) => m.mac));
  const unknown = reports.filter((r) => r.machine === null && !(r.mac && listed.has(r.mac)));
  const nodes = new Map<string, TalosResource[]>();
  for (const r of resources) nodes.set(r.node, [...(nodes.get(r.node) ?? []), r]);
  const nodeOf = (r: ReportedMachine): string | undefined => {
    if (r.address && nodes.has(r.address)) return r.address;
    if (!r.mac) return undefined;
    for (const [node, rs] of nodes) {
      if (rs.some((x) => x.type === FACT_TYPES.links && "mac" in normalizeMac(s(x.spec.hardwareAddr)) && (normalizeMac(s(x.spec.hardwareAddr)) as { mac: string }).mac === r.mac)) return node;
    }
    return undefined;
  };

  // One server per SMBIOS UUID (when known), the report seen last first.
  const servers = new Map<string, { reports: ReportedMachine[]; facts?: HardwareFacts }>();
  for (const r of [...unknown].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))) {
    const node = nodeOf(r);
    const facts = node === undefined ? undefined : factsFor(nodes.get(node)!);
    const key = facts?.system?.uuid ? `uuid:${facts.system.uuid}` : `report:${r.mac ?? ""}:${r.address ?? ""}:${r.firstSeen}`;
    const server = servers.get(key);
    if (server) server.reports.push(r);
    else servers.set(key, { reports: [r], facts });
  }

  const taken = new Set(inventory.map((m) => m.name));
  // Listed in the receiver's order (of each server's first report there).
  const order = (rs: readonly ReportedMachine[]) => Math.min(...rs.map((r) => unknown.indexOf(r)));
  const ordered = [...servers.values()].sort((a, b) => order(a.reports) - order(b.reports));
  return ordered.map(({ reports: [first, ...rest], facts }): DiscoveredMachine => {
    const notes: string[] = [];
    let mac = first.mac;
    if (!mac && facts) {
      const up = facts.links.filter((l) => l.physical && l.up).map((l) => normalizeMac(l.mac)).filter((p): p is { mac: CanonicalMac } => "mac" in p);
      if (up.length === 1) {
        mac = up[0].mac;
        notes.push("the receiver did not know its MAC: the one physical link that is up was taken; check it is the NIC that network-boots");
      }
    }
    if (!mac) notes.push("no MAC known (the receiver did not report one, and the facts name no single link that is up): no entry proposed");
    // Discovery boots maintenance mode, which installs nothing: a machine in no entry that installs or runs
    // was removed from the inventory (its installed system still reports) or installed some other way.
    const installedElsewhere = INSTALLED_PHASES.includes(first.phase);
    if (installedElsewhere) notes.push(`it reports phase ${first.phase}: Talos installed, not discovery's maintenance mode (a machine removed from the inventory, or installed another way): no entry proposed; add it by hand if it belongs in the inventory`);
    const otherMacs = rest.map((r) => r.mac).filter((m): m is CanonicalMac => m !== null && m !== mac);
    if (otherMacs.length > 0) notes.push(`the same server (SMBIOS UUID) also booted from ${otherMacs.join(", ")}: the inventory can name one NIC per machine`);
    const pick = facts ? largestDiskSelector(facts.disks) : { note: `no hardware facts given (--facts): before boot: install, read them from an admin peer through the tunnel (talosctl get disks --insecure -n ${first.address !== null && isIP(first.address) ? first.address : "<address>"} -o json, docs/discovery.md) and set installDiskSelector or installDisk` };
    if (pick.note) notes.push(pick.note);
    const entry: ProposedEntry | undefined = mac && !installedElsewhere
      ? { name: suggestName(mac, taken), mac, boot: "maintenance", ...(pick.selector ? { installDiskSelector: pick.selector } : {}) }
      : undefined;
    const kernelLog = [first, ...rest].find((r) => r.hardware)?.hardware ?? undefined;
    return { mac, otherMacs, address: first.address, firstSeen: first.firstSeen, lastSeen: first.lastSeen, phase: first.phase, talosVersion: first.talosVersion, facts, ...(kernelLog ? { kernelLog } : {}), disk: pick.disk, notes, entry };
  });
}
