// npm run wg:keygen -- <peer> [--out <file>] [--force]
// Creates an X25519 key pair, writes the private key (mode 0600) outside the
// repository, and prints the public key for wireguard/peers.yaml.
import { resolve } from "node:path";
import { helpRequested, parseCommandArgs, writeError } from "../lib/commands/cli";
import { generateWireguardKeyPair } from "../lib/input/wireguard/keys";
import { defaultKeyFile, privateKeyPathInRepository, writePrivateFile } from "../lib/commands/local-keys";

export const USAGE = "usage: npm run wg:keygen -- <peer-name> [--out <private-key-file>] [--force]";
const PEER_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Exit status: 0 written, 1 refused (nothing written), 2 bad arguments (one error line and the usage line). */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  if (helpRequested(argv, USAGE)) return 0;
  const parsed = parseCommandArgs(argv, { out: { type: "string" }, force: { type: "boolean", default: false } } as const, USAGE);
  if (parsed === 2) return 2;
  const { values, positionals } = parsed;
  const [peer] = positionals;
  if (positionals.length !== 1 || !PEER_NAME.test(peer)) {
    process.stderr.write(`${USAGE}\n  peer-name: one name of lower case letters, digits and '-', e.g. home-router\n`);
    return 2;
  }
  const file = resolve(values.out ?? defaultKeyFile(peer, env));
  const inside = privateKeyPathInRepository(file, values.out === undefined ? "the key file (NETBOOT_KEY_DIR or the default key directory)" : "--out");
  if (inside) {
    writeError(inside);
    return 1;
  }
  const pair = generateWireguardKeyPair();
  const refused = writePrivateFile(file, `${pair.privateKey}\n`, { replace: values.force === true });
  if (refused) {
    const message =
      refused.reason === "exists" ? `${file} exists; pass --force to replace it (the old key stops working once peers.yaml changes)` : `${values.out === undefined ? "" : "--out "}${refused.message}`;
    writeError(message);
    return 1;
  }
  const where = peer === "gateway" ? "commit it as wireguard/gateway.pub (the site's wireguard.gatewayPublicKeyFile)" : "put it in wireguard/peers.yaml as publicKey";
  const next =
    peer === "gateway"
      ? "add it as a version of the Secret Manager secret wireguard.privateKeySecret names (gcloud secrets versions add <secret> --data-file <this file>), the only copy that leaves this machine; never into the repository"
      : "wg:peer-config reads it to render the peer's config, which you import into the peer and then delete; never into the repository";
  process.stderr.write(`private key written to ${file} (mode 0600); ${next}\npublic key (${where}):\n`);
  process.stdout.write(`${pair.publicKey}\n`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
