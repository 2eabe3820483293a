// Renders the pull-request workflow's two reports as Markdown on stdout:
//
//   node .github/scripts/pr-report.js data <dir>             the `data` job: boot-diff, validate, synth
//   node .github/scripts/pr-report.js plan <dir> [<stack>...]  the `diff` job: one `cdktf diff` per stack
//
// Both run in jobs that already run the branch's code and hold no write token,
// so their output is treated as untrusted text by whatever posts it (the
// `comment` job re-checks and size-limits it; docs/adr/0009-pull-request-trust-model.md).
// Plain CommonJS on Node's standard library, no build step;
// test/unit/workflows.test.ts covers it.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
// The one Markdown rule, shared with `boot-diff --markdown`: values as code spans, output in fences, fence-safe truncation.
const { markdownCode, fencedBlock, truncateMarkdown } = require("../../lib/model/markdown.js");

/** What one report may take; the `comment` job cuts again, below GitHub's 65536-character comment limit. */
const MAX_REPORT = 60000;

// cdktf prints its own colours even when Terraform's are off.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** A fence longer than any backtick run in `text`, so quoted output cannot close it. */
function fence(text) {
  const longest = Math.max(2, ...(text.match(/`+/g) || []).map((r) => r.length));
  return "`".repeat(longest + 1);
}

/** Keeps the end of a long output: the summary and any error are at the bottom. */
function tail(text, budget) {
  if (text.length <= budget) return text;
  const kept = text.slice(text.length - budget);
  return `[${text.length - budget} earlier characters omitted; the full output is in the job log]\n${kept}`;
}

/** Keeps the start of a long Markdown report, cut at a line end and never inside an open code fence. */
function head(text, budget) {
  return truncateMarkdown(text, budget, "the job log");
}

/** Output quoted verbatim in a fenced block. */
function quoted(text, budget) {
  const body = tail(text.replace(ANSI, "").trimEnd(), budget);
  return fencedBlock(body, "text");
}

/**
 * One stack's `cdktf diff` result from its output and exit code.
 * @param {string} output
 * @param {number | undefined} exitCode undefined when the diff never ran
 * @param {string} [skipReason]
 */
function summarize(output, exitCode, skipReason) {
  if (skipReason) return { status: "skipped", line: `skipped: ${skipReason}` };
  if (exitCode === undefined) return { status: "not-run", line: "not run (an earlier step failed; see the job log)" };
  const text = output.replace(ANSI, "");
  if (exitCode !== 0) return { status: "failed", line: `**failed** (exit ${exitCode}; the last lines are below)` };
  // Terraform ≥1.5 prefixes "N to import, " when import blocks are present.
  const plan = /Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(text);
  if (plan) {
    const [, imp, add, change, destroy] = plan;
    const counts = { add: Number(add), change: Number(change), destroy: Number(destroy) };
    const importPart = imp ? `${imp} to import, ` : "";
    const warn = counts.destroy > 0 ? " :warning:" : "";
    return { status: "changes", counts, line: `${importPart}${add} to add, ${change} to change, ${destroy} to destroy${warn}` };
  }
  if (/No changes\./.test(text)) return { status: "no-changes", line: "No changes" };
  return { status: "unknown", line: "finished, but printed no plan summary (see below)" };
}

/**
 * The `diff` job's summary: a table line per stack, each plan folded in <details>.
 * @param {{ stacks: { name: string, output: string, exitCode?: number, skipReason?: string }[],
 *           site?: string, note?: string }} input
 */
function planReport(input) {
  const rows = input.stacks.map((s) => ({ ...s, summary: summarize(s.output || "", s.exitCode, s.skipReason) }));
  const header = ["### cdktf diff against the real state", ""];
  if (input.site) header.push(`Site ${markdownCode(input.site)}. \`matchbox-config\` is not planned in pull requests: the boot changes in the pull-request comment are its diff.`, "");
  if (input.note) header.push(input.note, "");
  if (rows.length > 0) {
    header.push("| stack | plan |", "| --- | --- |", ...rows.map((r) => `| \`${r.name}\` | ${r.summary.line} |`), "");
  }
  const withOutput = rows.filter((r) => r.output && r.output.trim() !== "");
  const fixed = header.join("\n").length + withOutput.length * 200;
  const budget = Math.max(1000, Math.floor((MAX_REPORT - fixed) / Math.max(1, withOutput.length)));
  const details = withOutput.map((r) =>
    ["<details>", `<summary><code>${r.name}</code>: ${r.summary.line}</summary>`, "", quoted(r.output, budget), "", "</details>", ""].join("\n"),
  );
  return [...header, ...details].join("\n");
}

function readIfExists(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** Reads `<dir>/<stack>.log`, `.rc` and `.skip` as the `diff` job's diff step writes them. */
function readPlanResults(dir, stackNames) {
  return stackNames.map((name) => {
    const rc = readIfExists(path.join(dir, `${name}.rc`));
    const skip = readIfExists(path.join(dir, `${name}.skip`));
    return {
      name,
      output: readIfExists(path.join(dir, `${name}.log`)) || "",
      exitCode: rc === undefined ? undefined : Number(rc.trim()),
      skipReason: skip && skip.trim(),
    };
  });
}

/** The `site: <file>` line every command prints on stderr first. */
function siteFrom(stderr) {
  const m = /^site: (.+)$/m.exec(stderr || "");
  return m ? m[1].trim() : undefined;
}

const OUTCOME = { success: "passed", failure: "**failed**", skipped: "skipped (an earlier step failed)", cancelled: "cancelled" };

/**
 * The `data` job's report: what the pull request changes in what machines
 * boot (boot-diff against the base), the checks, and whether a `cdktf diff`
 * follows.
 * @param {{ baseSha?: string, bootDiff?: { exitCode?: number, markdown?: string, stderr?: string },
 *           checks: { name: string, outcome?: string, log?: string }[],
 *           plannable?: boolean, planRefusal?: string, fork?: boolean }} input
 */
function dataReport(input) {
  const out = [];
  const bd = input.bootDiff || {};
  const base = input.baseSha ? ` against base ${markdownCode(input.baseSha.slice(0, 12))}` : "";
  const site = siteFrom(bd.stderr) || siteFrom(input.planRefusal);
  out.push(`#### Boot changes${base}${site ? ` (site ${markdownCode(site)})` : ""}`, "");
  if (bd.exitCode === undefined) {
    out.push("`npm run boot-diff` did not run (an earlier step failed; see the job log).", "");
  } else if (bd.exitCode === 0) {
    const md = (bd.markdown || "").trim();
    out.push(md === "" ? "_boot-diff printed nothing._" : head(md, MAX_REPORT - 6000), "");
  } else {
    out.push(`**\`npm run boot-diff\` failed** (exit ${bd.exitCode}):`, "", quoted(bd.stderr || "(no output)", 4000), "");
  }

  out.push("#### Checks", "", "| check | result |", "| --- | --- |");
  for (const c of input.checks) out.push(`| \`${c.name}\` | ${OUTCOME[c.outcome] || "not run"} |`);
  out.push("");
  for (const c of input.checks.filter((c) => c.outcome === "failure" && c.log && c.log.trim() !== "")) {
    out.push(`<details><summary><code>${c.name}</code> output</summary>`, "", quoted(c.log, 4000), "", "</details>", "");
  }

  out.push("#### cdktf diff", "");
  if (input.fork) {
    out.push(
      "This pull request comes from a fork. GitHub gives fork pull requests a read-only token and no OIDC token, so there is no pull-request comment and no `cdktf diff`: this summary is the report. A maintainer can push the branch to this repository to get both.",
    );
  } else if (input.plannable) {
    out.push(
      "The `cdktf diff` of `network`, `gke` and `boot-server` against the real state runs in the `diff` job once a maintainer approves the `plan` environment (it runs this branch's code with the read-only plan identity: review the code and `package-lock.json` first). Its output is in that job's summary. `matchbox-config` is not planned in pull requests; the boot changes above are its diff.",
    );
  } else {
    // check-deployable's problem lines quote the pull request's data: in a fenced block, never as Markdown.
    const reasons = (input.planRefusal || "")
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => `- ${l.slice(4)}`);
    out.push("No `cdktf diff`: the site cannot be planned against real state" + (reasons.length > 0 ? ":" : " (see the job log)."), "");
    if (reasons.length > 0) out.push(fencedBlock(tail(reasons.join("\n"), 8000), "text"));
  }
  out.push("");
  return head(out.join("\n"), MAX_REPORT);
}

/** Reads what the `data` job's steps left in `dir` and the step outcomes the workflow passes in env. */
function readDataInputs(dir, env) {
  const read = (name) => readIfExists(path.join(dir, name));
  const rc = read("boot-diff.rc");
  return {
    baseSha: env.BASE_SHA,
    bootDiff: { exitCode: rc === undefined ? undefined : Number(rc.trim()), markdown: read("boot-diff.md"), stderr: read("boot-diff.err") },
    checks: [
      { name: "npm run validate", outcome: env.VALIDATE_OUTCOME, log: read("validate.log") },
      { name: "npm run synth", outcome: env.SYNTH_OUTCOME },
    ],
    plannable: env.PLANNABLE === "true",
    planRefusal: read("check-deployable.err"),
    fork: env.FORK === "true",
  };
}

function main(argv, env) {
  const [kind, dir, ...rest] = argv;
  if (kind === "data" && dir && rest.length === 0) {
    process.stdout.write(dataReport(readDataInputs(dir, env)));
    return 0;
  }
  // No stacks when the site could not be planned: the report shows NOTE.md.
  if (kind === "plan" && dir) {
    const note = readIfExists(path.join(dir, "NOTE.md"));
    const results = readPlanResults(dir, rest);
    const anyRan = results.some((r) => r.exitCode !== undefined || r.skipReason);
    process.stdout.write(
      planReport({
        stacks: anyRan ? results : [],
        site: env.SITE_FILE || undefined,
        note: (note && note.trim()) || (anyRan ? undefined : "No diff ran: an earlier step failed before the diffs (see the job log)."),
      }),
    );
    return 0;
  }
  process.stderr.write("usage: pr-report.js data <dir> | pr-report.js plan <dir> [<stack>...]\n");
  return 2;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env);
}

module.exports = { MAX_REPORT, fence, tail, head, summarize, planReport, readPlanResults, dataReport, readDataInputs, siteFrom, main };
