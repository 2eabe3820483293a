import { Document, isMap, isSeq, parseDocument } from "yaml";
import { quote } from "../../input/safe-text";
import type { DiscoveredMachine } from "./entries";

/** Comment lines for one entry: every reported value quoted (one line, escaped, capped), so none can end the comment. */
export function entryComment(d: DiscoveredMachine): string[] {
  const lines = [`discovered: first seen ${quote(d.firstSeen)}, last seen ${quote(d.lastSeen)}, phase ${quote(d.phase)}, from ${quote(d.address ?? "?")}`];
  const f = d.facts;
  if (f?.system) lines.push(`system: ${quote(f.system.manufacturer)} ${quote(f.system.productName)} serial ${quote(f.system.serialNumber)} uuid ${quote(f.system.uuid)}`);
  if (f && f.cpus.length > 0) lines.push(`cpu: ${f.cpus.map((c) => `${quote(c.productName)} ${c.coreCount} cores/${c.threadCount} threads`).join("; ")}`);
  if (f && f.memoryMiB > 0) lines.push(`memory: ${f.memoryMiB} MiB`);
  for (const l of f?.links.filter((x) => x.physical) ?? []) lines.push(`nic ${quote(l.id)} ${quote(l.mac)} link ${l.up ? "up" : "down"}${l.speedMbit ? ` ${l.speedMbit} Mbit/s` : ""}`);
  for (const k of f?.disks ?? []) {
    lines.push(`disk ${quote(k.devPath)} ${quote(k.prettySize)} model ${quote(k.model)} serial ${quote(k.serial)} wwid ${quote(k.wwid)} ${quote(k.transport)}${k.rotational ? " rotational" : ""}${k.readonly ? " read-only" : ""}${d.disk === k ? "  <- installDiskSelector picks this one" : ""}`);
  }
  const k = d.kernelLog;
  if (k?.dmi) lines.push(`kernel log: system ${quote(k.dmi)}`);
  if (k?.memoryMiB) lines.push(`kernel log: memory about ${k.memoryMiB} MiB`);
  for (const disk of k?.disks ?? []) lines.push(`kernel log: disk ${quote(disk.name)} ${quote(disk.prettySize)}${disk.model ? ` model ${quote(disk.model)}` : ""}`);
  for (const note of d.notes) lines.push(`note: ${note}`);
  lines.push("role: controlplane or worker: add it (a decision for review) before changing boot to install");
  return lines;
}

export class AppendError extends Error {}

/**
 * The inventory text with `entries` added after the last machine, written by
 * the yaml library (values as scalars it quotes as needed) in the file's own
 * list indentation. Everything before the insertion point and after it is
 * kept byte for byte: comments, blank lines and layout of the file are the
 * user's.
 */
export function appendEntries(text: string, entries: readonly DiscoveredMachine[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new AppendError(`the inventory is not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
  if (!isMap(doc.contents)) throw new AppendError("the inventory has no top-level map with machines:");
  const seq = doc.get("machines", true);
  if (!isSeq(seq) || seq.flow || seq.items.length === 0 || !seq.range) throw new AppendError("machines: must be a block list with at least one entry (- name: ...) to append to");
  const first = seq.items[0] as { range?: [number, number, number] };
  const firstStart = first.range![0];
  const lineStart = text.lastIndexOf("\n", firstStart - 1) + 1;
  const dash = text.slice(lineStart, firstStart).lastIndexOf("-");
  if (dash < 0) throw new AppendError("cannot find the list's indentation");
  const indent = " ".repeat(dash);
  // After the last item's value, at the end of its line.
  const valueEnd = seq.range[1];
  const lineEnd = text.indexOf("\n", valueEnd - 1);
  const at = lineEnd < 0 ? text.length : lineEnd + 1;

  const block = entries
    .filter((d) => d.entry)
    .map((d) => {
      const item = new Document([d.entry]).toString({ indentSeq: true, lineWidth: 0 });
      const comment = entryComment(d).map((l) => `# ${l}`);
      return [...comment, ...item.trimEnd().split("\n")].map((l) => `${indent}${l.startsWith("#") ? l : l}`).join("\n") + "\n";
    })
    .join("");
  const before = text.slice(0, at);
  return `${before}${before.endsWith("\n") || before === "" ? "" : "\n"}${block}${text.slice(at)}`;
}
