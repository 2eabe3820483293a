import { normalizeMac, type CanonicalMac } from "./mac";
import { quote } from "./safe-text";

/**
 * What discovery reads: the boot-report receiver's `GET /status`
 * (`netboot.boot-status/v1`, docs/adr/0019) and the JSON that
 * `talosctl get <resource> --insecure -n <address> -o json` prints for a
 * machine in maintenance mode (Talos v1.13.9 cmd/talosctl/cmd/talos/output/json.go:
 * one indented JSON object per resource, `{"node", "metadata", "spec"}`, one
 * after another). Every string in them comes from the machine or the network
 * and is data: the callers quote it (safe-text.ts) or let the yaml library
 * write it as a scalar.
 */
export interface ReportedMachine {
  readonly machine: string | null;
  readonly mac: CanonicalMac | null;
  readonly address: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly phase: string;
  readonly talosVersion: string | null;
  /** What the machine's kernel log said about its hardware (the receiver's kernelFacts), when it said anything. */
  readonly hardware?: KernelHardware | null;
}

/**
 * The hardware a machine's kernel log names (constructs/boot-report-receiver
 * receiver.js kernelFacts): its DMI system string, memory, and the disks the
 * kernel attached with their size (and SCSI model). No WWID or serial: those
 * come only from the maintenance API.
 */
export interface KernelHardware {
  readonly dmi: string | null;
  readonly memoryMiB: number | null;
  readonly disks: readonly { readonly name: string; readonly size: number; readonly prettySize: string; readonly model: string | null }[];
}

/** The most kernel-log disks kept, as the receiver keeps them (MAX_KERNEL_DISKS). */
const MAX_KERNEL_DISKS = 32;

/** A receiver's `hardware` value as KernelHardware, or null when it is absent or not of that shape (it is the machine's word: never trusted further). */
export function parseKernelHardware(value: unknown): KernelHardware | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const text = (x: unknown, max: number) => (typeof x === "string" ? Array.from(x).slice(0, max).join("") : null);
  const disks = Array.isArray(v.disks) ? v.disks : [];
  return {
    dmi: text(v.dmi, 128),
    memoryMiB: typeof v.memoryMiB === "number" && Number.isInteger(v.memoryMiB) && v.memoryMiB >= 0 ? v.memoryMiB : null,
    disks: disks
      .filter((d): d is Record<string, unknown> => d !== null && typeof d === "object" && typeof (d as Record<string, unknown>).name === "string")
      .slice(0, MAX_KERNEL_DISKS)
      .map((d) => ({ name: text(d.name, 16)!, size: typeof d.size === "number" && Number.isFinite(d.size) && d.size >= 0 ? d.size : 0, prettySize: text(d.prettySize, 16) ?? "", model: text(d.model, 64) })),
  };
}

export interface TalosResource {
  /** The address given to talosctl -n. */
  readonly node: string;
  /** e.g. `Disks.block.talos.dev`. */
  readonly type: string;
  readonly id: string;
  readonly spec: Record<string, unknown>;
}

export class ReportError extends Error {}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The machines of a /status document; an entry without a usable MAC keeps mac null. */
export function parseStatus(text: string, file: string): ReportedMachine[] {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ReportError(`${file}: not JSON: ${quote((err as Error).message)}`);
  }
  if (doc?.schema !== "netboot.boot-status/v1" || !Array.isArray(doc.machines)) {
    throw new ReportError(`${file}: not the boot-report receiver's status (expected "schema": "netboot.boot-status/v1" and a "machines" list; got schema ${quote(doc?.schema ?? null)})`);
  }
  return doc.machines
    .filter((m: unknown) => m !== null && typeof m === "object")
    .map((m: any): ReportedMachine => {
      const parsed = typeof m.mac === "string" ? normalizeMac(m.mac) : undefined;
      return {
        machine: str(m.machine),
        mac: parsed && "mac" in parsed ? parsed.mac : null,
        address: str(m.address),
        firstSeen: str(m.firstSeen) ?? "",
        lastSeen: str(m.lastSeen) ?? "",
        phase: str(m.phase) ?? "",
        talosVersion: str(m.talosVersion),
        hardware: parseKernelHardware(m.hardware),
      };
    });
}

/** Splits concatenated JSON values (talosctl's -o json stream) and parses each. */
function jsonStream(text: string, file: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth < 0) throw new ReportError(`${file}: not talosctl -o json output (unbalanced ${c} at character ${i})`);
      if (depth === 0) {
        try {
          values.push(JSON.parse(text.slice(start, i + 1)));
        } catch (err) {
          throw new ReportError(`${file}: not talosctl -o json output: ${quote((err as Error).message)}`);
        }
      }
    } else if (depth === 0 && !/\s/.test(c)) throw new ReportError(`${file}: not talosctl -o json output (unexpected ${quote(c)} at character ${i})`);
  }
  if (depth !== 0 || inString) throw new ReportError(`${file}: not talosctl -o json output (it ends inside a value)`);
  return values;
}

/** The resources of one `talosctl get … -o json` output. */
export function parseTalosResources(text: string, file: string): TalosResource[] {
  return jsonStream(text, file).flatMap((v: any): TalosResource[] => {
    if (v === null || typeof v !== "object" || typeof v.metadata?.type !== "string" || v.spec === null || typeof v.spec !== "object") {
      throw new ReportError(`${file}: a value without metadata.type and spec: not a talosctl get -o json resource`);
    }
    return [{ node: str(v.node) ?? "", type: v.metadata.type, id: str(v.metadata.id) ?? "", spec: v.spec }];
  });
}
