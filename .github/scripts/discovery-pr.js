// The discovery pull request's body (docs/adr/0019), for the scheduled
// close-boot-windows workflow or by hand:
//
//   npm run --silent discovered -- --status status.json [--facts f.json]... --json > discovered.json
//   npm run --silent discovered -- --status status.json [--facts f.json]... --append   (the branch's change)
//   npm run --silent boot-diff -- --base HEAD --markdown > boot-diff.md
//   node .github/scripts/discovery-pr.js body discovered.json [boot-diff.md] [run-url] > body.md
//   node .github/scripts/discovery-pr.js names discovered.json > names   (the entries' names, one a line)
//
// Everything a machine reported is data: each machine's facts and proposed
// entry go into one fenced code block (no Markdown, mention, link or HTML is
// read inside it), every value quoted on one line with control characters
// escaped, and the fence longer than any run of backticks inside it. Plain
// CommonJS on Node's standard library; test/unit/discovery-pr.test.ts runs it.
"use strict";

const fs = require("node:fs");
const { fencedBlock, truncateMarkdown } = require("../../lib/model/markdown.js");

/** GitHub's limit for a pull request body is 65536 characters; leave room. */
const MAX_BODY = 60000;
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

class PrError extends Error {}

/** A value as a JSON string on one line, invisible characters escaped, capped. */
function quote(value, max = 120) {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  const chars = Array.from(text);
  const body = chars.slice(0, max).join("").replace(/\\/g, "\\\\").replace(/"/g, '\\"')
    .replace(INVISIBLE, (c) => ({ "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `"${body}"${chars.length > max ? `... (${chars.length - max} more characters)` : ""}`;
}

function readDiscovered(file) {
  let value;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PrError(`${file}: cannot read npm run discovered -- --json output: ${err.message}`);
  }
  if (!Array.isArray(value)) throw new PrError(`${file}: not npm run discovered -- --json output (expected a list of machines)`);
  return value;
}

function machineLines(d) {
  const f = d.facts || {};
  const lines = [`discovered ${quote(d.mac)}: first seen ${quote(d.firstSeen)}, last seen ${quote(d.lastSeen)}, phase ${quote(d.phase)}, from ${quote(d.address)}, Talos ${quote(d.talosVersion)}`];
  if (f.system) lines.push(`system  ${quote(f.system.manufacturer)} ${quote(f.system.productName)} serial ${quote(f.system.serialNumber)} uuid ${quote(f.system.uuid)}`);
  for (const c of f.cpus || []) lines.push(`cpu     ${quote(c.productName)} ${Number(c.coreCount) || 0} cores, ${Number(c.threadCount) || 0} threads`);
  if (Number(f.memoryMiB) > 0) lines.push(`memory  ${Number(f.memoryMiB)} MiB`);
  for (const l of (f.links || []).filter((x) => x.physical)) lines.push(`nic     ${quote(l.id)} ${quote(l.mac)} link ${l.up ? "up" : "down"}`);
  for (const k of f.disks || []) lines.push(`disk    ${quote(k.devPath)} ${quote(k.prettySize)} model ${quote(k.model)} serial ${quote(k.serial)} wwid ${quote(k.wwid)} ${quote(k.transport)}`);
  const k = d.kernelLog || {};
  if (k.dmi) lines.push(`kernel  system ${quote(k.dmi)} (its kernel log)`);
  if (Number(k.memoryMiB) > 0) lines.push(`kernel  memory about ${Number(k.memoryMiB)} MiB`);
  for (const disk of k.disks || []) lines.push(`kernel  disk ${quote(disk.name)} ${quote(disk.prettySize)}${disk.model ? ` model ${quote(disk.model)}` : ""}`);
  for (const m of d.otherMacs || []) lines.push(`also booted from ${quote(m)}`);
  for (const n of d.notes || []) lines.push(`note    ${quote(n, 400)}`);
  if (d.entry) {
    lines.push("", "proposed entry (boot: maintenance; add a role before boot: install):");
    lines.push(`- name: ${quote(d.entry.name)}`, `  mac: ${quote(d.entry.mac)}`, "  boot: maintenance");
    const sel = d.entry.installDiskSelector;
    if (sel) lines.push("  installDiskSelector:", ...Object.entries(sel).map(([k, v]) => `    ${/^[a-zA-Z]+$/.test(k) ? k : quote(k)}: ${quote(v)}`));
  } else lines.push("", "no entry proposed (the notes say why)");
  return lines;
}

function body(discovered, bootDiffMarkdown, runUrl) {
  const withEntry = discovered.filter((d) => d.entry);
  const parts = [
    "## Machines discovered on the boot VLAN",
    "",
    `${withEntry.length} machine(s) booted Talos maintenance mode through discovery's catch-all and are in no inventory entry. ` +
      "This pull request adds each with `boot: maintenance`: merging it changes nothing on their disks. Installing one is a second change: " +
      "add its `role` and set `boot: install`, reviewed through `boot-diff`.",
    "",
    "What each machine reported (its own values, quoted; nothing in them is checked beyond their form):",
    "",
    ...discovered.flatMap((d) => [fencedBlock(machineLines(d).join("\n"), "text"), ""]),
  ];
  if (bootDiffMarkdown) parts.push("### boot-diff", "", bootDiffMarkdown.trimEnd(), "");
  if (runUrl && /^https:\/\/[^\s<>()]+$/.test(runUrl)) parts.push(`Written by ${runUrl}`, "");
  // Cut at a line end and never inside an open fence (the one rule, lib/model/markdown.js).
  return truncateMarkdown(parts.join("\n"), MAX_BODY, "the output of npm run discovered");
}

/** The proposed entries' names, one a line: the title and commit of open-inventory-pr.sh. */
function names(discovered) {
  return discovered
    .filter((d) => d.entry)
    .map((d) => {
      // discovered names them new-<MAC bytes>; anything else did not come from it.
      if (typeof d.entry.name !== "string" || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(d.entry.name)) throw new PrError(`entry name ${quote(d.entry.name)} is not a machine name (a DNS label) as npm run discovered writes it`);
      return `${d.entry.name}\n`;
    })
    .join("");
}

const USAGE = "usage: node .github/scripts/discovery-pr.js body <discovered.json> [<boot-diff.md>] [<run-url>]\n" +
  "       node .github/scripts/discovery-pr.js names <discovered.json>\n";

function main(argv) {
  const [command, file, diffFile, runUrl] = argv;
  if (!["body", "names"].includes(command) || !file || (command === "names" && argv.length > 2)) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    if (command === "names") {
      process.stdout.write(names(readDiscovered(file)));
      return 0;
    }
    const diff = diffFile ? fs.readFileSync(diffFile, "utf8") : "";
    process.stdout.write(body(readDiscovered(file), diff, runUrl));
    return 0;
  } catch (err) {
    if (err instanceof PrError || err.code === "ENOENT") {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
module.exports = { body, names, quote };
