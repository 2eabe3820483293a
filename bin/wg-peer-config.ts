// npm run wg:peer-config -- <peer> [--endpoint <ip>] [--key <private-key-file>] [--out <file>]
// Renders a peer's wg-quick config (standard keys only) for import into the
// home router. The private key is read from the admin's local key file.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseIpv4 } from "../lib/cidr";
import { announceSite, exitOnDataFileError } from "../lib/cli";
import { isInsideRepository, loadSite, REPO_ROOT, siteFileFromEnv } from "../lib/settings";
import { readWireguardKeyFile } from "../lib/wireguard/keys";
import { defaultKeyFile } from "../lib/wireguard/local-keys";
import { loadPeers } from "../lib/wireguard/peers";
import { renderPeerConfig } from "../lib/wireguard/render";

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function readKey(file: string, what: string): string {
  const read = readWireguardKeyFile(file);
  return "key" in read ? read.key : fail(`${what} ${file}: ${read.error}`);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { endpoint: { type: "string" }, key: { type: "string" }, out: { type: "string" } },
});
const [peerName] = positionals;
if (!peerName) {
  process.stderr.write("usage: npm run wg:peer-config -- <peer> [--endpoint <public-ip>] [--key <private-key-file>] [--out <file>]\n");
  process.exit(2);
}

const siteFile = exitOnDataFileError(() => siteFileFromEnv());
announceSite(siteFile);
const site = exitOnDataFileError(() => loadSite(siteFile));
const { settings } = site;
const peers = exitOnDataFileError(() => loadPeers(site.resolvePath(settings.wireguard.peersFile), settings.wireguard.peersFile, settings));
const peer = peers.find((p) => p.name === peerName) ?? fail(`no peer "${peerName}" in ${settings.wireguard.peersFile}; known peers: ${peers.map((p) => p.name).join(", ")}`);

const endpoint =
  values.endpoint ??
  settings.wireguard.endpoint ??
  fail(
    "the gateway's public IP is unknown: pass --endpoint <ip> or set wireguard.endpoint in the site settings. After deploying the network stack: terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip",
  );
const endpointProblem = parseIpv4(endpoint);
if (typeof endpointProblem === "string") fail(`--endpoint: ${endpointProblem}`);

const config = renderPeerConfig({
  site: settings,
  peer,
  privateKey: readKey(values.key ?? defaultKeyFile(peer.name), "private key"),
  gatewayPublicKey: readKey(site.resolvePath(settings.wireguard.gatewayPublicKeyFile), "gateway public key"),
  endpoint,
});

/** A path inside the repository that git would not ignore: a private key there is one `git add -A` from being committed. */
function trackableInRepository(file: string): boolean {
  if (!isInsideRepository(file)) return false;
  const ignored = spawnSync("git", ["check-ignore", "-q", file], { cwd: REPO_ROOT, timeout: 10_000 });
  return ignored.status !== 0;
}

if (values.out) {
  const out = resolve(values.out);
  if (trackableInRepository(out)) {
    fail(`--out ${values.out}: refusing to write ${peer.name}'s private key inside the repository where git would track it; write it outside (e.g. ~/netboot-keys/${peer.name}.conf) or to a path .gitignore covers`);
  }
  writeFileSync(out, config, { mode: 0o600 });
  process.stderr.write(`wrote ${values.out} (mode 0600); it contains ${peer.name}'s private key: import it, then delete it\n`);
} else {
  process.stdout.write(config);
}
