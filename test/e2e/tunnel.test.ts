// Issue 5: the boot path over a real WireGuard tunnel, on this machine, in
// network namespaces, with the project's own rendered configurations.
//
//   server ──lan 1500── router ══ WireGuard (wireguard-go) ══ gateway ──uplink 1460── matchbox
//   10.0.20.10          10.0.20.1   203.0.113.10    203.0.113.1   10.132.0.10          10.132.0.1, ClusterIP on lo
//                                  └────── "internet" bridge, MTU 1460 ──────┘
//   admin 203.0.113.20 (admin peer) and stranger 203.0.113.66 (unknown key) hang off the same bridge.
//   homelan 192.168.1.50 ──lan2── router: a second home network that is not a boot VLAN (issue 13).
//
// - router: the config `npm run wg:peer-config` renders for the test's router
//   peer, applied as wg-quick would, plus the route of docs/boot-path.md (UDM Pro) to the gateway's tunnel IP.
// - gateway: wireguard/gateway.sh (the DaemonSet's script, running and waiting as
//   in the pod) with the config and rules from renderGatewayConfig/renderGatewayRules
//   for this test's interface names.
// - strict mode (sourceNat unset): the home network gets nothing from 8080 whether
//   the router routes or masquerades it into the tunnel; sourceNat: true admits the
//   router's tunnel address, and with it whatever the router masquerades.
// - recovery: the gateway script is killed with SIGKILL and started again; the
//   tunnel and a boot fetch work again.
// - ICMP "fragmentation needed" is dropped in every namespace on the path, so
//   only the MSS clamp and the tunnel MTU keep large downloads from stalling.
//
// Debugging aid: E2E_BREAK=mss or E2E_BREAK=dnat removes the TCPMSS or the DNAT
// lines from the rendered rules before the gateway applies them, and
// E2E_BREAK=mtu sets the gateway's tunnel MTU to 1500, to show that the test
// catches each (it must then fail).
//
// Runs as root with wireguard-go, wireguard-tools, iproute2, iptables and curl
// (.ci/run installs them); elsewhere it skips visibly, or fails with REQUIRE_E2E=1.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { bootReportClusterIp, REPO_ROOT, type SiteSettings } from "../../lib/input/settings";
import { BOOT_REPORT_PORTS } from "../../lib/model/boot-reports";
import { generateWireguardKeyPair } from "../../lib/input/wireguard/keys";
import { loadPeers, type WireguardPeer } from "../../lib/input/wireguard/peers";
import { GATEWAY_REFUSED_CHAIN, MATCHBOX_HTTP_PORT, MATCHBOX_RPC_PORT, renderGatewayConfig, renderGatewayRules, renderPeerConfig } from "../../lib/model/wireguard/render";
import { fixtureSiteValue, siteFrom } from "../support/site";
import { repoTempDir } from "../support/files";
import { NetnsHarness, type Background, type RunResult } from "./support/netns";
import { commands, describeE2E, namespacesWithIptables, runsAsRoot, tunDevice } from "./support/prerequisites";
import { gatewayCheck, killGatewayScript, startGatewayScript, wgPeers, wgQuickUp, type GatewayScriptOptions } from "./support/wireguard";

const OVERALL_DEADLINE_MS = 200_000;
const BIG_FILE_BYTES = 64 * 1024 * 1024;
const E2E_BREAK = process.env.E2E_BREAK?.trim() || undefined;

// Addresses inside the test's namespaces only. The boot VLAN, tunnel and
// ClusterIP come from the (example-derived) test site.
const NET = {
  server: "10.0.20.10",
  routerLan: "10.0.20.1",
  routerWan: "203.0.113.10", // the example site's homePublicCidrs
  adminWan: "203.0.113.20",
  strangerWan: "203.0.113.66",
  gatewayWan: "203.0.113.1", // the WireGuard endpoint (--endpoint)
  gatewayUplink: "10.132.0.10", // a pod IP in network.podsCidr
  node: "10.132.0.1", // the "node"/cluster side of the pod's link, where Matchbox lives
  otherService: "10.136.0.99", // another ClusterIP, must not be reachable
  routerTunnel: "10.99.0.2",
  adminTunnel: "10.99.0.3",
  strangerTunnel: "10.99.0.9",
  homeLan: "192.168.1.0/24", // a home network that is not a boot VLAN
  homeDevice: "192.168.1.50",
  routerHomeLan: "192.168.1.1",
  mtu: { lan: 1500, gcp: 1460 },
  otherPort: 9000,
};

interface Topology {
  site: SiteSettings;
  ns: { server: string; router: string; gateway: string; matchbox: string; admin: string; stranger: string; inet: string; homelan: string };
  wg: { router: string; gateway: string; admin: string; stranger: string };
  keys: { gateway: string; router: string; admin: string; stranger: string };
  gatewayIp: string;
  clusterIp: string;
  /** The boot-report receiver's ClusterIP (the real receiver.js runs there, in the matchbox namespace). */
  reportIp: string;
  receiver: Background;
  bootIpxe: string;
  bigSha256: string;
  rules: string;
  peersFile: string;
  /** The running gateway.sh and how to start it again (the recovery test replaces it). */
  gateway: { process: Background; opts: GatewayScriptOptions };
}

