import type { SiteSettings } from "../../input/settings";
import type { WireguardPeer } from "../../input/wireguard/peers";
import { BOOT_REPORT_FORWARDED_PORTS } from "../boot-reports";

/** Matchbox's ports: plain HTTP for booting machines, gRPC (mutual TLS) for the API. */
export const MATCHBOX_HTTP_PORT = 8080;
export const MATCHBOX_RPC_PORT = 8081;
/** Talos's API (apid); in maintenance mode it serves non-sensitive resources without a client certificate. */
export const TALOS_API_PORT = 50000;

/**
 * Chains of the gateway's packet filter. NETBOOT-RULES is declared in every
 * table the rules fill (an empty marker: each table is committed on its own,
 * so a table can fail to load while another loads); `gateway.sh check` (the
 * pod's readiness and liveness probe) requires every NETBOOT-* chain the
 * rules file declares. NETBOOT-REFUSED logs (rate-limited) and drops what a
 * peer's own tunnel address sends to Matchbox HTTP.
 */
export const GATEWAY_RULES_MARKER_CHAIN = "NETBOOT-RULES";
export const GATEWAY_REFUSED_CHAIN = "NETBOOT-REFUSED";
/** The kernel log prefix of refused 8080 attempts (iptables allows at most 29 characters). */
export const GATEWAY_REFUSED_LOG_PREFIX = "netboot 8080, see sourceNat: ";
/** The comment that names the peer on each refusal rule; gateway.sh reads it back from the counters. */
export const refusedComment = (peer: string) => `netboot: ${MATCHBOX_HTTP_PORT} from the tunnel address of peer ${peer}`;

/** Interface names and addresses of one gateway instance: the pod's, or a test namespace's. */
export interface GatewayInterfaces {
  /** The WireGuard interface, e.g. `wg0`. */
  readonly tunnel: string;
  /** The interface towards the cluster network, e.g. `eth0` in a pod. */
  readonly uplink: string;
}

export interface GatewayInputs {
  readonly site: SiteSettings;
  readonly peers: readonly WireguardPeer[];
  /** Where Matchbox listens, as the gateway reaches it (the Service's ClusterIP). */
  readonly matchboxAddress: string;
  /** Where the boot-report receiver listens (its Service's ClusterIP; lib/input/settings.ts bootReportClusterIp). */
  readonly bootReportAddress: string;
}

const tunnelPrefix = (site: SiteSettings) => site.wireguard.tunnelCidr.split("/")[1];

/**
 * The gateway's WireGuard config in wg-quick format, without PrivateKey: the
 * private key is added at start from Secret Manager, so this file holds
 * nothing secret. `wireguard/gateway.sh` applies it.
 */
