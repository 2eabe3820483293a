// npm run wg:peer-config -- <peer> [--endpoint <ip>] [--key <private-key-file>] [--out <file>] [--force]
// Renders a peer's wg-quick config (standard keys only) for import into the
// home router. The private key is read from the admin's local key file and
// must belong to the peer: its public key must be the peer's publicKey.
import { resolve } from "node:path";
import { publicEndpointProblem } from "../lib/input/cidr";
import { announceSite, helpRequested, parseCommandArgs, writeError } from "../lib/commands/cli";
import { loadSite, siteFileFromEnv } from "../lib/input/settings";
import { publicKeyOf, readWireguardKeyFile } from "../lib/input/wireguard/keys";
import { defaultKeyFile, privateKeyPathInRepository, writePrivateFile } from "../lib/commands/local-keys";
import { loadPeers } from "../lib/input/wireguard/peers";
import { renderPeerConfig } from "../lib/model/wireguard/render";
import { DataFileError } from "../lib/input/yaml-source";

export const USAGE = "usage: npm run wg:peer-config -- <peer> [--endpoint <public-ip>] [--key <private-key-file>] [--out <file>] [--force]";

/** A refusal: printed as one `error:` line, exit status `code`. */
class Refusal extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

function fail(message: string): never {
  throw new Refusal(message);
}

function readKey(file: string, what: string): string {
  const read = readWireguardKeyFile(file);
  return "key" in read ? read.key : fail(`${what} ${file}: ${read.error}`);
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  if (helpRequested(argv, USAGE)) return 0;
  const parsed = parseCommandArgs(argv, { endpoint: { type: "string" }, key: { type: "string" }, out: { type: "string" }, force: { type: "boolean", default: false } } as const, USAGE);
  if (parsed === 2) return 2;
  const { values, positionals } = parsed;
  const [peerName] = positionals;
  if (!peerName || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }

  const siteFile = siteFileFromEnv(env);
  announceSite(siteFile);
  const site = loadSite(siteFile);
  const { settings } = site;
  const gatewayPublicKey = readKey(site.resolvePath(settings.wireguard.gatewayPublicKeyFile, ["wireguard", "gatewayPublicKeyFile"]), "gateway public key");
  const peersFile = settings.wireguard.peersFile;
  const peers = loadPeers(site.resolvePath(peersFile, ["wireguard", "peersFile"]), peersFile, settings, gatewayPublicKey);
  const peer = peers.find((p) => p.name === peerName) ?? fail(`no peer "${peerName}" in ${peersFile}; known peers: ${peers.map((p) => p.name).join(", ")}`);

  const endpoint =
    values.endpoint ??
    settings.wireguard.endpoint ??
    fail(
      "the gateway's public IP is unknown: pass --endpoint <ip> or set wireguard.endpoint in the site settings. After deploying the network stack: terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip",
    );
  const endpointProblem = publicEndpointProblem(endpoint);
  if (endpointProblem) fail(`${values.endpoint === undefined ? "wireguard.endpoint (site settings)" : "--endpoint"}: ${endpointProblem}`);

  // The private key must be this peer's: a config with another peer's key
  // (a mixed-up file) would be refused by the gateway with no hint why.
  const keyFile = values.key ?? defaultKeyFile(peer.name, env);
  const keyFlag = values.key === undefined ? "private key" : "--key";
  const privateKey = readKey(keyFile, keyFlag);
  const derived = publicKeyOf(privateKey);
  if (derived !== peer.publicKey) {
    fail(
      `${keyFlag} ${keyFile}: its public key is ${derived}, but peer "${peer.name}" in ${peersFile} has publicKey ${peer.publicKey}; pass the private key wg:keygen wrote for ${peer.name}, or put this key's public key in ${peersFile}`,
    );
  }

  const config = renderPeerConfig({ site: settings, peer, privateKey, gatewayPublicKey, endpoint });

  if (values.out === undefined) {
    process.stdout.write(config);
    return 0;
  }
  const out = resolve(values.out);
  const inside = privateKeyPathInRepository(out, "--out");
  if (inside) fail(`${inside} (the config holds ${peer.name}'s private key)`);
  const refused = writePrivateFile(out, config, { replace: values.force === true });
  if (refused?.reason === "exists") fail(`--out ${out} exists; pass --force to replace it`);
  if (refused) fail(`--out ${refused.message}`);
  process.stderr.write(`wrote ${values.out} (mode 0600); it contains ${peer.name}'s private key: import it, then delete it\n`);
  return 0;
}

/** Exit status: 0 written, 1 refused or invalid data (nothing written), 2 bad arguments (one error line and the usage line). */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  try {
    return run(argv, env);
  } catch (err) {
    if (err instanceof Refusal || err instanceof DataFileError) {
      writeError(err.message);
      return err instanceof Refusal ? err.code : 1;
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
