// The boot path for real network-boot firmware, in network namespaces:
//
//   VMs (taps) ─ br0 [server] ── lan ── [router] ══ WireGuard ══ [gateway] ── uplink ── [matchbox]
//   dnsmasq on br0 10.0.20.10   10.0.20.1   203.0.113.10   203.0.113.1   10.132.0.10    10.132.0.1 + ClusterIP
//
// - server: the boot VLAN. A bridge carries the VMs' taps and the link to the
//   router; dnsmasq serves DHCP on it, configured as docs/boot-path.md tells users
//   (renderDnsmasqConfig), with the router as the VMs' default gateway.
// - router: the home router peer: its config from renderPeerConfig (what
//   `npm run wg:peer-config` prints), applied as wg-quick would, plus the
//   route of docs/boot-path.md to the gateway's tunnel IP.
// - gateway: wireguard/gateway.sh (the DaemonSet's script) with the config and
//   rules from renderGatewayConfig/renderGatewayRules.
// - matchbox: the Go Matchbox v0.11.0 stand-in (test/support/matchbox-standin)
//   at the ClusterIP, serving the profiles and groups as the real Terraform CLI
//   evaluated them (test/support/terraform-app.ts).
//
// The namespaces, processes and cleanup are the tunnel test's harness
// (netns.ts, wireguard.ts).
import { bootReportClusterIp } from "../../../lib/input/settings";
import { IPXE_CHAIN_EFI_PATH } from "../../../lib/input/boot-assets";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { NetbootSite } from "../../../lib/input/site";
import { generateWireguardKeyPair } from "../../../lib/input/wireguard/keys";
import { MATCHBOX_HTTP_PORT, renderGatewayConfig, renderGatewayRules, renderPeerConfig } from "../../../lib/model/wireguard/render";
import { fixtureSiteFrom } from "../../support/site";
import { repoTempDir } from "../../support/files";
import { buildMatchboxStandIn } from "../../support/matchbox-standin";
import { applyApp, matchboxStoreFromEvaluated, writeMatchboxStore, type EvaluatedMatchboxStore } from "../../support/terraform-app";
import type { Background, NetnsHarness } from "./netns";
import { runGatewayScript, wgPeers, wgQuickUp } from "./wireguard";

export const BOOT_NET = {
  server: "10.0.20.10", // br0 in the server namespace: dnsmasq
  routerLan: "10.0.20.1", // the example site's bootVlanGateways
  dhcpFirst: "10.0.20.100",
  dhcpLast: "10.0.20.199",
  routerWan: "203.0.113.10", // the example site's homePublicCidrs
  gatewayWan: "203.0.113.1",
  gatewayUplink: "10.132.0.10",
  node: "10.132.0.1",
  routerTunnel: "10.99.0.2",
  mtu: { lan: 1500, gcp: 1460 },
} as const;

/** Where UEFI HTTP-boot clients get the embedded-script iPXE binary (ADR 0008). */
export const CHAIN_EFI_ASSET = IPXE_CHAIN_EFI_PATH;

/**
 * The dnsmasq configuration for network boot (docs/boot-path.md, "DHCP network-boot setting"):
 * iPXE clients (user class "iPXE") get Matchbox's /boot.ipxe on the
 * gateway's tunnel IP; UEFI HTTP-boot clients (client architecture 16,
 * x86-64 UEFI HTTP) get the iPXE binary with the embedded chain script and
 * the "HTTPClient" vendor class UEFI requires in the offer.
 */
export function renderDnsmasqConfig(o: { iface: string; gatewayIp: string; router: string; rangeFirst: string; rangeLast: string; netmask: string; leaseFile: string }): string {
  const matchbox = `http://${o.gatewayIp}:${MATCHBOX_HTTP_PORT}`;
  return [
    "# DHCP only (no DNS)",
    "port=0",
    `interface=${o.iface}`,
    "bind-interfaces",
    `dhcp-range=${o.rangeFirst},${o.rangeLast},${o.netmask},1h`,
    `dhcp-option=option:router,${o.router}`,
    `dhcp-leasefile=${o.leaseFile}`,
    "# iPXE (ROM, or the chain binary after its own DHCP): Matchbox's boot script",
    "dhcp-userclass=set:ipxe,iPXE",
    `dhcp-boot=tag:ipxe,${matchbox}/boot.ipxe`,
    "# UEFI HTTP boot (client arch 16 = x86-64 UEFI HTTP): the iPXE binary with the embedded chain script",
    "dhcp-match=set:efi-http,option:client-arch,16",
    `dhcp-boot=tag:efi-http,tag:!ipxe,${matchbox}/assets/${CHAIN_EFI_ASSET}`,
    "dhcp-option-force=tag:efi-http,tag:!ipxe,option:vendor-class,HTTPClient",
    "log-dhcp",
    "",
  ].join("\n");
}

