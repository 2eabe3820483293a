import { parseArgs, type ParseArgsConfig } from "node:util";
import { displayPath } from "../input/settings";
import { DataFileError } from "../input/yaml-source";
import { oneLine, safeLines } from "../input/safe-text";

/**
 * Runs `fn`; on invalid user data prints every problem to stderr and exits 1,
 * so nothing is synthesized and nothing can be deployed from a half-read file.
 */
export function exitOnDataFileError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DataFileError) {
      writeError(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/**
 * Writes `error: <message>` to stderr, every line through the one escaping
 * rule (lib/input/safe-text.ts): no line of it can start a workflow command.
 */
export function writeError(message: string): void {
  process.stderr.write(safeLines(`error: ${message}\n`));
}

/** The line every command prints once, first, so a result is never mistaken for another site's. */
export function siteLine(file: string): string {
  return `site: ${oneLine(displayPath(file), 400)}\n`;
}

export function announceSite(file: string): void {
  process.stderr.write(siteLine(file));
}

/** `--help` or `-h` anywhere before a `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const own = end === -1 ? argv : argv.slice(0, end);
  return own.includes("--help") || own.includes("-h");
}

/**
 * On `--help`/`-h`, the command's usage on stdout, for the caller to exit 0
 * without doing anything else (never "not a MAC address" or "cannot read
 * file --help").
 */
export function helpRequested(argv: readonly string[], usage: string): boolean {
  if (!wantsHelp(argv)) return false;
  process.stdout.write(usage.endsWith("\n") ? usage : `${usage}\n`);
  return true;
}

type ParsedCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

/**
 * A command's arguments, strictly parsed; on a mistake (unknown flag, missing
 * or empty value) one error line naming the flag and the usage line go to
 * stderr, and the result is the exit status 2.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(argv: readonly string[], options: O, usage: string): ParsedCommandArgs<O> | 2 {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (err) {
    // node:util's messages name the flag, e.g. "Unknown option '--bogus'" or "Option '--out <value>' argument missing".
    process.stderr.write(`error: ${(err as Error).message.split("\n")[0]}\n${usage}\n`);
    return 2;
  }
  const empty = Object.entries(parsed.values).find(([, v]) => v === "");
  if (empty) {
    process.stderr.write(`error: --${empty[0]} needs a value, got an empty one\n${usage}\n`);
    return 2;
  }
  return parsed;
}
