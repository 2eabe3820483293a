import peersSchema from "../../../wireguard/peers.schema.json";
import { cidrContains, cidrsOverlap, cidrWithin, lastAddress, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from "../cidr";
import { FirstSeen } from "../first-seen";
import { validatedDocument } from "../schema-check";
import type { SiteSettings } from "../settings";
import { YamlSource, type Problem } from "../yaml-source";
import { checkWireguardKey } from "./keys";

export interface WireguardPeer {
  readonly name: string;
  readonly publicKey: string;
  readonly tunnelAddress: string;
  /** Boot VLAN CIDRs routed behind this peer (its AllowedIPs besides its tunnel address). */
  readonly routedCidrs: readonly string[];
  /** May reach Matchbox's gRPC API. */
  readonly admin: boolean;
  /**
   * The router masquerades its boot VLAN to its tunnel address. `false` or
   * unset (the schema's default, strict): only sources in routedCidrs reach
   * Matchbox HTTP, the peer's own tunnel address does not. `true` (opt-in):
   * the tunnel address is admitted to Matchbox HTTP, and with it everything
   * the router masquerades into the tunnel. Optional only so that peers built
   * in code may omit it; parsePeers always sets it.
   */
  readonly sourceNat?: boolean;
}

/**
 * Reads and validates the peers file against the site; throws DataFileError listing every problem.
 * With `gatewayPublicKey` (the site's wireguard.gatewayPublicKeyFile), a peer holding the gateway's own key is refused too.
 */
export function loadPeers(file: string, displayName: string, site: SiteSettings, gatewayPublicKey?: string): WireguardPeer[] {
  return parsePeers(YamlSource.read(file, displayName), site, gatewayPublicKey);
}

export function parsePeers(source: YamlSource, site: SiteSettings, gatewayPublicKey?: string): WireguardPeer[] {
  return validatedDocument<{ peers: WireguardPeer[] }>(source, peersSchema, "WireGuard peers", ({ peers }) => checkPeers(peers, site, source, gatewayPublicKey)).peers;
}

function checkPeers(peers: readonly WireguardPeer[], site: SiteSettings, src: YamlSource, gatewayPublicKey?: string): Problem[] {
  const problems: Problem[] = [];
  const tunnel = parseIpv4Cidr(site.wireguard.tunnelCidr) as Ipv4Cidr;
  const bootVlans = site.bootVlanCidrs.map((c) => parseIpv4Cidr(c) as Ipv4Cidr);
  const seen = new FirstSeen();
  const routed: { cidr: Ipv4Cidr; peer: string }[] = [];

  peers.forEach((peer, i) => {
    const at = (field: string | number, ...rest: (string | number)[]) => ["peers", i, field, ...rest];
    const keyProblem = checkWireguardKey(peer.publicKey);
    if (keyProblem) problems.push(src.problem(at("publicKey"), keyProblem, peer.name));
    else if (gatewayPublicKey !== undefined && peer.publicKey === gatewayPublicKey) {
      problems.push(
        src.problem(
          at("publicKey"),
          `is the gateway's own public key (wireguard.gatewayPublicKeyFile ${site.wireguard.gatewayPublicKeyFile}); the gateway cannot be its own peer: on the peer's machine run npm run wg:keygen -- ${peer.name} and put the printed public key here`,
          peer.name,
        ),
      );
    }

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
    } else if (tunnel.prefix < 31 && [tunnel.address.toString(), lastAddress(tunnel).toString()].includes(address.toString())) {
      const which = address.toString() === tunnel.address.toString() ? "network" : "broadcast";
      problems.push(src.problem(at("tunnelAddress"), `${peer.tunnelAddress} is the ${which} address of wireguard.tunnelCidr ${tunnel.text}; allowed: a host address of ${tunnel.text} other than the gateway's`, peer.name));
    } else {
      const dup = seen.before("address", peer.tunnelAddress, i);
      if (dup !== undefined) problems.push(src.problem(at("tunnelAddress"), `duplicate tunnel address ${peer.tunnelAddress} (also peers[${dup}] "${peers[dup].name}")`, peer.name));
    }

    if (peer.sourceNat === true && peer.routedCidrs.length === 0) {
      problems.push(
        src.problem(
          at("sourceNat"),
          `sourceNat: true needs routedCidrs: a masquerading router's tunnel address is admitted to Matchbox HTTP (8080) in place of the boot VLAN it hides, so list that boot VLAN (within bootVlanCidrs) in routedCidrs, or remove sourceNat`,
          peer.name,
        ),
      );
    }
    if (peer.sourceNat === true && peer.admin) {
      problems.push(
        src.problem(
          at("sourceNat"),
          `sourceNat: true and admin: true together would open Matchbox's gRPC API (8081) to every device this router masquerades into the tunnel; give the admin machine its own peer`,
          peer.name,
        ),
      );
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