describeE2E(
  "WireGuard tunnel e2e (network namespaces, wireguard-go)",
  [
    runsAsRoot,
    commands({ ip: "iproute2", "wireguard-go": "wireguard-go", wg: "wireguard-tools", "wg-quick": "wireguard-tools", iptables: "iptables", "iptables-restore": "iptables", curl: "curl", npm: "npm" }),
    tunDevice,
    namespacesWithIptables,
  ],
  () => {
    let h: NetnsHarness;
    let t: Topology;

    beforeAll(async () => {
      h = new NetnsHarness("nbe2e", OVERALL_DEADLINE_MS);
      if (E2E_BREAK) process.stderr.write(`E2E_BREAK=${E2E_BREAK}: the gateway's rules are deliberately broken; this run must fail\n`);
      t = await buildTopology(h);
    }, 60_000);

    afterAll(async () => {
      const problems = (await h?.cleanup()) ?? [];
      expect(problems).toEqual([]);
    }, 15_000);

    const curl = (ns: string, url: string, extra: string[] = [], timeoutS = 5) =>
      h.run(ns, ["curl", "-sS", "--noproxy", "*", "--connect-timeout", String(Math.min(3, timeoutS)), "--max-time", String(timeoutS), ...extra, url], { timeoutMs: (timeoutS + 5) * 1000 });
    const describeFailure = (r: RunResult) => `curl exit ${r.code}${r.timedOut ? " (killed)" : ""} after ${r.ms} ms: ${r.stderr.trim() || r.stdout.trim()}`;

    test("the server on the boot VLAN fetches boot.ipxe from the gateway's tunnel IP", async () => {
      const r = await curl(t.ns.server, `http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe`, ["-f"], 10);
      if (r.code !== 0) throw new Error(`GET http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe from the server failed: ${describeFailure(r)}`);
      expect(r.stdout).toBe(t.bootIpxe);
    }, 20_000);

    test("a 64 MiB download completes intact with ICMP fragmentation-needed dropped (MSS clamp + MTU); throughput vs plain veth", async () => {
      const out = join(h.tempDir, "downloads");
      mkdirSync(out, { recursive: true });
      const fetchBig = async (ns: string, url: string, file: string) => {
        // A stall (no progress for 5 s) fails fast instead of waiting for --max-time.
        const r = await curl(ns, url, ["-f", "-o", file, "--speed-limit", "65536", "--speed-time", "5", "-w", "%{size_download} %{time_total}"], 40);
        const [bytes, seconds] = r.stdout.trim().split(" ").map(Number);
        return { r, bytes: bytes || 0, seconds: seconds || 0 };
      };

      const tunnel = await fetchBig(t.ns.server, `http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/big.bin`, join(out, "tunnel.bin"));
      if (tunnel.r.code !== 0) {
        const drops = await fragNeededDrops(h, [t.ns.gateway, t.ns.router, t.ns.matchbox]);
        throw new Error(
          `the 64 MiB download through the tunnel did not complete: ${describeFailure(tunnel.r)}; ` +
            `${tunnel.bytes} of ${BIG_FILE_BYTES} bytes arrived. ICMP fragmentation-needed dropped so far: ${drops}. ` +
            `A stall like this means full-size segments do not fit the tunnel: check the TCPMSS clamp and the MTU in the gateway's rules/config.`,
        );
      }
      expect(tunnel.bytes).toBe(BIG_FILE_BYTES);
      expect(await sha256(join(out, "tunnel.bin"))).toBe(t.bigSha256);
      // The tunnel MTU keeps encapsulated packets within the 1460-byte links: no IP fragmentation anywhere.
      const fragments = await fragmentsCreated(h, Object.values(t.ns));
      expect(fragments).toEqual(Object.fromEntries(Object.keys(t.ns).map((role) => [role, 0])));

      // The same file over a plain veth (gateway pod -> Matchbox, no tunnel).
      const plain = await fetchBig(t.ns.gateway, `http://${t.clusterIp}:${MATCHBOX_HTTP_PORT}/big.bin`, join(out, "plain.bin"));
      if (plain.r.code !== 0) throw new Error(`the plain veth download failed: ${describeFailure(plain.r)}`);
      expect(await sha256(join(out, "plain.bin"))).toBe(t.bigSha256);

      const mbps = (x: { bytes: number; seconds: number }) => x.bytes / 1e6 / x.seconds;
      const drops = await fragNeededDrops(h, [t.ns.gateway, t.ns.router, t.ns.matchbox]);
      process.stdout.write(
        `\ntunnel e2e throughput, 64 MiB: WireGuard tunnel ${mbps(tunnel).toFixed(1)} MB/s (${tunnel.seconds.toFixed(2)} s), ` +
          `plain veth ${mbps(plain).toFixed(1)} MB/s (${plain.seconds.toFixed(2)} s), ratio tunnel/veth ${(mbps(tunnel) / mbps(plain)).toFixed(3)}; ` +
          `ICMP fragmentation-needed dropped: ${drops}\n`,
      );
    }, 60_000);

    test(`port ${MATCHBOX_RPC_PORT} (Matchbox gRPC) is reachable from the admin peer, not from the router peer or its boot VLAN`, async () => {
      const url = `http://${t.gatewayIp}:${MATCHBOX_RPC_PORT}/`;
      const [admin, router, server] = await Promise.all([curl(t.ns.admin, url, [], 5), curl(t.ns.router, url, [], 3), curl(t.ns.server, url, [], 3)]);
      if (admin.code !== 0) throw new Error(`admin peer -> ${url} failed: ${describeFailure(admin)}`);
      expect(admin.stdout).toBe("matchbox-rpc\n");
      expect({ from: "router peer", reached: router.code === 0, output: router.stdout }).toEqual({ from: "router peer", reached: false, output: "" });
      expect({ from: "boot VLAN server", reached: server.code === 0, output: server.stdout }).toEqual({ from: "boot VLAN server", reached: false, output: "" });
    }, 20_000);

    const reportClient = (ns: string, args: string[]) => h.run(ns, [process.execPath, join(__dirname, "support", "boot-report-client.js"), ...args], { timeoutMs: 15_000 });
    const reportFixture = (name: string) => join(REPO_ROOT, "test", "fixtures", "boot-reports", name);
    const probe = async (ns: string, host: string, port: number) => JSON.parse((await reportClient(ns, ["probe", host, String(port)])).stdout || '{"reached":"no output"}').reached as boolean | string;

    test("boot reports: the boot VLAN reaches the receiver's event (gRPC h2c) and log ports at the gateway's tunnel IP; the receiver sees the gateway pod's address", async () => {
      const events = await reportClient(t.ns.server, ["events", t.gatewayIp, String(BOOT_REPORT_PORTS.events), reportFixture("install-cp-01.events.hex")]);
      if (events.code !== 0) throw new Error(`Publish from the boot VLAN through the tunnel failed: ${events.stdout}${events.stderr}`);
      const logs = await reportClient(t.ns.server, ["logs", t.gatewayIp, String(BOOT_REPORT_PORTS.logs), reportFixture("install-cp-01.kmsg.jsonl")]);
      if (logs.code !== 0) throw new Error(`kernel log lines from the boot VLAN through the tunnel failed: ${logs.stdout}${logs.stderr}`);
      const status = await h.waitFor(
        "the receiver's status shows cp-01 with its events and log lines",
        async () => {
          const r = await curl(t.ns.matchbox, `http://127.0.0.1:${BOOT_REPORT_PORTS.status}/status`, ["-f"], 3);
          if (r.code !== 0) return undefined;
          const cp01 = JSON.parse(r.stdout).machines.find((m: { machine: string }) => m.machine === "cp-01");
          return cp01 && cp01.logLines === 6 ? cp01 : undefined;
        },
        10_000,
        100,
      );
      // Reports arrive masqueraded to the gateway pod's uplink address (as in GKE): identification comes from what they carry.
      expect(status).toMatchObject({ machine: "cp-01", phase: "installed", identifiedBy: "hostname", mac: "aa:bb:cc:dd:ee:01", talosVersion: "v1.13.9", peerAddress: NET.gatewayUplink, events: 18 });
    }, 30_000);

    test("boot reports: not reachable from a non-boot home network, the router's or admin's own tunnel address, an unknown key, or the internet side; the status port is not forwarded", async () => {
      // Positive control in the same run: the boot VLAN still reaches both report ports.
      for (const port of [BOOT_REPORT_PORTS.events, BOOT_REPORT_PORTS.logs]) expect({ port, reached: await probe(t.ns.server, t.gatewayIp, port) }).toEqual({ port, reached: true });
      const probes: [string, string, string, number][] = [
        ["home LAN (not a boot VLAN)", t.ns.homelan, t.gatewayIp, BOOT_REPORT_PORTS.events],
        ["home LAN (not a boot VLAN)", t.ns.homelan, t.gatewayIp, BOOT_REPORT_PORTS.logs],
        ["router's own tunnel address", t.ns.router, t.gatewayIp, BOOT_REPORT_PORTS.events],
        ["router's own tunnel address", t.ns.router, t.gatewayIp, BOOT_REPORT_PORTS.logs],
        ["admin peer", t.ns.admin, t.gatewayIp, BOOT_REPORT_PORTS.events],
        ["admin peer", t.ns.admin, t.gatewayIp, BOOT_REPORT_PORTS.logs],
        ["unknown key", t.ns.stranger, t.gatewayIp, BOOT_REPORT_PORTS.events],
        ["internet side, the gateway's public address", t.ns.stranger, NET.gatewayWan, BOOT_REPORT_PORTS.events],
        ["internet side, the gateway's public address", t.ns.stranger, NET.gatewayWan, BOOT_REPORT_PORTS.logs],
        ["boot VLAN, the status port", t.ns.server, t.gatewayIp, BOOT_REPORT_PORTS.status],
        ["boot VLAN, the receiver's ClusterIP directly", t.ns.server, t.reportIp, BOOT_REPORT_PORTS.events],
      ];
      const results = await Promise.all(probes.map(([, ns, host, port]) => probe(ns, host, port)));
      expect(probes.filter((_, i) => results[i] !== false).map(([from, , host, port], i) => `${from} -> ${host}:${port}: ${results[i]}`)).toEqual([]);
      // The receiver never crashed on the way (it would have exited).
      expect(t.receiver.child.exitCode).toBeNull();
    }, 30_000);

    test("no other port or address behind the gateway is reachable, even for peers that route more than their config", async () => {
      // Peers that widen their AllowedIPs (a tampered config) still get only what the rules allow.
      const widened = [`${t.gatewayIp}/32`, t.site.network.servicesCidr, t.site.network.podsCidr];
      for (const [ns, iface] of [
        [t.ns.router, t.wg.router],
        [t.ns.admin, t.wg.admin],
      ] as const) {
        await h.check(ns, ["wg", "set", iface, "peer", t.keys.gateway, "allowed-ips", widened.join(",")]);
        for (const cidr of widened.slice(1)) await h.check(ns, ["ip", "route", "replace", cidr, "dev", iface]);
      }
      // Positive controls through the same (widened) tunnels.
      const control = await curl(t.ns.server, `http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe`, ["-f"], 5);
      if (control.code !== 0) throw new Error(`control: boot.ipxe from the server failed after widening: ${describeFailure(control)}`);
      const adminControl = await curl(t.ns.admin, `http://${t.gatewayIp}:${MATCHBOX_RPC_PORT}/`, ["-f"], 5);
      if (adminControl.code !== 0) throw new Error(`control: admin -> ${MATCHBOX_RPC_PORT} failed after widening: ${describeFailure(adminControl)}`);

      const other = NET.otherPort;
      const probes: [string, string, string][] = [
        ["server", t.ns.server, `http://${t.gatewayIp}:${other}/`], // a listener in the gateway pod itself
        ["server", t.ns.server, `http://${t.gatewayIp}:22/`],
        ["server", t.ns.server, `http://${t.clusterIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe`], // the ClusterIP directly, without DNAT
        ["server", t.ns.server, `http://${t.clusterIp}:${other}/`],
        ["server", t.ns.server, `http://${NET.otherService}:${MATCHBOX_HTTP_PORT}/boot.ipxe`],
        ["server", t.ns.server, `http://${NET.node}:${MATCHBOX_HTTP_PORT}/boot.ipxe`],
        ["server", t.ns.server, `http://${NET.gatewayUplink}:${other}/`],
        ["router", t.ns.router, `http://${t.gatewayIp}:${other}/`],
        ["router", t.ns.router, `http://${t.clusterIp}:${MATCHBOX_RPC_PORT}/`],
        ["admin", t.ns.admin, `http://${t.gatewayIp}:${other}/`],
        ["admin", t.ns.admin, `http://${t.clusterIp}:${MATCHBOX_RPC_PORT}/`],
        ["admin", t.ns.admin, `http://${t.clusterIp}:${other}/`],
        ["admin", t.ns.admin, `http://${NET.node}:${MATCHBOX_RPC_PORT}/`],
      ];
      const results = await Promise.all(probes.map(([, ns, url]) => curl(ns, url, [], 3)));
      const reached = probes.filter((_, i) => results[i].code === 0).map(([from, , url], i) => `${from} -> ${url}: ${JSON.stringify(results[i].stdout)}`);
      expect(reached).toEqual([]);
    }, 30_000);

    test("a key that is not a configured peer gets no handshake and no data through", async () => {
      const udpFromStranger = async () => Number((await h.check(t.ns.gateway, ["iptables", "-t", "raw", "-S", "PREROUTING", "-v"])).match(new RegExp(`-s ${NET.strangerWan}/32 .*-c (\\d+) \\d+`))?.[1] ?? 0);
      const r = await curl(t.ns.stranger, `http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe`, [], 3);
      expect({ reached: r.code === 0, output: r.stdout }).toEqual({ reached: false, output: "" });
      // The stranger did knock (its handshake initiations reached the gateway's socket) ...
      expect(await udpFromStranger()).toBeGreaterThan(0);
      // ... but completed no handshake and received nothing, and the gateway has no peer for it.
      const stranger = (await wgPeers(h, t.ns.stranger, t.wg.stranger)).get(t.keys.gateway);
      expect(stranger).toMatchObject({ latestHandshake: 0, rx: 0 });
      const gatewayPeers = await wgPeers(h, t.ns.gateway, t.wg.gateway);
      expect(gatewayPeers.has(t.keys.stranger)).toBe(false);
      expect([...gatewayPeers.values()].filter((p) => p.endpoint.startsWith(`${NET.strangerWan}:`))).toEqual([]);
      // The configured peers did complete handshakes (so the check above is not vacuous).
      expect(gatewayPeers.get(t.keys.router)?.latestHandshake).toBeGreaterThan(0);
      expect(gatewayPeers.get(t.keys.admin)?.latestHandshake).toBeGreaterThan(0);
    }, 20_000);

    const bootUrl = () => `http://${t.gatewayIp}:${MATCHBOX_HTTP_PORT}/boot.ipxe`;
    /** Whether `ns` got boot.ipxe from the gateway's tunnel IP (3 s, no retries). */
    const reaches = async (ns: string) => {
      const r = await curl(ns, bootUrl(), ["-f"], 3);
      return r.code === 0 && r.stdout === t.bootIpxe;
    };
    const routerNat = (op: "-A" | "-D", source?: string) =>
      h.check(t.ns.router, ["iptables", "-t", "nat", op, "POSTROUTING", ...(source ? ["-s", source] : []), "-o", t.wg.router, "-j", "MASQUERADE"]);
    /** Packets counted by the gateway's refusal rule for `peer` and by NETBOOT-REFUSED's LOG and DROP rules. */
    const refusals = async (peer: string) => {
      // (h.run: a filter without the chain yields NaN counts, and the assertions on them fail, not this helper.)
      const input = (await h.run(t.ns.gateway, ["iptables", "-t", "filter", "-S", "INPUT", "-v"])).stdout;
      const chain = (await h.run(t.ns.gateway, ["iptables", "-t", "filter", "-S", GATEWAY_REFUSED_CHAIN, "-v"])).stdout;
      const count = (text: string, re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
      return {
        peer: count(input, new RegExp(`tunnel address of peer ${peer}"? -c (\\d+) \\d+ -j ${GATEWAY_REFUSED_CHAIN}`)),
        logged: count(chain, /-m limit .*-c (\d+) \d+ -j LOG/),
        dropped: count(chain, new RegExp(`-A ${GATEWAY_REFUSED_CHAIN} -c (\\d+) \\d+ -j DROP`)),
      };
    };

    test("strict (sourceNat unset): a second, non-boot home network gets nothing from 8080, routed or masqueraded into the tunnel; the boot VLAN still does", async () => {
      expect(t.site.bootVlanCidrs).not.toContain(NET.homeLan);
      // The router sends the home network to the gateway's tunnel IP as well (the route of docs/boot-path.md (UDM Pro) without a source restriction).
      expect(await h.check(t.ns.router, ["ip", "route", "get", t.gatewayIp, "from", NET.homeDevice, "iif", "lan2"])).toContain(`dev ${t.wg.router}`);

      // Routed without NAT: its address is not in the router peer's AllowedIPs, so WireGuard itself drops it at the gateway.
      expect({ homeLan: await reaches(t.ns.homelan), bootVlan: await reaches(t.ns.server) }).toEqual({ homeLan: false, bootVlan: true });

      // Masqueraded to the router's tunnel address, as a router with source NAT does: refused, because the peer is strict.
      const before = await refusals("home-router");
      await routerNat("-A", NET.homeLan);
      try {
        expect({ homeLan: await reaches(t.ns.homelan), routerItself: await reaches(t.ns.router), bootVlan: await reaches(t.ns.server) }).toEqual({
          homeLan: false,
          routerItself: false,
          bootVlan: true,
        });
      } finally {
        await routerNat("-D", NET.homeLan);
      }
      const after = await refusals("home-router");
      expect(after.peer).toBeGreaterThan(before.peer);
      expect(after.dropped - before.dropped).toBe(after.peer - before.peer);
    }, 30_000);

    test("strict: a router that masquerades its boot VLAN is refused, and the gateway's log says which peer and to check its sourceNat (rate-limited)", async () => {
      const logBefore = t.gateway.process.output().length;
      const before = await refusals("home-router");
      await routerNat("-A"); // everything the router sends into the tunnel leaves with its tunnel address
      try {
        // Six attempts at once: more than the kernel log's burst (3).
        const attempts = await Promise.all(Array.from({ length: 6 }, () => curl(t.ns.server, bootUrl(), ["-f"], 2)));
        expect(attempts.map((r) => r.code === 0)).toEqual(Array(6).fill(false));
      } finally {
        await routerNat("-D");
      }
      const hint = await h.waitFor(
        "the gateway to report the refusals",
        () => t.gateway.process.output().slice(logBefore).match(/gateway: refused \d+ connection attempt\(s\).*\n/)?.[0],
        5_000,
        100,
      );
      expect(hint).toMatch(
        new RegExp(
          `refused \\d+ connection attempt\\(s\\) \\(TCP SYNs, retries included\\) to ${t.gatewayIp}:8080 from ${NET.routerTunnel}, the tunnel address of peer home-router: ` +
            `only sources in a peer's routedCidrs reach Matchbox HTTP \\(sourceNat: false\\)\\. If home-router is a router that masquerades its boot VLAN into the tunnel, .*set sourceNat: true for home-router in wireguard/peers\\.yaml`,
        ),
      );
      const after = await refusals("home-router");
      expect(after.peer - before.peer).toBeGreaterThanOrEqual(6);
      // The kernel LOG rule is rate-limited (burst 3, then 6/min): it saw fewer packets than were dropped.
      expect(after.logged - before.logged).toBeLessThanOrEqual(4);
      expect(after.dropped - before.dropped).toBeGreaterThan(after.logged - before.logged);
      // Without NAT again, the boot VLAN boots.
      expect(await reaches(t.ns.server)).toBe(true);
    }, 30_000);

    test("recovery: the gateway script killed with SIGKILL and started again removes its leftover interface, is ready, and the tunnel and a boot fetch work again", async () => {
      expect((await gatewayCheck(h, t.ns.gateway, t.gateway.opts)).code).toBe(0);
      const killedAt = Date.now();
      await killGatewayScript(t.gateway.process, "SIGKILL");
      // The interface survives in the namespace (wireguard-go outlives the script, as a kernel interface outlives the pod's process).
      await h.check(t.ns.gateway, ["ip", "link", "show", "dev", t.wg.gateway]);

      t.gateway.process = await startGatewayScript(h, t.ns.gateway, { ...t.gateway.opts, name: "gateway.sh (restarted)" });
      const restartedMs = Date.now() - killedAt;
      const log = t.gateway.process.output();
      expect(log).toMatch(new RegExp(`gateway: ${t.wg.gateway} already exists, left over from an earlier run .*: removing it`));
      expect(log.indexOf("gateway: packet filter installed")).toBeLessThan(log.indexOf(`gateway: created ${t.wg.gateway}`));
      const check = await gatewayCheck(h, t.ns.gateway, t.gateway.opts);
      expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 0, stderr: "" });

      // The router still holds a session with the killed gateway; WireGuard re-handshakes once its data goes unanswered
      // (Keepalive-Timeout + Rekey-Timeout, about 15 s), as a real router would after a pod restart.
      const fetched = await h.waitFor("a boot fetch through the tunnel after the restart", async () => ((await reaches(t.ns.server)) ? Date.now() : undefined), 45_000, 200);
      const handshake = (await wgPeers(h, t.ns.gateway, t.wg.gateway)).get(t.keys.router)?.latestHandshake ?? 0;
      expect(handshake * 1000).toBeGreaterThanOrEqual(Math.floor(killedAt / 1000) * 1000);
      process.stdout.write(`\ntunnel e2e recovery: gateway.sh up ${restartedMs} ms after SIGKILL; boot.ipxe through the tunnel again after ${fetched - killedAt} ms\n`);
      // And the strict rules are back: the router's own address is still refused.
      expect(await reaches(t.ns.router)).toBe(false);
    }, 60_000);

    test("sourceNat: true admits a masquerading router's boot VLAN; a route limited to the boot VLAN keeps the home network out; anything else it masquerades gets in", async () => {
      // The peer setting, through the project's own validation and renderer.
      const peersValue = parse(readFileSync(t.peersFile, "utf8"));
      peersValue.peers.find((p: { name: string }) => p.name === "home-router").sourceNat = true;
      const natPeersFile = join(repoTempDir("e2e-tunnel-nat"), "peers-source-nat.yaml");
      writeFileSync(natPeersFile, stringify(peersValue));
      const peers = loadPeers(natPeersFile, "peers.yaml (e2e, sourceNat)", t.site);
      expect(peers.find((p) => p.name === "home-router")?.sourceNat).toBe(true);
      const rules = renderGatewayRules({ site: t.site, peers, matchboxAddress: t.clusterIp, bootReportAddress: t.reportIp }, { tunnel: t.wg.gateway, uplink: "uplink" });
      // Loaded as the rolled pod's gateway.sh loads them (one iptables-restore), without waiting for another re-handshake.
      await h.check(t.ns.gateway, ["bash", "-c", 'exec "$(command -v iptables-nft-restore || command -v iptables-restore)"'], { input: rules });

      // The UDM Pro steps for this mode: masquerade, and route only the boot VLAN to the gateway's tunnel IP.
      const bootVlan = t.site.bootVlanCidrs[0];
      await routerNat("-A", bootVlan);
      await h.check(t.ns.router, ["ip", "route", "del", `${t.gatewayIp}/32`, "dev", t.wg.router]);
      await h.check(t.ns.router, ["ip", "route", "add", `${t.gatewayIp}/32`, "dev", t.wg.router, "table", "120"]);
      await h.check(t.ns.router, ["ip", "rule", "add", "from", bootVlan, "to", `${t.gatewayIp}/32`, "lookup", "120"]);
      expect({ bootVlan: await reaches(t.ns.server), homeLan: await reaches(t.ns.homelan) }).toEqual({ bootVlan: true, homeLan: false });

      // What stays exposed: whatever the router does send into the tunnel arrives as its tunnel address and is admitted.
      await h.check(t.ns.router, ["ip", "route", "add", `${t.gatewayIp}/32`, "dev", t.wg.router]);
      await routerNat("-A", NET.homeLan);
      expect({ homeLanRoutedAndMasqueraded: await reaches(t.ns.homelan) }).toEqual({ homeLanRoutedAndMasqueraded: true });
    }, 30_000);
  },
);

