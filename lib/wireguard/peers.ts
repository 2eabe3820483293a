import peersSchema from "../../wireguard/peers.schema.json";
import { cidrContains, cidrsOverlap, cidrWithin, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from "../cidr";
import { FirstSeen } from "../first-seen";
import { checkAgainstSchema } from "../schema-check";
import type { SiteSettings } from "../settings";
import { DataFileError, YamlSource, type Problem } from "../yaml-source";
import { checkWireguardKey } from "./keys";

export interface WireguardPeer {
  readonly name: string;
  readonly publicKey: string;
  readonly tunnelAddress: string;
  /** Boot VLAN CIDRs routed behind this peer (its AllowedIPs besides its tunnel address). */
  readonly routedCidrs: readonly string[];
  /** May reach Matchbox's gRPC API. */
  readonly admin: boolean;
}

/** Reads and validates the peers file against the site; throws DataFileError listing every problem. */
export function loadPeers(file: string, displayName: string, site: SiteSettings): WireguardPeer[] {
  return parsePeers(YamlSource.read(file, displayName), site);
}

export function parsePeers(source: YamlSource, site: SiteSettings): WireguardPeer[] {
  const value = source.value() ?? {};
  const schemaProblems = checkAgainstSchema(peersSchema, value, source);
  if (schemaProblems.length > 0) throw new DataFileError(`WireGuard peers ${source.file}`, schemaProblems);
  const peers = (value as { peers: WireguardPeer[] }).peers;
  const problems = checkPeers(peers, site, source);
  if (problems.length > 0) throw new DataFileError(`WireGuard peers ${source.file}`, problems);
  return peers;
}

function checkPeers(peers: readonly WireguardPeer[], site: SiteSettings, src: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const tunnel = parseIpv4Cidr(site.wireguard.tunnelCidr) as Ipv4Cidr;
  const bootVlans = site.bootVlanCidrs.map((c) => parseIpv4Cidr(c) as Ipv4Cidr);
  const seen = new FirstSeen();
  const routed: { cidr: Ipv4Cidr; peer: string }[] = [];

  peers.forEach((peer, i) => {
    const at = (field: string | number, ...rest: (string | number)[]) => ["peers", i, field, ...rest];
    const keyProblem = checkWireguardKey(peer.publicKey);
    if (keyProblem) problems.push(src.problem(at("publicKey"), keyProblem, peer.name));

    const dupName = seen.before("name", peer.name, i);
    if (dupName !== undefined) problems.push(src.problem(at("name"), `duplicate peer name "${peer.name}" (also peers[${dupName}])`, peer.name));
    const dupKey = seen.before("key", peer.publicKey, i);
    if (dupKey !== undefined) problems.push(src.problem(at("publicKey"), `duplicate public key (also peers[${dupKey}] "${peers[dupKey].name}"); every peer needs its own key pair`, peer.name));

    const address = parseIpv4(peer.tunnelAddress);
    if (typeof address === "string") problems.push(src.problem(at("tunnelAddress"), address, peer.name));
    else if (!cidrContains(tunnel, address)) {
      problems.push(src.problem(at("tunnelAddress"), `${peer.tunnelAddress} is outside wireguard.tunnelCidr ${tunnel.text}`, peer.name));
    } else if (peer.tunnelAddress === site.wireguard.gatewayAddress) {
      problems.push(src.problem(at("tunnelAddress"), `${peer.tunnelAddress} is the gateway's own tunnel address (wireguard.gatewayAddress)`, peer.name));
    } else {
      const dup = seen.before("address", peer.tunnelAddress, i);
      if (dup !== undefined) problems.push(src.problem(at("tunnelAddress"), `duplicate tunnel address ${peer.tunnelAddress} (also peers[${dup}] "${peers[dup].name}")`, peer.name));
    }

    peer.routedCidrs.forEach((text, j) => {
      const c = parseIpv4Cidr(text);
      if (typeof c === "string") {
        problems.push(src.problem(at("routedCidrs", j), c, peer.name));
        return;
      }
      if (!bootVlans.some((vlan) => cidrWithin(c, vlan))) {
        problems.push(src.problem(at("routedCidrs", j), `${text} is not within bootVlanCidrs (${site.bootVlanCidrs.join(", ")}); only boot VLANs are routed through the tunnel`, peer.name));
        return;
      }
      const clash = routed.find((r) => cidrsOverlap(r.cidr, c));
      if (clash) problems.push(src.problem(at("routedCidrs", j), `${text} overlaps ${clash.cidr.text}, already routed behind peer "${clash.peer}"`, peer.name));
      routed.push({ cidr: c, peer: peer.name });
    });
  });
  return problems;
}
