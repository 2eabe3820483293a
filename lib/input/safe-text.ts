/**
 * The one escaping rule for values quoted in messages (errors, warnings, the
 * boot-diff text). A pull request's author controls every data file, and the
 * messages reach job logs, where GitHub Actions runs a line starting with
 * `::` as a workflow command (`::error::`, `::add-mask::`, ...), and terminals,
 * where control characters move the cursor. So a quoted value is always:
 * - one line: newlines, carriage returns, NUL and every other control or
 *   line/paragraph-separator character written as a visible escape (`\n`,
 *   `\u0000`, `\u2028`, ...), bidirectional overrides too;
 * - capped in length (a value is quoted to be recognised, not to be copied);
 * - never a `::` at a line's start (written `\u003a:`).
 * The content of a file that is not the project's own YAML is never quoted at
 * all (a key file, /proc/self/environ): callers say what is wrong without it.
 */

/** The longest quoted value, in characters, before it is cut. */
export const MAX_QUOTED_CHARS = 120;

/**
 * Characters that end a line, move the cursor or reorder text somewhere:
 * C0 and C1 controls, DEL, Unicode line and paragraph separators, bidi
 * overrides and isolates, zero-width and BOM characters.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(ch: string): string {
  return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A line that GitHub Actions (or anything else) could read as a command: `::` after optional blanks. */
const COMMAND_START = /^(\s*)::/;

/**
 * Text made safe to print as (part of) one line: every invisible character
 * escaped, a leading `::` neutralised, at most `max` characters of the input
 * kept (the rest counted).
 */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const chars = Array.from(text);
  const cut = chars.length > max;
  const kept = (cut ? chars.slice(0, max) : chars).join("").replace(INVISIBLE, visible);
  const safe = kept.replace(COMMAND_START, "$1\\u003a:");
  return cut ? `${safe}... (${chars.length - max} more characters)` : safe;
}

/**
 * A value as it is quoted in a message: `"..."`, one line, capped, with
 * quotes and backslashes escaped as in JSON. Non-strings are shown as JSON.
 */
export function quote(value: unknown, max = MAX_QUOTED_CHARS): string {
  if (typeof value !== "string") return oneLine(JSON.stringify(value) ?? String(value), max);
  const text = value;
  const chars = Array.from(text);
  const cut = chars.length > max;
  const body = (cut ? chars.slice(0, max) : chars).join("").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(INVISIBLE, visible);
  return `"${body}"${cut ? `... (${chars.length - max} more characters)` : ""}`;
}

/**
 * A whole message (one or more lines) made safe for a log: each line's
 * invisible characters escaped and a leading `::` neutralised. The last
 * line of defence where commands print; values are quoted with
 * {@link quote} where messages are built.
 */
export function safeLines(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(INVISIBLE, visible).replace(COMMAND_START, "$1\\u003a:"))
    .join("\n");
}
