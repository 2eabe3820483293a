import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoTempDir } from "../support/files";
import { stringify } from "yaml";
import { REPO_ROOT } from "../../lib/input/settings";
import { checkWireguardKey, generateWireguardKeyPair, publicKeyOf } from "../../lib/input/wireguard/keys";
import { parsePeers, type WireguardPeer } from "../../lib/input/wireguard/peers";
import { renderGatewayConfig, renderGatewayRules, renderPeerConfig } from "../../lib/model/wireguard/render";
import { GATEWAY_REFUSED_CHAIN, GATEWAY_REFUSED_LOG_PREFIX, GATEWAY_RULES_MARKER_CHAIN, refusedComment } from "../../lib/model/wireguard/render";
import { DataFileError, YamlSource } from "../../lib/input/yaml-source";
import { runApp } from "../support/app-run";
import { runCommand } from "../support/commands";
import { fixtureSiteValue, siteFrom } from "../support/site";

// Fixed test keys (RFC 7748 §6.1 test vectors: Alice's private key and its public key).
const ALICE_PRIVATE = Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex").toString("base64");
const ALICE_PUBLIC = Buffer.from("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "hex").toString("base64");
const BOB_PUBLIC = Buffer.from("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "hex").toString("base64");

const site = siteFrom();
const peers: WireguardPeer[] = [
  { name: "home-router", publicKey: ALICE_PUBLIC, tunnelAddress: "10.99.0.2", routedCidrs: ["10.0.20.0/24"], admin: false },
  { name: "admin-laptop", publicKey: BOB_PUBLIC, tunnelAddress: "10.99.0.3", routedCidrs: [], admin: true },
];

describe("WireGuard keys", () => {
  test("the public key of a private key matches RFC 7748's X25519 test vector", () => {
    expect(publicKeyOf(ALICE_PRIVATE)).toBe(ALICE_PUBLIC);
  });

  test("generated pairs are valid keys whose public half derives from the private half", () => {
    const pair = generateWireguardKeyPair();
    expect(checkWireguardKey(pair.privateKey)).toBeUndefined();
    expect(publicKeyOf(pair.privateKey)).toBe(pair.publicKey);
    expect(generateWireguardKeyPair().privateKey).not.toBe(pair.privateKey);
  });

  test.each(["", "abc", ALICE_PUBLIC.slice(0, 43), `${ALICE_PUBLIC.slice(0, 42)}B=`, 42])("rejects %p", (key) => {
    expect(checkWireguardKey(key)).toMatch(/is not a WireGuard key \(expected 44 characters of base64 ending in "="/);
  });
});

describe("gateway config and rules", () => {
  const inputs = { site, peers, matchboxAddress: "10.136.0.80", bootReportAddress: "10.136.0.81" };

  test("config: the gateway's address, port and MTU, one peer per entry with its routed boot VLANs, no private key", () => {
    expect(renderGatewayConfig(inputs)).toMatchSnapshot();
    expect(renderGatewayConfig(inputs)).not.toMatch(/^PrivateKey/m);
  });

  test("rules: DNAT 8080 for boot VLANs, 8081 only for admin peers, MASQUERADE, MSS clamp, default-drop forwarding", () => {
    const rules = renderGatewayRules(inputs, { tunnel: "wg0", uplink: "eth0" });
    expect(rules).toMatchSnapshot();
    const lines = rules.split("\n");
    expect(lines).toContain("-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu");
    expect(lines).toContain("-A PREROUTING -i wg0 -s 10.0.20.0/24 -d 10.99.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.136.0.80:8080");
    expect(lines).toContain("-A PREROUTING -i wg0 -s 10.99.0.3/32 -d 10.99.0.1/32 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.136.0.80:8081");
    expect(lines.filter((l) => l.includes("--dport 8081"))).toHaveLength(2); // DNAT + FORWARD, admin only
    expect(lines.filter((l) => l.includes("--dport 8081") && l.includes("10.99.0.2"))).toEqual([]);
    expect(lines).toContain(":FORWARD DROP [0:0]");
    expect(lines).toContain("-A INPUT -i wg0 -j DROP");
    expect(lines).toContain("-A POSTROUTING -s 10.0.20.0/24 -o eth0 -j MASQUERADE");
  });

  test("rules: the boot-report ports 4001 and 4002 (TCP) go to the receiver's ClusterIP from exactly the sources admitted to 8080; not 4003, not from admin or other peers' tunnel addresses", () => {
    const lines = renderGatewayRules(inputs, { tunnel: "wg0", uplink: "eth0" }).split("\n");
    const reportLines = lines.filter((l) => /--dport (4001|4002|4003)\b/.test(l));
    expect(reportLines).toEqual([
      "-A PREROUTING -i wg0 -s 10.0.20.0/24 -d 10.99.0.1/32 -p tcp -m tcp --dport 4001 -j DNAT --to-destination 10.136.0.81:4001",
      "-A PREROUTING -i wg0 -s 10.0.20.0/24 -d 10.99.0.1/32 -p tcp -m tcp --dport 4002 -j DNAT --to-destination 10.136.0.81:4002",
      "-A FORWARD -i wg0 -o eth0 -s 10.0.20.0/24 -d 10.136.0.81/32 -p tcp -m tcp --dport 4001 -m conntrack --ctstate DNAT -j ACCEPT",
      "-A FORWARD -i wg0 -o eth0 -s 10.0.20.0/24 -d 10.136.0.81/32 -p tcp -m tcp --dport 4002 -m conntrack --ctstate DNAT -j ACCEPT",
    ]);
    const sourcesOf = (port: number) => lines.filter((l) => l.startsWith("-A PREROUTING") && l.includes(`--dport ${port} `)).map((l) => l.split(" -s ")[1].split(" ")[0]);
    expect(sourcesOf(4001)).toEqual(sourcesOf(8080));
    expect(sourcesOf(4002)).toEqual(sourcesOf(8080));
    // A peer with sourceNat: true: its tunnel address reaches 8080, and so the report ports too.
    const nat = peers.map((p, i) => (i === 0 ? { ...p, sourceNat: true } : p));
    const natLines = renderGatewayRules({ ...inputs, peers: nat }, { tunnel: "wg0", uplink: "eth0" }).split("\n");
    const natSources = (port: number) => natLines.filter((l) => l.startsWith("-A PREROUTING") && l.includes(`--dport ${port} `)).map((l) => l.split(" -s ")[1].split(" ")[0]);
    expect(natSources(4002)).toEqual(["10.99.0.2/32", "10.0.20.0/24"]);
    expect(natSources(4002)).toEqual(natSources(8080));
  });

  test("discovery on: admin peers only reach the boot VLANs' Talos API (50000), masqueraded to the gateway; off: no such rule, and the router peer never", () => {
    const on = { ...inputs, site: siteFrom((v) => (v.discovery = { enabled: true })) };
    const lines = renderGatewayRules(on, { tunnel: "wg0", uplink: "eth0" }).split("\n");
    expect(lines.filter((l) => l.includes("--dport 50000"))).toEqual([
      "-A POSTROUTING -o wg0 -s 10.99.0.3/32 -d 10.0.20.0/24 -p tcp -m tcp --dport 50000 -j MASQUERADE",
      "-A FORWARD -i wg0 -o wg0 -s 10.99.0.3/32 -d 10.0.20.0/24 -p tcp -m tcp --dport 50000 -j ACCEPT",
    ]);
    // Nothing else changes: the same rules plus those two and their comment.
    const offLines = renderGatewayRules(inputs, { tunnel: "wg0", uplink: "eth0" }).split("\n");
    expect(lines.filter((l) => !l.includes("50000"))).toEqual(offLines);
    expect(offLines.filter((l) => l.includes("50000"))).toEqual([]);
    // The admin peer's config routes the boot VLAN into the tunnel; the router's does not.
    const [router, admin] = peers;
    const cfg = (peer: WireguardPeer, site: typeof inputs.site) => renderPeerConfig({ site, peer, privateKey: "k", gatewayPublicKey: "g", endpoint: "203.0.113.1" });
    expect(cfg(admin, on.site)).toContain("AllowedIPs = 10.99.0.1/32, 10.0.20.0/24\n");
    expect(cfg(router, on.site)).toContain("AllowedIPs = 10.99.0.1/32\n");
    expect(cfg(admin, inputs.site)).toContain("AllowedIPs = 10.99.0.1/32\n");
  });

  test("rules are parameterised by interface names (the e2e test uses its own)", () => {
    const rules = renderGatewayRules(inputs, { tunnel: "nbgw7", uplink: "nbup7" });
    expect(rules).not.toMatch(/\bwg0\b|\beth0\b/);
    expect(rules).toContain("-A INPUT -i nbgw7 -j DROP");
    expect(rules).toContain("-o nbup7 -j MASQUERADE");
  });

  test("the tunnel MTU comes from settings (1380 unless set)", () => {
    expect(renderGatewayConfig(inputs)).toContain("MTU = 1380");
    expect(renderGatewayConfig({ ...inputs, site: siteFrom((v) => (v.wireguard.mtu = 1300)) })).toContain("MTU = 1300");
  });
});

describe("peer config for the home router", () => {
  test("wg-quick format with standard keys only, AllowedIPs = the gateway's tunnel IP", () => {
    const config = renderPeerConfig({ site, peer: peers[0], privateKey: ALICE_PRIVATE, gatewayPublicKey: BOB_PUBLIC, endpoint: "198.51.100.7" });
    expect(config).toBe(
      [
        "[Interface]",
        "Address = 10.99.0.2/32",
        `PrivateKey = ${ALICE_PRIVATE}`,
        "MTU = 1380",
        "",
        "[Peer]",
        `PublicKey = ${BOB_PUBLIC}`,
        "Endpoint = 198.51.100.7:51820",
        "AllowedIPs = 10.99.0.1/32",
        "PersistentKeepalive = 25",
        "",
      ].join("\n"),
    );
    const keys = config.split("\n").filter((l) => l.includes("=")).map((l) => l.split("=")[0].trim());
    expect(keys.every((k) => ["Address", "PrivateKey", "MTU", "PublicKey", "Endpoint", "AllowedIPs", "PersistentKeepalive"].includes(k))).toBe(true);
  });
});

describe("peers data", () => {
  const problems = (edit: (peers: any[]) => void): string => {
    const value = { peers: peers.map((p) => ({ ...p, routedCidrs: [...p.routedCidrs] })) };
    edit(value.peers);
    try {
      parsePeers(YamlSource.parse(stringify(value), "peers.yaml"), site);
    } catch (err) {
      if (err instanceof DataFileError) return err.message;
      throw err;
    }
    throw new Error("expected the peers to be rejected");
  };

  test("a valid peers file is read in order (the tests' own peers)", () => {
    const value = readFileSync(join(REPO_ROOT, "test/fixtures/site/peers.yaml"), "utf8");
    expect(parsePeers(YamlSource.parse(value, "test/fixtures/site/peers.yaml"), siteFrom()).map((p) => p.name)).toEqual(["fixture-router", "fixture-admin"]);
  });

  test.each([
    ["bad key", (p: any[]) => (p[0].publicKey = "not-a-key"), /peers\.yaml:\d+: peer "home-router": peers\[0\]\.publicKey: "not-a-key" is not a WireGuard key/],
    ["duplicate key", (p: any[]) => (p[1].publicKey = p[0].publicKey), /peers\[1\]\.publicKey: duplicate public key \(also peers\[0\] "home-router"\)/],
    ["duplicate tunnel IP", (p: any[]) => (p[1].tunnelAddress = "10.99.0.2"), /peers\[1\]\.tunnelAddress: duplicate tunnel address 10\.99\.0\.2 \(also peers\[0\] "home-router"\)/],
    ["tunnel IP outside the tunnel CIDR", (p: any[]) => (p[1].tunnelAddress = "10.98.0.3"), /peers\[1\]\.tunnelAddress: 10\.98\.0\.3 is outside wireguard\.tunnelCidr 10\.99\.0\.0\/24/],
    ["the gateway's own address", (p: any[]) => (p[1].tunnelAddress = "10.99.0.1"), /is the gateway's own tunnel address/],
    ["routed CIDR outside the boot VLANs", (p: any[]) => (p[0].routedCidrs = ["10.0.30.0/24"]), /peers\[0\]\.routedCidrs\[0\]: 10\.0\.30\.0\/24 is not within bootVlanCidrs \(10\.0\.20\.0\/24\)/],
    ["routed CIDR overlapping another peer's", (p: any[]) => (p[1].routedCidrs = ["10.0.20.128/25"]), /peers\[1\]\.routedCidrs\[0\]: 10\.0\.20\.128\/25 overlaps 10\.0\.20\.0\/24, already routed behind peer "home-router"/],
    ["duplicate name", (p: any[]) => (p[1].name = "home-router"), /peers\[1\]\.name: duplicate peer name "home-router"/],
    ["unknown field", (p: any[]) => (p[0].privateKey = ALICE_PRIVATE), /peers\[0\]\.privateKey: unknown field; allowed here: name, publicKey, tunnelAddress, routedCidrs, admin/],
  ])("rejects %s", (_name, edit, message) => {
    expect(problems(edit)).toMatch(message);
  });

  test("synth fails on invalid peers with the file and field", () => {
    const dir = repoTempDir("peers");
    const peersFile = join(dir, "peers.yaml");
    writeFileSync(peersFile, stringify({ peers: [{ ...peers[0], tunnelAddress: "192.168.0.2" }] }));
    const siteValue = fixtureSiteValue();
    siteValue.wireguard.peersFile = peersFile;
    const siteFile = join(dir, "site.yaml");
    writeFileSync(siteFile, stringify(siteValue));
    const run = runApp({ SITE_CONFIG: siteFile });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/peers\.yaml:\d+: peer "home-router": peers\[0\]\.tunnelAddress: 192\.168\.0\.2 is outside wireguard\.tunnelCidr/);
  });
});

describe("wg:keygen", () => {
  test("writes the private key 0600 outside the repo and prints only the matching public key on stdout", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-keys-"));
    const run = runCommand("wg-keygen", ["test-peer"], { env: { NETBOOT_KEY_DIR: dir } });
    expect(run.status).toBe(0);
    const keyFile = join(dir, "test-peer.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const privateKey = readFileSync(keyFile, "utf8").trim();
    expect(run.stdout).toBe(`${publicKeyOf(privateKey)}\n`);
    expect(run.stdout + run.stderr).not.toContain(privateKey);
  });

  test("refuses to write inside the repository", () => {
    const run = runCommand("wg-keygen", ["x", "--out", join(REPO_ROOT, "x.key")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/refusing to write a private key inside the repository/);
  });
});

describe("wg:peer-config --out", () => {
  /** A site whose only peer's private key this test holds (outside the repository). */
  function siteWithPeer(): { env: NodeJS.ProcessEnv; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), "netboot-peer-config-"));
    const pair = generateWireguardKeyPair();
    writeFileSync(join(dir, "fixture-router.key"), `${pair.privateKey}\n`, { mode: 0o600 });
    const data = repoTempDir("peer-config");
    writeFileSync(join(data, "peers.yaml"), stringify({ peers: [{ name: "fixture-router", publicKey: pair.publicKey, tunnelAddress: "10.99.0.2", routedCidrs: ["10.0.20.0/24"] }] }));
    const site = fixtureSiteValue();
    site.wireguard.peersFile = join(data, "peers.yaml");
    writeFileSync(join(dir, "site.yaml"), stringify(site));
    return { env: { SITE_CONFIG: join(dir, "site.yaml"), NETBOOT_KEY_DIR: dir }, dir };
  }
  const run = (env: NodeJS.ProcessEnv, out: string) =>
    runCommand("wg-peer-config", ["fixture-router", "--endpoint", "198.51.100.7", "--out", out], { env });

  test("refuses every path inside the repository, git-ignored or not, and through a symlinked directory, naming --out; writes nothing", () => {
    const { env, dir } = siteWithPeer();
    const tracked = join(REPO_ROOT, "netboot-test-router.txt");
    const ignored = join(REPO_ROOT, "netboot-test-router.conf"); // *.conf is in .gitignore
    const linkedDir = join(dir, "into-repo");
    symlinkSync(join(REPO_ROOT, "test"), linkedDir);
    for (const out of [tracked, ignored]) {
      const r = run(env, out);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `error: --out ${out}: refusing to write a private key inside the repository, ignored by git or not; choose a path outside it, e.g. ~/.config/netboot/wireguard/ (the config holds fixture-router's private key)\n`,
      );
      expect(existsSync(out)).toBe(false);
    }
    const viaLink = join(linkedDir, "router.conf");
    const r = run(env, viaLink);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: --out ${viaLink}: refusing to write a private key inside the repository (it resolves to ${join(REPO_ROOT, "test", "router.conf")}), ignored by git or not`);
    expect(existsSync(join(REPO_ROOT, "test", "router.conf"))).toBe(false);
  });

  test("writes the config 0600 outside the repository", () => {
    const { env, dir } = siteWithPeer();
    const out = join(dir, "router.conf");
    const r = run(env, out);
    expect(r.stderr).toMatch(/wrote .*router\.conf \(mode 0600\)/);
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, "utf8")).toMatch(/^\[Interface\]/m);
  });
});

// Issue 13, part 2: only the boot VLAN reaches 8080. The router's NAT behaviour is an explicit per-peer setting.
describe("router source NAT mode (sourceNat)", () => {
  const inputs = { site, peers, matchboxAddress: "10.136.0.80", bootReportAddress: "10.136.0.81" };
  const ruleLines = (ps: WireguardPeer[]) => renderGatewayRules({ ...inputs, peers: ps }, { tunnel: "wg0", uplink: "eth0" }).split("\n");
  const admitted8080 = (lines: string[]) =>
    lines.filter((l) => /--dport 8080/.test(l) && /-j (DNAT|ACCEPT)/.test(l)).map((l) => l.match(/-s (\S+)/)?.[1]);
  const refusalRule = (name: string, address: string) =>
    `-A INPUT -i wg0 -s ${address}/32 -d 10.99.0.1/32 -p tcp -m tcp --dport 8080 --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment "${refusedComment(name)}" -j ${GATEWAY_REFUSED_CHAIN}`;

  test("strict by default: only the router's routedCidrs reach 8080, not its tunnel address (today's rules admitted 10.99.0.2/32)", () => {
    const lines = ruleLines(peers);
    expect(admitted8080(lines)).toEqual(["10.0.20.0/24", "10.0.20.0/24"]); // DNAT + FORWARD
    expect(lines.filter((l) => l.includes("-s 10.99.0.2/32") && /-j (DNAT|ACCEPT)/.test(l))).toEqual([]);
  });

  test("strict: 8080 attempts from each peer's tunnel address are counted per peer, logged rate-limited with a hint prefix, and dropped before the tunnel's final DROP", () => {
    const lines = ruleLines(peers);
    const refusedRouter = lines.indexOf(refusalRule("home-router", "10.99.0.2"));
    const refusedAdmin = lines.indexOf(refusalRule("admin-laptop", "10.99.0.3"));
    const finalDrop = lines.indexOf("-A INPUT -i wg0 -j DROP");
    expect(refusedRouter).toBeGreaterThan(0);
    expect(refusedAdmin).toBeGreaterThan(0);
    expect(Math.max(refusedRouter, refusedAdmin)).toBeLessThan(finalDrop);
    expect(lines).toContain(`-A ${GATEWAY_REFUSED_CHAIN} -m limit --limit 6/min --limit-burst 3 -j LOG --log-prefix "${GATEWAY_REFUSED_LOG_PREFIX}"`);
    expect(lines).toContain(`-A ${GATEWAY_REFUSED_CHAIN} -j DROP`);
    expect(GATEWAY_REFUSED_LOG_PREFIX.length).toBeLessThanOrEqual(29); // iptables' limit for --log-prefix
    expect(GATEWAY_REFUSED_LOG_PREFIX).toMatch(/sourceNat/);
  });

  test("sourceNat: true admits the router's tunnel address to 8080 (DNAT and FORWARD) with its boot VLAN, and to nothing else", () => {
    const lines = ruleLines([{ ...peers[0], sourceNat: true }, peers[1]]);
    expect(admitted8080(lines)).toEqual(["10.99.0.2/32", "10.0.20.0/24", "10.99.0.2/32", "10.0.20.0/24"]);
    expect(lines).toContain("-A PREROUTING -i wg0 -s 10.99.0.2/32 -d 10.99.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.136.0.80:8080");
    expect(lines).not.toContain(refusalRule("home-router", "10.99.0.2"));
    expect(lines).toContain(refusalRule("admin-laptop", "10.99.0.3"));
    expect(lines.filter((l) => l.includes("--dport 8081") && l.includes("10.99.0.2"))).toEqual([]);
  });

  test("every table the rules fill declares the NETBOOT-RULES marker, and filter NETBOOT-REFUSED: what gateway.sh check requires", () => {
    const rules = renderGatewayRules(inputs, { tunnel: "wg0", uplink: "eth0" });
    const declared: Record<string, string[]> = {};
    let table = "";
    for (const line of rules.split("\n")) {
      if (line.startsWith("*")) declared[(table = line.slice(1))] = [];
      else if (line.startsWith(":NETBOOT-")) declared[table].push(line.slice(1).split(" ")[0]);
    }
    expect(declared).toEqual({ mangle: [GATEWAY_RULES_MARKER_CHAIN], nat: [GATEWAY_RULES_MARKER_CHAIN], filter: [GATEWAY_RULES_MARKER_CHAIN, GATEWAY_REFUSED_CHAIN] });
  });

  const parse = (edit: (peers: any[]) => void) => {
    const value = { peers: peers.map((p) => ({ ...p, routedCidrs: [...p.routedCidrs] })) };
    edit(value.peers);
    return parsePeers(YamlSource.parse(stringify(value), "peers.yaml"), site);
  };
  const rejection = (edit: (peers: any[]) => void): string => {
    try {
      parse(edit);
    } catch (err) {
      if (err instanceof DataFileError) return err.message;
      throw err;
    }
    throw new Error("expected the peers to be rejected");
  };

  test("the setting defaults to false (strict) and is read as written", () => {
    expect(parse(() => {}).map((p) => [p.name, p.sourceNat])).toEqual([
      ["home-router", false],
      ["admin-laptop", false],
    ]);
    expect(parse((p) => (p[0].sourceNat = true))[0].sourceNat).toBe(true);
    // The tests' own peers file (no sourceNat anywhere) stays valid and strict.
    const fixture = readFileSync(join(REPO_ROOT, "test/fixtures/site/peers.yaml"), "utf8");
    expect(parsePeers(YamlSource.parse(fixture, "test/fixtures/site/peers.yaml"), siteFrom()).map((p) => p.sourceNat)).toEqual([false, false]);
  });

  test.each([
    [
      "sourceNat without routedCidrs",
      (p: any[]) => Object.assign(p[0], { sourceNat: true, routedCidrs: [] }),
      /peers\.yaml:\d+: peer "home-router": peers\[0\]\.sourceNat: sourceNat: true needs routedCidrs: a masquerading router's tunnel address is admitted to Matchbox HTTP \(8080\) in place of the boot VLAN it hides/,
    ],
    [
      "sourceNat on an admin peer",
      (p: any[]) => Object.assign(p[1], { sourceNat: true, routedCidrs: ["10.0.20.128/25"] }) && (p[0].routedCidrs = ["10.0.20.0/25"]),
      /peers\[1\]\.sourceNat: sourceNat: true and admin: true together would open Matchbox's gRPC API \(8081\) to every device this router masquerades into the tunnel/,
    ],
    ["sourceNat that is not a boolean", (p: any[]) => (p[0].sourceNat = "yes"), /peers\[0\]\.sourceNat: got "yes"; must be of type boolean/],
  ])("rejects %s with the file, entry and field", (_name, edit, message) => {
    expect(rejection(edit)).toMatch(message);
  });
});
