// Builds and posts the one pull-request comment that carries every stack's
// `cdktf diff`. Plain CommonJS so actions/github-script can require() it
// without a TypeScript toolchain; test/unit/workflows.test.ts covers it.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

/** Finds our own comment again on the next push, so it is edited, not duplicated. */
const MARKER = "<!-- netboot:cdktf-diff -->";

/** GitHub rejects comment bodies over 65536 characters; keep room for the table. */
const MAX_BODY = 65000;

// cdktf prints its own colours even when Terraform's are off.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/**
 * One stack's result from its diff output and exit code.
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

/** A fence longer than any backtick run in `text`, so plan output cannot close it. */
function fence(text) {
  const longest = Math.max(2, ...(text.match(/`+/g) || []).map((r) => r.length));
  return "`".repeat(longest + 1);
}

/** Keeps the end of a long plan: the summary and any error are at the bottom. */
function tail(text, budget) {
  if (text.length <= budget) return text;
  const kept = text.slice(text.length - budget);
  return `[${text.length - budget} earlier characters omitted; the full output is in the job log]\n${kept}`;
}

/**
 * @param {{ stacks: { name: string, output: string, exitCode?: number, skipReason?: string }[],
 *           site?: string, sha?: string, runUrl?: string, note?: string }} input
 */
function buildComment(input) {
  const rows = input.stacks.map((s) => ({ ...s, summary: summarize(s.output || "", s.exitCode, s.skipReason) }));
  const header = [
    MARKER,
    "### cdktf diff",
    "",
    [input.site ? `Site \`${input.site}\`` : undefined, input.sha ? `commit ${input.sha.slice(0, 12)}` : undefined, input.runUrl ? `[run](${input.runUrl})` : undefined]
      .filter(Boolean)
      .join(" · "),
    "",
  ];
  if (input.note) header.push(input.note, "");
  if (rows.length > 0) {
    header.push("| stack | plan |", "| --- | --- |", ...rows.map((r) => `| \`${r.name}\` | ${r.summary.line} |`), "");
  }
  const withOutput = rows.filter((r) => r.output && r.output.trim() !== "");
  const fixed = header.join("\n").length + withOutput.length * 200;
  const budget = Math.max(1000, Math.floor((MAX_BODY - fixed) / Math.max(1, withOutput.length)));
  const details = withOutput.map((r) => {
    const text = tail(r.output.replace(ANSI, "").trimEnd(), budget);
    const f = fence(text);
    return ["<details>", `<summary><code>${r.name}</code>: ${r.summary.line}</summary>`, "", `${f}text`, text, f, "", "</details>", ""].join("\n");
  });
  return [...header, ...details].join("\n");
}

/** Reads `<dir>/<stack>.log`, `.rc` and `.skip` as written by the workflow's diff step. */
function readResults(dir, stackNames) {
  return stackNames.map((name) => {
    const read = (ext) => {
      const file = path.join(dir, `${name}.${ext}`);
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    };
    const rc = read("rc");
    const skip = read("skip");
    return { name, output: read("log") || "", exitCode: rc === undefined ? undefined : Number(rc.trim()), skipReason: skip && skip.trim() };
  });
}

/** Edits our earlier comment if there is one, else creates it. */
async function upsertComment(github, context, body) {
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const ours = comments.find((c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.startsWith(MARKER));
  if (ours) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: ours.id, body });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number, body });
  }
}

/** Entry point for actions/github-script; inputs come from the step's env. */
async function run({ github, context, core }) {
  const env = process.env;
  const stacks = (env.STACKS || "").split(/\s+/).filter(Boolean);
  const noteFile = env.DIFF_DIR ? path.join(env.DIFF_DIR, "NOTE.md") : undefined;
  const note = noteFile && fs.existsSync(noteFile) ? fs.readFileSync(noteFile, "utf8").trim() : undefined;
  const results = readResults(env.DIFF_DIR || ".", stacks);
  const anyRan = results.some((r) => r.exitCode !== undefined || r.skipReason);
  const body = buildComment({
    stacks: anyRan ? results : [],
    site: env.SITE_FILE || undefined,
    sha: context.payload.pull_request && context.payload.pull_request.head.sha,
    runUrl: `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`,
    note: note || (anyRan ? undefined : "No diff ran: an earlier step failed before the diffs (see the job log)."),
  });
  await core.summary.addRaw(body.replace(MARKER, "")).write();
  await upsertComment(github, context, body);
}

module.exports = { MARKER, MAX_BODY, summarize, buildComment, readResults, upsertComment, run };
