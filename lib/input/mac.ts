import { quote } from "./safe-text";

/** A MAC address in Matchbox's canonical form: lower case, colon-separated, e.g. `aa:bb:cc:dd:ee:01`. */
export type CanonicalMac = string & { readonly __brand: "CanonicalMac" };

const SEPARATED = /^([0-9A-Fa-f]{2})([:-])([0-9A-Fa-f]{2})(?:\2[0-9A-Fa-f]{2}){4}$/;
const DOTTED = /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/;

/**
 * Normalizes the spellings people paste (upper case, `-` or `:` separators,
 * Cisco's `aabb.ccdd.eeff`) to the canonical form Matchbox stores, and rejects
 * what cannot be a NIC's unicast address.
 */
export function normalizeMac(input: string): { mac: CanonicalMac } | { error: string } {
  const checked = check(input);
  return checked.startsWith('"') ? { error: checked } : { mac: checked as CanonicalMac };
}

/** The input as quoted in a message: one escaped line (lib/input/safe-text.ts). */
function shown(text: string): string {
  return quote(text);
}

function check(input: string): string {
  const text = String(input).trim();
  let hex: string;
  if (SEPARATED.test(text)) hex = text.replace(/[:-]/g, "");
  else if (DOTTED.test(text)) hex = text.replace(/\./g, "");
  else if (/^[0-9A-Fa-f]{12}$/.test(text)) {
    return `${shown(text)} has no separators; write it as ${text.toLowerCase().match(/../g)!.join(":")}`;
  } else {
    const digits = text.replace(/[^0-9A-Fa-f]/g, "").length;
    const why = /[^0-9A-Fa-f:.\-]/.test(text) ? "contains characters that are not hex digits" : `has ${digits} hex digits, not 12 (6 bytes)`;
    return `${shown(text)} is not a MAC address: it ${why}; expected six bytes such as aa:bb:cc:dd:ee:01`;
  }
  hex = hex.toLowerCase();
  if (/^0+$/.test(hex)) return `${shown(text)} is the all-zero address, which no NIC has`;
  if (/^f+$/.test(hex)) return `${shown(text)} is the broadcast address, which no NIC has`;
  if (parseInt(hex.slice(0, 2), 16) & 1) return `${shown(text)} is a multicast address (first byte is odd); a NIC's own address is unicast`;
  return hex.match(/../g)!.join(":");
}

/** iPXE's `${mac:hexhyp}` form, which is what booting machines send. */
export function hyphenatedMac(mac: CanonicalMac): string {
  return mac.replace(/:/g, "-");
}