async function buildTopology(h: NetnsHarness): Promise<Topology> {
  const dir = h.tempDir;
  // --- the test's site and peers, through the project's own code --------------
  const gatewayKeys = generateWireguardKeyPair();
  const routerKeys = generateWireguardKeyPair();
  const adminKeys = generateWireguardKeyPair();
  const strangerKeys = generateWireguardKeyPair();
  // Data files a site names must be inside the repository (lib/input/repo-files.ts);
  // the private keys stay outside it, as wg:keygen and wg:peer-config require.
  const data = repoTempDir("e2e-tunnel");
  const files = {
    site: join(data, "site.yaml"),
    peers: join(data, "peers.yaml"),
    gatewayPub: join(data, "gateway.pub"),
    routerKey: join(dir, "home-router.key"),
    adminKey: join(dir, "admin-laptop.key"),
  };
  const editSite = (s: Record<string, any>) => {
    s.homePublicCidrs = [`${NET.routerWan}/32`, `${NET.adminWan}/32`];
    s.wireguard.peersFile = files.peers; // absolute: settings paths resolve against the repo root
    s.wireguard.gatewayPublicKeyFile = files.gatewayPub;
  };
  const siteValue = fixtureSiteValue();
  editSite(siteValue);
  writeFileSync(files.site, stringify(siteValue));
  const site = siteFrom(editSite, files.site);
  writeFileSync(
    files.peers,
    stringify({
      peers: [
        { name: "home-router", publicKey: routerKeys.publicKey, tunnelAddress: NET.routerTunnel, routedCidrs: [site.bootVlanCidrs[0]], admin: false },
        { name: "admin-laptop", publicKey: adminKeys.publicKey, tunnelAddress: NET.adminTunnel, admin: true },
      ],
    }),
  );
  writeFileSync(files.gatewayPub, `${gatewayKeys.publicKey}\n`);
  for (const [file, key] of [
    [files.routerKey, routerKeys.privateKey],
    [files.adminKey, adminKeys.privateKey],
  ]) {
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  }
  const peers: WireguardPeer[] = loadPeers(files.peers, "peers.yaml (e2e)", site);
  const server = `${NET.server}/${site.bootVlanCidrs[0].split("/")[1]}`;
  if (!site.bootVlanCidrs[0].startsWith("10.0.20.")) throw new Error(`the test topology expects the example's boot VLAN 10.0.20.0/24, not ${site.bootVlanCidrs[0]}`);
  const gatewayIp = site.wireguard.gatewayAddress;
  const clusterIp = site.matchbox.clusterIp;
  const reportIp = bootReportClusterIp(site);

  // Router and admin configs: the real command, as docs/boot-path.md tells the user to run it.
  const peerConfig = async (peer: string, keyFile: string) => {
    const out = join(dir, `${peer}.conf`);
    await h.check(null, ["npm", "run", "--silent", "wg:peer-config", "--", peer, "--endpoint", NET.gatewayWan, "--key", keyFile, "--out", out], {
      cwd: REPO_ROOT,
      env: { SITE_CONFIG: files.site, npm_config_update_notifier: "false", NO_UPDATE_NOTIFIER: "1" },
      timeoutMs: 40_000,
    });
    return readFileSync(out, "utf8");
  };
  const peerConfigsPromise = Promise.all([peerConfig("home-router", files.routerKey), peerConfig("admin-laptop", files.adminKey)]);
  peerConfigsPromise.catch(() => {}); // awaited below; avoid an unhandled rejection while the namespaces are built

  // --- namespaces and links ---------------------------------------------------
  const ns = {
    inet: await h.addNamespace("inet"),
    server: await h.addNamespace("server"),
    router: await h.addNamespace("router"),
    gateway: await h.addNamespace("gateway"),
    matchbox: await h.addNamespace("matchbox"),
    admin: await h.addNamespace("admin"),
    stranger: await h.addNamespace("stranger"),
    homelan: await h.addNamespace("homelan"),
  };
  const wg = { router: h.wgName("router"), gateway: h.wgName("gateway"), admin: h.wgName("admin"), stranger: h.wgName("stranger") };
  const { lan, gcp } = NET.mtu;

  await h.check(ns.inet, ["ip", "link", "add", "br0", "mtu", String(gcp), "type", "bridge"]);
  await h.check(ns.inet, ["ip", "link", "set", "br0", "up"]);
  const wan = async (role: string, target: string, address: string) => {
    await h.veth({ ns: target, name: "wan", mtu: gcp, address: `${address}/24` }, { ns: ns.inet, name: role, mtu: gcp });
    await h.check(ns.inet, ["ip", "link", "set", role, "master", "br0"]);
  };
  await wan("router", ns.router, NET.routerWan);
  await wan("gateway", ns.gateway, NET.gatewayWan);
  await wan("admin", ns.admin, NET.adminWan);
  await wan("stranger", ns.stranger, NET.strangerWan);
  await h.veth({ ns: ns.server, name: "eth0", mtu: lan, address: server }, { ns: ns.router, name: "lan", mtu: lan, address: `${NET.routerLan}/24` });
  await h.check(ns.server, ["ip", "route", "add", "default", "via", NET.routerLan]);
  // A second home network behind the router that is not a boot VLAN.
  await h.veth({ ns: ns.homelan, name: "eth0", mtu: lan, address: `${NET.homeDevice}/24` }, { ns: ns.router, name: "lan2", mtu: lan, address: `${NET.routerHomeLan}/24` });
  await h.check(ns.homelan, ["ip", "route", "add", "default", "via", NET.routerHomeLan]);
  await h.veth({ ns: ns.gateway, name: "uplink", mtu: gcp, address: `${NET.gatewayUplink}/24` }, { ns: ns.matchbox, name: "eth0", mtu: gcp, address: `${NET.node}/24` });
  for (const address of [clusterIp, reportIp, NET.otherService]) await h.check(ns.matchbox, ["ip", "address", "add", `${address}/32`, "dev", "lo"]);
  await h.sysctl(ns.router, "net.ipv4.ip_forward", "1");
  await h.sysctl(ns.gateway, "net.ipv4.ip_forward", "1"); // the pod's securityContext.sysctls

  // Many paths drop ICMP "fragmentation needed": so does every hop here, so PMTU
  // discovery cannot rescue a missing clamp. (raw table: untouched by the gateway's iptables-restore.)
  for (const n of [ns.server, ns.router, ns.gateway, ns.matchbox, ns.homelan]) {
    for (const chain of ["PREROUTING", "OUTPUT"]) {
      await h.check(n, ["iptables", "-t", "raw", "-A", chain, "-p", "icmp", "--icmp-type", "fragmentation-needed", "-j", "DROP"]);
    }
  }
  // Counts WireGuard packets from the stranger at the gateway (no target: counter only).
  await h.check(ns.gateway, ["iptables", "-t", "raw", "-A", "PREROUTING", "-s", `${NET.strangerWan}/32`, "-p", "udp", "--dport", String(site.wireguard.listenPort)]);

  // --- stand-ins: Matchbox at the ClusterIP, something else in the pod ---------
  const assets = join(dir, "assets");
  mkdirSync(assets);
  const bootIpxe = `#!ipxe\n# netboot e2e ${h.id}\nchain http://${gatewayIp}:${MATCHBOX_HTTP_PORT}/ipxe?mac=\${net0/mac:hexhyp}\n`;
  writeFileSync(join(assets, "boot.ipxe"), bootIpxe);
  const bigSha256 = writeRandomFile(join(assets, "big.bin"), BIG_FILE_BYTES);
  const standIn = join(__dirname, "support", "stand-in-server.js");
  await h.spawn(ns.matchbox, "matchbox stand-in", [process.execPath, standIn, `${MATCHBOX_HTTP_PORT}=${assets}`, `${MATCHBOX_RPC_PORT}:matchbox-rpc`, `${NET.otherPort}:matchbox-other`], { ready: /^ready$/m });
  // The real boot-report receiver, on its default ports, where its Service's ClusterIP is.
  const receiver = await h.spawn(ns.matchbox, "boot-report receiver", [process.execPath, join(REPO_ROOT, "constructs", "boot-report-receiver", "receiver.js")], {
    ready: /"kind":"ready"/m,
    env: { REPORT_INVENTORY: join(REPO_ROOT, "test", "fixtures", "boot-reports", "inventory.json") },
  });
  await h.spawn(ns.gateway, "gateway-pod stand-in", [process.execPath, standIn, `${NET.otherPort}:gateway-pod-other`], { ready: /^ready$/m });

  // --- the gateway: the DaemonSet's script with the rendered files, running as in the pod
  const inputs = { site, peers, matchboxAddress: clusterIp, bootReportAddress: reportIp };
  let gatewayConf = renderGatewayConfig(inputs);
  if (E2E_BREAK === "mtu") gatewayConf = gatewayConf.replace(/^MTU = .*$/m, "MTU = 1500");
  let rules = renderGatewayRules(inputs, { tunnel: wg.gateway, uplink: "uplink" });
  if (E2E_BREAK) rules = breakRules(rules, E2E_BREAK);
  const gatewayOpts: GatewayScriptOptions = {
    iface: wg.gateway,
    dir: mkdtempSync(join(h.tempDir, "gateway-pod-")),
    files: { config: gatewayConf, rules, privateKey: gatewayKeys.privateKey },
    expectedPublicKey: gatewayKeys.publicKey,
  };
  // Refusals reported every second (the pod: every 60 s).
  const gatewayProcess = await startGatewayScript(h, ns.gateway, { ...gatewayOpts, reportSeconds: 1 });
  // The pod's default route: the cluster network (Matchbox's ClusterIP) is behind its uplink.
  await h.check(ns.gateway, ["ip", "route", "add", "default", "via", NET.node, "dev", "uplink"]);

  // --- the peers ---------------------------------------------------------------
  const [routerConf, adminConf] = await peerConfigsPromise;
  await wgQuickUp(h, ns.router, wg.router, routerConf);
  // The route of docs/boot-path.md on the home router: the gateway's tunnel IP via the WireGuard interface.
  await h.check(ns.router, ["ip", "route", "replace", `${gatewayIp}/32`, "dev", wg.router]);
  await wgQuickUp(h, ns.admin, wg.admin, adminConf);
  const strangerPeer: WireguardPeer = { name: "stranger", publicKey: strangerKeys.publicKey, tunnelAddress: NET.strangerTunnel, routedCidrs: [], admin: false };
  await wgQuickUp(h, ns.stranger, wg.stranger, renderPeerConfig({ site, peer: strangerPeer, privateKey: strangerKeys.privateKey, gatewayPublicKey: gatewayKeys.publicKey, endpoint: NET.gatewayWan }));

  // Handshakes: PersistentKeepalive starts them as soon as the interfaces are up.
  for (const [n, iface] of [
    [ns.router, wg.router],
    [ns.admin, wg.admin],
  ] as const) {
    await h.waitFor(`a WireGuard handshake on ${iface}`, async () => ((await wgPeers(h, n, iface)).get(gatewayKeys.publicKey)?.latestHandshake ? true : undefined), 10_000, 100);
  }
  return {
    site,
    ns,
    wg,
    keys: { gateway: gatewayKeys.publicKey, router: routerKeys.publicKey, admin: adminKeys.publicKey, stranger: strangerKeys.publicKey },
    gatewayIp,
    clusterIp,
    reportIp,
    receiver,
    bootIpxe,
    bigSha256,
    rules,
    peersFile: files.peers,
    gateway: { process: gatewayProcess, opts: { ...gatewayOpts } },
  };
}

