import { displayPath } from "../input/settings";
import { DataFileError } from "../input/yaml-source";

/**
 * Runs `fn`; on invalid user data prints every problem to stderr and exits 1,
 * so nothing is synthesized and nothing can be deployed from a half-read file.
 */
export function exitOnDataFileError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DataFileError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** The line every command prints once, first, so a result is never mistaken for another site's. */
export function siteLine(file: string): string {
  return `site: ${displayPath(file)}\n`;
}

export function announceSite(file: string): void {
  process.stderr.write(siteLine(file));
}
