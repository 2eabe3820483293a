import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { quote } from "../safe-text";
import { readSmallTextFile } from "../yaml-source";

/** A WireGuard key: 32 bytes, base64 (44 characters ending in "="). */
const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

// DER prefixes of X25519 keys (RFC 8410): PKCS#8 private, SPKI public.
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519_PREFIX_LENGTH = 12;

export interface WireguardKeyPair {
  readonly privateKey: string;
  readonly publicKey: string;
}

/** The all-zero key, `AAAA...A=`: a placeholder, never a real key. */
export const ALL_ZERO_KEY = Buffer.alloc(32).toString("base64");

/** A key file holds one 44-character key and a newline; anything much larger is the wrong file. */
export const MAX_KEY_FILE_BYTES = 4096;

/** Returns an error message when `key` is not a WireGuard key, else undefined. */
export function checkWireguardKey(key: unknown): string | undefined {
  if (typeof key !== "string" || !KEY_PATTERN.test(key)) {
    return `${quote(key)} is not a WireGuard key (expected 44 characters of base64 ending in "=", as printed by \`wg pubkey\` or \`npm run wg:keygen\`)`;
  }
  if (key === ALL_ZERO_KEY) {
    // No private key has the all-zero public key (a clamped X25519 scalar never
    // yields it), and X25519 with it gives the all-zero shared secret, which
    // WireGuard rejects: a peer with it can never complete a handshake.
    return `${quote(key)} is the all-zero key, a placeholder, not a real key; allowed: a real key, as printed by \`wg pubkey\` or \`npm run wg:keygen\``;
  }
  return undefined;
}

/** A fresh X25519 key pair in WireGuard's base64 form (Node's crypto; no external tool). */
export function generateWireguardKeyPair(): WireguardKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const rawPrivate = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_X25519_PREFIX.length);
  const rawPublic = publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_X25519_PREFIX_LENGTH);
  return { privateKey: rawPrivate.toString("base64"), publicKey: rawPublic.toString("base64") };
}

/** The public key of a WireGuard private key (what `wg pubkey` prints). */
export function publicKeyOf(privateKey: string): string {
  const problem = checkWireguardKey(privateKey);
  if (problem) throw new Error(problem);
  const der = Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(privateKey, "base64")]);
  const pub = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  return pub.export({ format: "der", type: "spki" }).subarray(SPKI_X25519_PREFIX_LENGTH).toString("base64");
}

/**
 * Reads a key file (one base64 key, surrounding whitespace ignored): a regular
 * file of at most MAX_KEY_FILE_BYTES (`--key /dev/zero` must not hang).
 * Returns the key or why it is unusable.
 */
export function readWireguardKeyFile(file: string): { key: string } | { error: string } {
  const read = readSmallTextFile(file, MAX_KEY_FILE_BYTES);
  if ("error" in read) return { error: read.code ? `cannot read it: ${read.error.replace(/^cannot read file: /, "")}` : `it ${read.error}` };
  const key = read.text.trim();
  // A key file's content is never quoted: a private key, or a wg-quick .conf holding one, must not reach a log.
  if (!KEY_PATTERN.test(key)) {
    const lines = key === "" ? 0 : key.split("\n").length;
    return {
      error: `it is not a WireGuard key file (${Buffer.byteLength(read.text)} bytes, ${lines} non-blank line${lines === 1 ? "" : "s"}; content not shown): expected one line of 44 characters of base64 ending in "=", as \`wg genkey\`, \`wg pubkey\` or \`npm run wg:keygen\` write it; a wg-quick .conf is not a key file`,
    };
  }
  if (key === ALL_ZERO_KEY) return { error: "it holds the all-zero key, a placeholder, not a real key (content not shown); allowed: a real key, as printed by `wg pubkey` or `npm run wg:keygen`" };
  return { key };
}