/** E2E_BREAK: removes the MSS clamp or the DNAT lines, to show the test notices. */
function breakRules(rules: string, what: string): string {
  if (what === "mtu") return rules;
  const pattern = { mss: /TCPMSS/, dnat: /-j DNAT/ }[what];
  if (!pattern) throw new Error(`E2E_BREAK=${what}: expected mss, dnat or mtu`);
  const lines = rules.split("\n");
  const kept = lines.filter((l) => !pattern.test(l));
  if (kept.length === lines.length) throw new Error(`E2E_BREAK=${what}: no rule matched ${pattern}`);
  return kept.join("\n");
}

function writeRandomFile(file: string, size: number): string {
  const hash = createHash("sha256");
  const fd = openSync(file, "w");
  try {
    for (let written = 0; written < size; ) {
      const chunk = randomBytes(Math.min(1 << 20, size - written));
      hash.update(chunk);
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(file)
      .on("data", (d) => hash.update(d))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** IP fragments each namespace created (/proc/net/snmp Ip: FragCreates), by role. */
async function fragmentsCreated(h: NetnsHarness, namespaces: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const ns of namespaces) {
    const [header, values] = (await h.check(ns, ["cat", "/proc/net/snmp"])).split("\n").filter((l) => l.startsWith("Ip: "));
    counts[ns.split("-").pop() as string] = Number(values.split(" ")[header.split(" ").indexOf("FragCreates")]);
  }
  return counts;
}

/** Packets dropped by the frag-needed rules, per namespace role. */
async function fragNeededDrops(h: NetnsHarness, namespaces: string[]): Promise<string> {
  const parts: string[] = [];
  for (const ns of namespaces) {
    const out = await h.check(ns, ["iptables", "-t", "raw", "-S", "-v"]).catch(() => "");
    const total = [...out.matchAll(/--icmp-type 3\/4 .*-c (\d+) \d+/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    parts.push(`${ns.split("-").pop()}=${total}`);
  }
  return parts.join(", ");
}
