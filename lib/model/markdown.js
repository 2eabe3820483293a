// The one escaping rule for values that reach Markdown (the pull-request
// comment and job summaries): .github/scripts/pr-report.js and
// `boot-diff --markdown` both use it. Plain CommonJS on no dependencies, so
// the workflow's report script loads it without a build step; the types are
// in markdown.d.ts. docs/adr/0016-untrusted-pull-request-input.md.
//
// - A value is shown as an inline code span (`markdownCode`): inside one,
//   GitHub renders no heading, emphasis, link, image, HTML or @mention. It is
//   one line (control characters escaped), length-capped, and the span's
//   backtick fence is longer than any backtick run in the value, so the value
//   cannot close it; `|` is escaped so it cannot split a table cell.
// - Quoted output goes into a fenced block (`fencedBlock`) whose fence is
//   longer than any backtick run in it.
// - A long report is cut at a line end, never inside an open fence
//   (`truncateMarkdown` closes the fence it cut in).
"use strict";

/** Characters that end a line, move the cursor or reorder text (as lib/input/safe-text.ts). */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const MAX_CODE_CHARS = 200;

function visible(ch) {
  const short = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }[ch];
  return short || `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** The longest run of `ch` in `text`. */
function longestRun(text, ch) {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/**
 * A value as an inline code span: one line, at most `max` characters
 * (the rest counted), pipes escaped for tables.
 * @param {unknown} value
 * @param {number} [max]
 * @returns {string}
 */
function markdownCode(value, max = MAX_CODE_CHARS) {
  const text = typeof value === "string" ? value : String(value);
  const chars = Array.from(text);
  const cut = chars.length > max;
  const body = (cut ? chars.slice(0, max) : chars).join("").replace(INVISIBLE, visible).replace(/\|/g, "\\|");
  const fence = "`".repeat(longestRun(body, "`") + 1);
  // A space on each side when the value starts or ends with a backtick (CommonMark strips one).
  const pad = body.startsWith("`") || body.endsWith("`") || body === "" ? " " : "";
  return `${fence}${pad}${body}${pad}${fence}${cut ? ` (${chars.length - max} more characters)` : ""}`;
}

/**
 * Text in a fenced code block whose fence no line of it can close.
 * @param {string} text
 * @param {string} [info] the info string, e.g. "text" or "diff"
 * @returns {string}
 */
function fencedBlock(text, info = "text") {
  const fence = "`".repeat(Math.max(2, longestRun(text, "`")) + 1);
  const body = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, visible);
  return [`${fence}${info}`, body, fence].join("\n");
}

/** A fence opening or closing line: its character and length, or undefined. */
function fenceOf(line) {
  const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m) return undefined;
  return { ch: m[1][0], length: m[1].length, rest: m[2] };
}

/**
 * Keeps the start of a long Markdown text, cut at a line end; when the cut
 * falls inside a fenced block, the block is closed first. Then a note says
 * how much was left out.
 * @param {string} text
 * @param {number} budget
 * @param {string} [where] where the rest can be read
 * @returns {string}
 */
function truncateMarkdown(text, budget, where = "the job log") {
  if (text.length <= budget) return text;
  const cut = text.lastIndexOf("\n", budget);
  let kept = text.slice(0, cut > 0 ? cut : budget);
  let open;
  for (const line of kept.split("\n")) {
    const f = fenceOf(line);
    if (!f) continue;
    if (!open) open = f;
    else if (f.ch === open.ch && f.length >= open.length && f.rest.trim() === "") open = undefined;
  }
  if (open) kept += `\n${open.ch.repeat(open.length)}`;
  return `${kept}\n\n[${text.length - kept.length} more characters omitted; the full report is in ${where}]\n`;
}

module.exports = { markdownCode, fencedBlock, truncateMarkdown, MAX_CODE_CHARS };