export interface BootNetwork {
  readonly site: NetbootSite;
  readonly ns: { server: string; router: string; gateway: string; matchbox: string };
  readonly gatewayIp: string;
  readonly dnsmasqConfig: string;
  readonly dnsmasq: Background;
  readonly matchbox: Background;
  /** What the stand-in serves: the matchbox-config stack as Terraform evaluated it. */
  readonly store: EvaluatedMatchboxStore;
  /** Stops the stand-in and serves `store` instead (the same address); the new process's log is the returned one's. */
  restartMatchbox(store: EvaluatedMatchboxStore, label: string): Promise<Background>;
  /** Creates a tap on the boot bridge (in the server namespace) and returns its name. */
  addTap(name: string): Promise<string>;
}

/**
 * Builds the path and starts dnsmasq and the Matchbox stand-in serving what
 * Terraform evaluates for the site's matchbox-config stack, and the files in
 * `assetsDir`. `editSite` adjusts the fixture-derived site.
 */
export async function buildBootNetwork(h: NetnsHarness, opts: { editSite?: (s: Record<string, any>) => void; assetsDir: string }): Promise<BootNetwork> {
  const dir = h.tempDir;
  const gatewayKeys = generateWireguardKeyPair();
  const routerKeys = generateWireguardKeyPair();
  // Data files a site names must be inside the repository (lib/input/repo-files.ts).
  const data = repoTempDir("e2e-boot");
  const files = { peers: join(data, "peers.yaml"), gatewayPub: join(data, "gateway.pub") };
  writeFileSync(files.gatewayPub, `${gatewayKeys.publicKey}\n`);
  const site = fixtureSiteFrom((s) => {
    s.homePublicCidrs = [`${BOOT_NET.routerWan}/32`];
    s.wireguard.peersFile = files.peers; // absolute: settings paths resolve against the repo root
    s.wireguard.gatewayPublicKeyFile = files.gatewayPub;
    writeFileSync(
      files.peers,
      stringify({ peers: [{ name: "home-router", publicKey: routerKeys.publicKey, tunnelAddress: BOOT_NET.routerTunnel, routedCidrs: [s.bootVlanCidrs[0]], admin: false }] }),
    );
    opts.editSite?.(s);
  });
  const settings = site.settings;
  if (settings.bootVlanCidrs[0] !== "10.0.20.0/24") throw new Error(`the boot network expects the example's boot VLAN 10.0.20.0/24, not ${settings.bootVlanCidrs[0]}`);
  const gatewayIp = settings.wireguard.gatewayAddress;
  const clusterIp = settings.matchbox.clusterIp;
  // What Matchbox would hold, as the real Terraform CLI evaluates it: computed
  // first, so a Terraform problem fails before anything starts.
  const store = matchboxStoreFromEvaluated(applyApp(site, { root: mkdtempSync(join(dir, "terraform-")) }).evaluated["matchbox-config"]);
  const storeFile = writeMatchboxStore(join(dir, "matchbox-store.json"), store);
  const standIn = buildMatchboxStandIn();

  const ns = {
    server: await h.addNamespace("server"),
    router: await h.addNamespace("router"),
    gateway: await h.addNamespace("gateway"),
    matchbox: await h.addNamespace("matchbox"),
  };
  const { lan, gcp } = BOOT_NET.mtu;
  // The boot VLAN: a bridge in the server namespace with the link to the router.
  await h.check(ns.server, ["ip", "link", "add", "br0", "mtu", String(lan), "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await h.veth({ ns: ns.server, name: "eth0", mtu: lan }, { ns: ns.router, name: "lan", mtu: lan, address: `${BOOT_NET.routerLan}/24` });
  await h.check(ns.server, ["ip", "link", "set", "eth0", "master", "br0"]);
  await h.check(ns.server, ["ip", "address", "add", `${BOOT_NET.server}/24`, "dev", "br0"]);
  await h.check(ns.server, ["ip", "link", "set", "br0", "up"]);
  await h.check(ns.server, ["ip", "route", "add", "default", "via", BOOT_NET.routerLan]);
  await h.veth({ ns: ns.router, name: "wan", mtu: gcp, address: `${BOOT_NET.routerWan}/24` }, { ns: ns.gateway, name: "wan", mtu: gcp, address: `${BOOT_NET.gatewayWan}/24` });
  await h.veth({ ns: ns.gateway, name: "uplink", mtu: gcp, address: `${BOOT_NET.gatewayUplink}/24` }, { ns: ns.matchbox, name: "eth0", mtu: gcp, address: `${BOOT_NET.node}/24` });
  await h.check(ns.matchbox, ["ip", "address", "add", `${clusterIp}/32`, "dev", "lo"]);
  await h.sysctl(ns.router, "net.ipv4.ip_forward", "1");
  await h.sysctl(ns.gateway, "net.ipv4.ip_forward", "1");

  // The Go Matchbox stand-in at the ClusterIP.
  const matchbox = await h.spawn(ns.matchbox, "matchbox stand-in", [standIn, "-address", `0.0.0.0:${MATCHBOX_HTTP_PORT}`, "-store", storeFile, "-assets", opts.assetsDir], {
    ready: /^ready /m,
    readyTimeoutMs: 30_000,
  });

  // The gateway: the DaemonSet's script with the rendered files.
  const wg = { router: h.wgName("router"), gateway: h.wgName("gateway") };
  const inputs = { site: settings, peers: site.peers, matchboxAddress: clusterIp, bootReportAddress: bootReportClusterIp(settings) };
  await runGatewayScript(h, ns.gateway, {
    iface: wg.gateway,
    dir: mkdtempSync(join(h.tempDir, "gateway-pod-")),
    files: { config: renderGatewayConfig(inputs), rules: renderGatewayRules(inputs, { tunnel: wg.gateway, uplink: "uplink" }), privateKey: gatewayKeys.privateKey },
    expectedPublicKey: gatewayKeys.publicKey,
  });
  await h.check(ns.gateway, ["ip", "route", "add", "default", "via", BOOT_NET.node, "dev", "uplink"]);

  // The router peer, and the route of docs/boot-path.md to the gateway's tunnel IP.
  const routerConf = renderPeerConfig({ site: settings, peer: site.peers[0], privateKey: routerKeys.privateKey, gatewayPublicKey: gatewayKeys.publicKey, endpoint: BOOT_NET.gatewayWan });
  await wgQuickUp(h, ns.router, wg.router, routerConf);
  await h.check(ns.router, ["ip", "route", "replace", `${gatewayIp}/32`, "dev", wg.router]);
  await h.waitFor(`a WireGuard handshake on ${wg.router}`, async () => ((await wgPeers(h, ns.router, wg.router)).get(gatewayKeys.publicKey)?.latestHandshake ? true : undefined), 10_000, 100);

  // DHCP on the boot VLAN.
  const dnsmasqConfig = renderDnsmasqConfig({
    iface: "br0",
    gatewayIp,
    router: BOOT_NET.routerLan,
    rangeFirst: BOOT_NET.dhcpFirst,
    rangeLast: BOOT_NET.dhcpLast,
    netmask: "255.255.255.0",
    leaseFile: join(dir, "dnsmasq.leases"),
  });
  const confFile = join(dir, "dnsmasq.conf");
  writeFileSync(confFile, dnsmasqConfig);
  const dnsmasq = await h.spawn(ns.server, "dnsmasq", ["dnsmasq", "--keep-in-foreground", `--conf-file=${confFile}`, "--log-facility=-", "--user=root", "--pid-file="], {
    ready: /DHCP, sockets bound exclusively to interface br0/,
    readyTimeoutMs: 10_000,
  });

  let taps = 0;
  let current = matchbox;
  return {
    site,
    ns,
    gatewayIp,
    dnsmasqConfig,
    dnsmasq,
    matchbox,
    store,
    restartMatchbox: async (next: EvaluatedMatchboxStore, label: string) => {
      // One stand-in on the ClusterIP at a time: stop the running one, then serve `next` there.
      const running = current;
      running.child.kill("SIGTERM");
      await running.exited;
      const file = writeMatchboxStore(join(dir, `matchbox-store-${label}.json`), next);
      current = await h.spawn(ns.matchbox, `matchbox stand-in (${label})`, [standIn, "-address", `0.0.0.0:${MATCHBOX_HTTP_PORT}`, "-store", file, "-assets", opts.assetsDir], {
        ready: /^ready /m,
        readyTimeoutMs: 30_000,
      });
      return current;
    },
    addTap: async (role: string) => {
      const tap = `tap${taps++}${role}`.slice(0, 15);
      await h.check(ns.server, ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
      await h.check(ns.server, ["ip", "link", "set", tap, "master", "br0"]);
      await h.check(ns.server, ["ip", "link", "set", tap, "up"]);
      return tap;
    },
  };
}
