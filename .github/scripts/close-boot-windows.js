// The close-boot-windows workflow's steps (.github/workflows/close-boot-windows.yml),
// on a report of `npm run boot-status -- --json` (netboot.boot-status-report/v1):
//
//   node .github/scripts/close-boot-windows.js edit <inventory.yaml> <report.json>
//       sets `boot: disk` on every machine the report calls closable (installed,
//       still on boot: install), in place, and prints their names, one a line.
//       Only those entries' boot lines change: the file is edited at the
//       positions the yaml library's document API gives, so every other byte
//       (comments, order, quoting, blank lines) stays as it was, and the result
//       is parsed again and compared with what was meant before it is written.
//   node .github/scripts/close-boot-windows.js annotations <report.json>
//       a ::warning:: line per window open longer than the site's
//       matchbox.bootWindowWarnDays.
//   node .github/scripts/close-boot-windows.js body <report.json> <boot-diff.md> [<run-url>]
//       the pull request's body (Markdown) on stdout.
//
// Plain CommonJS on Node's standard library and `yaml` (a dependency, present
// after npm ci); test/unit/close-boot-windows.test.ts runs it on samples.
"use strict";

const fs = require("node:fs");
const { parseDocument, isMap, isSeq, isScalar } = require("yaml");

const REPORT_SCHEMA = "netboot.boot-status-report/v1";
/** GitHub's limit for a pull request body is 65536 characters; leave room. */
const MAX_BODY = 60000;

class CloseError extends Error {}

function readReport(file) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new CloseError(`${file}: cannot read the boot-status report: ${err.message}`);
  }
  if (!report || report.schema !== REPORT_SCHEMA || !Array.isArray(report.machines)) {
    throw new CloseError(`${file}: not a boot-status report (${REPORT_SCHEMA}; npm run boot-status -- --json writes one)`);
  }
  return report;
}

/** Machines whose window the pull request closes, in inventory order. */
function closable(report) {
  return report.machines.filter((m) => m.closable === true && m.boot === "install");
}

/** Windows open longer than the site allows (whether or not this pull request closes them). */
function overdue(report) {
  return report.machines.filter((m) => m.window && m.window.kind === "commit" && m.window.tooLong === true);
}

/**
 * The inventory text with `boot: disk` for each of `names`. Throws when an
 * entry is missing or written in a shape this edit does not handle (a flow
 * mapping), naming the entry, rather than guessing.
 */
function setBootDisk(text, names, file) {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) throw new CloseError(`${file}: not valid YAML: ${doc.errors[0].message}`);
  const list = doc.get("machines", true);
  if (!isSeq(list)) throw new CloseError(`${file}: has no machines list`);
  const edits = [];
  for (const name of names) {
    const entry = list.items.find((item) => isMap(item) && item.get("name") === name);
    if (!entry) throw new CloseError(`${file}: no machine named ${name} (the report is of another inventory, or the entry was removed since)`);
    if (entry.flow) throw new CloseError(`${file}: machine "${name}" is written as a flow mapping ({ ... }); set boot: disk by hand`);
    const boot = entry.items.find((p) => isScalar(p.key) && p.key.value === "boot");
    if (boot) {
      if (!isScalar(boot.value) || boot.value.value !== "install") throw new CloseError(`${file}: machine "${name}": boot is not install here; the report is older than the inventory`);
      // Replace the value's own characters (quotes included), nothing around it: a trailing comment stays.
      edits.push({ at: boot.value.range[0], end: boot.value.range[1], text: "disk" });
      continue;
    }
    // No boot line (install is the default): one goes after the role line, or the name line, at the keys' indentation.
    const after = entry.items.find((p) => isScalar(p.key) && p.key.value === "role") ?? entry.items.find((p) => isScalar(p.key) && p.key.value === "name");
    const keyStart = after.key.range[0];
    const column = keyStart - (text.lastIndexOf("\n", keyStart - 1) + 1);
    const lineEnd = text.indexOf("\n", after.value.range[1]);
    if (lineEnd === -1) edits.push({ at: text.length, end: text.length, text: `\n${" ".repeat(column)}boot: disk\n` });
    else edits.push({ at: lineEnd + 1, end: lineEnd + 1, text: `${" ".repeat(column)}boot: disk\n` });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);

  // What was meant: the same data with those machines on disk, nothing else.
  const meant = parseDocument(text).toJS();
  for (const m of meant.machines) if (names.includes(m.name)) m.boot = "disk";
  const got = parseDocument(out).toJS();
  if (canonical(got) !== canonical(meant)) throw new CloseError(`${file}: the edit did not give the intended inventory; nothing written (set boot: disk by hand)`);
  return out;
}

