// npm run wg:keygen -- <peer> [--out <file>] [--force]
// Creates an X25519 key pair, writes the private key (mode 0600) outside the
// repository, and prints the public key for wireguard/peers.yaml.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { isInsideRepository } from "../lib/settings";
import { generateWireguardKeyPair } from "../lib/wireguard/keys";
import { defaultKeyFile } from "../lib/wireguard/local-keys";

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string" }, force: { type: "boolean", default: false } },
  });
  const [peer] = positionals;
  if (!peer || !/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(peer)) {
    process.stderr.write("usage: npm run wg:keygen -- <peer-name> [--out <private-key-file>] [--force]\n  peer-name: lower case letters, digits and '-', e.g. home-router\n");
    return 2;
  }
  const file = resolve(values.out ?? defaultKeyFile(peer));
  if (isInsideRepository(file)) {
    process.stderr.write(`error: refusing to write a private key inside the repository (${file}); choose a path outside it\n`);
    return 1;
  }
  if (existsSync(file) && !values.force) {
    process.stderr.write(`error: ${file} exists; pass --force to replace it (the old key stops working once peers.yaml changes)\n`);
    return 1;
  }
  const pair = generateWireguardKeyPair();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${pair.privateKey}\n`, { mode: 0o600 });
  const where = peer === "gateway" ? "commit it as wireguard/gateway.pub (the site's wireguard.gatewayPublicKeyFile)" : "put it in wireguard/peers.yaml as publicKey";
  process.stderr.write(`private key written to ${file} (mode 0600); it never leaves this machine\npublic key (${where}):\n`);
  process.stdout.write(`${pair.publicKey}\n`);
  return 0;
}

process.exitCode = main();