export function renderGatewayConfig({ site, peers }: GatewayInputs): string {
  const lines = [
    "# netboot WireGuard gateway. Rendered from the site settings and wireguard/peers.yaml; do not edit.",
    "# PrivateKey is not here: gateway.sh sets it from Secret Manager at start.",
    "[Interface]",
    `Address = ${site.wireguard.gatewayAddress}/${tunnelPrefix(site)}`,
    `ListenPort = ${site.wireguard.listenPort}`,
    `MTU = ${site.wireguard.mtu}`,
  ];
  for (const peer of peers) {
    lines.push(
      "",
      `# ${peer.name}${peer.admin ? " (admin)" : ""}`,
      "[Peer]",
      `PublicKey = ${peer.publicKey}`,
      `AllowedIPs = ${[`${peer.tunnelAddress}/32`, ...peer.routedCidrs].join(", ")}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The gateway's packet filter as `iptables-restore` input, for the pod's own
 * network namespace. Booting machines (the boot VLANs routed behind peers)
 * reach Matchbox HTTP and the boot-report receiver's report ports at the
 * gateway's tunnel IP; admin peers also reach Matchbox's gRPC API; nothing
 * else is forwarded or accepted from the tunnel.
 *
 * A peer's own tunnel address reaches Matchbox HTTP only when the peer says
 * its router masquerades the boot VLAN (`sourceNat: true`, opt-in): whatever
 * such a router sends into the tunnel arrives from that one address, and the
 * gateway cannot tell a booting machine from any other home device. By
 * default (strict) the tunnel address is refused, and each refusal is counted
 * per peer and logged (rate-limited) with a hint to check the peer's sourceNat.
 */
export function renderGatewayRules({ site, peers, matchboxAddress, bootReportAddress }: GatewayInputs, ifaces: GatewayInterfaces): string {
  const { tunnel: wg, uplink } = ifaces;
  const gateway = `${site.wireguard.gatewayAddress}/32`;
  const bootSources = peers.flatMap((p) => (p.routedCidrs.length === 0 ? [] : [...(p.sourceNat === true ? [`${p.tunnelAddress}/32`] : []), ...p.routedCidrs]));
  const refusedPeers = peers.filter((p) => p.sourceNat !== true);
  const adminSources = peers.filter((p) => p.admin).map((p) => `${p.tunnelAddress}/32`);
  // The boot-report ports (Talos's event sink and kernel log, docs/adr/0017)
  // from exactly the sources that reach Matchbox HTTP: whoever may boot may report.
  const forwards = [
    ...bootSources.map((source) => ({ source, port: MATCHBOX_HTTP_PORT, to: matchboxAddress })),
    ...adminSources.map((source) => ({ source, port: MATCHBOX_RPC_PORT, to: matchboxAddress })),
    ...bootSources.flatMap((source) => BOOT_REPORT_FORWARDED_PORTS.map((port) => ({ source, port: port as number, to: bootReportAddress }))),
  ];
  const tunnelSources = [site.wireguard.tunnelCidr, ...peers.flatMap((p) => p.routedCidrs)];
  // With discovery on, admin peers (only) reach the Talos API of machines in maintenance mode on the boot
  // VLANs, masqueraded to the gateway's tunnel IP: the router peer routes only that address back into the tunnel.
  const maintenanceApi = site.discovery.enabled ? adminSources.flatMap((source) => peers.flatMap((p) => p.routedCidrs).map((vlan) => ({ source, vlan }))) : [];
  const marker = `:${GATEWAY_RULES_MARKER_CHAIN} - [0:0]`;

  return [
    "# netboot WireGuard gateway packet filter (iptables-restore). Rendered; do not edit.",
    `# ${GATEWAY_RULES_MARKER_CHAIN} (empty) marks each table as loaded: gateway.sh check, the pod's probe, requires it.`,
    "*mangle",
    ":PREROUTING ACCEPT [0:0]",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    marker,
    "# Clamp TCP MSS to the path MTU: many paths drop ICMP 'fragmentation needed',",
    "# and without the clamp large boot downloads stall inside the tunnel.",
    `-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu`,
    "COMMIT",
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":INPUT ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    marker,
    "# The boot URL is the gateway's tunnel IP, whatever the cluster's addresses.",
    "# Matchbox HTTP and the boot-report receiver: the boot VLANs, and the tunnel address of peers with sourceNat: true.",
    ...forwards.map(
      (f) => `-A PREROUTING -i ${wg} -s ${f.source} -d ${gateway} -p tcp -m tcp --dport ${f.port} -j DNAT --to-destination ${f.to}:${f.port}`,
    ),
    "# The cluster network has no route to home or tunnel addresses: replies must come back to this pod.",
    ...tunnelSources.map((source) => `-A POSTROUTING -s ${source} -o ${uplink} -j MASQUERADE`),
    ...(maintenanceApi.length > 0 ? [`# discovery: admin peers -> the Talos maintenance API (${TALOS_API_PORT}) on the boot VLANs, from the gateway's tunnel IP.`] : []),
    ...maintenanceApi.map((m) => `-A POSTROUTING -o ${wg} -s ${m.source} -d ${m.vlan} -p tcp -m tcp --dport ${TALOS_API_PORT} -j MASQUERADE`),
    "COMMIT",
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD DROP [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    marker,
    `:${GATEWAY_REFUSED_CHAIN} - [0:0]`,
    `-A INPUT -i ${wg} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A INPUT -i ${wg} -p icmp -m icmp --icmp-type 8 -j ACCEPT`,
    "# A peer's own tunnel address asking for Matchbox HTTP (sourceNat: false): counted per peer, logged, dropped.",
    ...refusedPeers.map(
      (p) =>
        `-A INPUT -i ${wg} -s ${p.tunnelAddress}/32 -d ${gateway} -p tcp -m tcp --dport ${MATCHBOX_HTTP_PORT} --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment "${refusedComment(p.name)}" -j ${GATEWAY_REFUSED_CHAIN}`,
    ),
    `-A INPUT -i ${wg} -j DROP`,
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    ...forwards.map(
      (f) =>
        `-A FORWARD -i ${wg} -o ${uplink} -s ${f.source} -d ${f.to}/32 -p tcp -m tcp --dport ${f.port} -m conntrack --ctstate DNAT -j ACCEPT`,
    ),
    ...maintenanceApi.map((m) => `-A FORWARD -i ${wg} -o ${wg} -s ${m.source} -d ${m.vlan} -p tcp -m tcp --dport ${TALOS_API_PORT} -j ACCEPT`),
    "# The kernel logs from a pod's network namespace only where the node sets net.netfilter.nf_log_all_netns=1;",
    "# gateway.sh reports the refusal counters in the pod's log either way.",
    `-A ${GATEWAY_REFUSED_CHAIN} -m limit --limit 6/min --limit-burst 3 -j LOG --log-prefix "${GATEWAY_REFUSED_LOG_PREFIX}"`,
    `-A ${GATEWAY_REFUSED_CHAIN} -j DROP`,
    "COMMIT",
    "",
  ].join("\n");
}

export interface PeerConfigInputs {
  readonly site: SiteSettings;
  readonly peer: WireguardPeer;
  readonly privateKey: string;
  readonly gatewayPublicKey: string;
  /** Public IP of the WireGuard endpoint (the network stack's static address). */
  readonly endpoint: string;
}

/**
 * A peer's client config in wg-quick format with standard keys only, as the
 * UniFi WireGuard client imports it (it applies the file with `wg syncconf`,
 * so PostUp and friends would be ignored there).
 */
export function renderPeerConfig({ site, peer, privateKey, gatewayPublicKey, endpoint }: PeerConfigInputs): string {
  return [
    "[Interface]",
    `Address = ${peer.tunnelAddress}/32`,
    `PrivateKey = ${privateKey}`,
    `MTU = ${site.wireguard.mtu}`,
    "",
    "[Peer]",
    `PublicKey = ${gatewayPublicKey}`,
    `Endpoint = ${endpoint}:${site.wireguard.listenPort}`,
    // With discovery on, an admin peer also routes the boot VLANs into the tunnel (the gateway forwards only the Talos API port there).
    `AllowedIPs = ${[`${site.wireguard.gatewayAddress}/32`, ...(site.discovery.enabled && peer.admin ? site.bootVlanCidrs : [])].join(", ")}`,
    `PersistentKeepalive = ${site.wireguard.persistentKeepalive}`,
    "",
  ].join("\n");
}