/** JSON with every object's keys sorted: the data, whatever order a new key was written in. */
function canonical(value) {
  return JSON.stringify(value, (_key, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** A GitHub workflow command's message, escaped as the runner expects (% CR LF). */
function escapeData(text) {
  return String(text).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(text) {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function overdueLine(m, report) {
  const state = m.closable ? "installed, closed by this pull request" : m.state === "never-seen" ? "never reported" : m.state;
  return `${m.name}: window open ${m.window.days} days (since ${m.window.at.slice(0, 10)}, more than matchbox.bootWindowWarnDays ${report.warnDays}); ${state}`;
}

function annotations(report) {
  return overdue(report).map((m) => `::warning title=${escapeProperty(`boot window of ${m.name} open ${m.window.days} days`)}::${escapeData(`${overdueLine(m, report)}. Its Talos config (cluster secrets) is served over plain HTTP to its MAC until boot: disk is merged and deployed.`)}`);
}

/** Inline code for text from the report; backticks cannot close it. */
function code(text) {
  const s = String(text);
  const longest = Math.max(0, ...(s.match(/`+/g) || []).map((r) => r.length));
  const f = "`".repeat(longest + 1);
  return `${f}${longest > 0 ? " " : ""}${s}${longest > 0 ? " " : ""}${f}`;
}

function body(report, bootDiffMarkdown, runUrl) {
  const machines = closable(report);
  const late = overdue(report);
  const out = [];
  out.push(`Sets \`boot: disk\` for ${machines.length} machine(s) that reported an installed Talos, so Matchbox stops serving their Talos configs (cluster secrets, over plain HTTP) once this is merged and deployed. Nothing changes Matchbox outside Terraform: merging starts the deploy workflow, which waits for the \`production\` environment's approval.`);
  out.push("");
  if (machines.length > 0) {
    out.push("| machine | role | installed | Talos | window opened |", "| --- | --- | --- | --- | --- |");
    for (const m of machines) {
      const opened = m.window && m.window.kind === "commit" ? `${m.window.at.slice(0, 16)}Z (${m.window.days} days, ${code(m.window.commit.slice(0, 12))})` : "unknown";
      out.push(`| ${code(m.name)} | ${m.role} | ${m.installedAt ? `${m.installedAt.slice(0, 16)}Z` : "unknown"} | ${m.talosVersion ? code(m.talosVersion) : "unknown"} | ${opened} |`);
    }
    out.push("");
  }
  const pending = report.machines.filter((m) => m.bootstrapPending);
  if (pending.length > 0) {
    out.push(`**Bootstrap pending:** ${pending.map((m) => code(m.name)).join(", ")} is installed but etcd runs on no control plane yet: run \`npm run cluster-bootstrap\` once (docs/machine-lifecycle.md). Closing its window does not affect that.`, "");
  }
  if (late.length > 0) {
    out.push(`### Windows open longer than ${report.warnDays} days`, "");
    for (const m of late) out.push(`- ${code(m.name)}: ${overdueLine(m, report).slice(m.name.length + 2)}`);
    out.push("");
  }
  out.push(bootDiffMarkdown.trimEnd(), "");
  out.push(`Status from ${report.source} at ${report.generatedAt}. Opened by the close-boot-windows workflow${runUrl ? ` ([run](${runUrl}))` : ""} with the repository's \`GITHUB_TOKEN\` (contents and pull requests only; it cannot deploy). Its checks do not start by themselves on a pull request opened that way: close and reopen it to run them.`);
  const text = `${out.join("\n")}\n`;
  return text.length <= MAX_BODY ? text : `${text.slice(0, text.lastIndexOf("\n", MAX_BODY))}\n\n[cut at ${MAX_BODY} characters; the workflow run's log has the rest]\n`;
}

function main(argv) {
  const [command, ...args] = argv;
  try {
    if (command === "edit" && args.length === 2) {
      const [inventory, reportFile] = args;
      const names = closable(readReport(reportFile)).map((m) => m.name);
      if (names.length > 0) {
        const text = fs.readFileSync(inventory, "utf8");
        fs.writeFileSync(inventory, setBootDisk(text, names, inventory));
      }
      process.stdout.write(names.map((n) => `${n}\n`).join(""));
      return 0;
    }
    if (command === "annotations" && args.length === 1) {
      process.stdout.write(annotations(readReport(args[0])).map((l) => `${l}\n`).join(""));
      return 0;
    }
    if (command === "body" && (args.length === 2 || args.length === 3)) {
      process.stdout.write(body(readReport(args[0]), fs.readFileSync(args[1], "utf8"), args[2]));
      return 0;
    }
  } catch (err) {
    if (!(err instanceof CloseError)) throw err;
    process.stderr.write(`close-boot-windows: ${err.message}\n`);
    return 1;
  }
  process.stderr.write("usage: close-boot-windows.js edit <inventory.yaml> <report.json> | annotations <report.json> | body <report.json> <boot-diff.md> [<run-url>]\n");
  return 2;
}

module.exports = { setBootDisk, annotations, body, closable, overdue, main };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
