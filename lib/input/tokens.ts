/** Control characters (line feed, carriage return, tab, ...): they end a line or split a token for every line-oriented consumer. */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * What is wrong with a value that must be one token on one line (a kernel
 * argument, a URL in a space-separated manifest, a GitHub Actions output), if
 * anything.
 */
export function notOneToken(value: string): string | undefined {
  if (value.includes("\n")) return "contains a newline";
  if (value.includes("\r")) return "contains a carriage return";
  if (CONTROL_CHARACTER.test(value)) return "contains a control character (e.g. a tab)";
  if (/\s/.test(value)) return "contains a space";
  return undefined;
}
