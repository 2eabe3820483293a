// wireguard/gateway.sh must fail loudly, not hang, when the pod cannot work:
// forwarding off, no kernel WireGuard, a key that does not match gateway.pub.
// And it must recover (issue 13, part 3): after SIGKILL or an OOM kill the
// tunnel interface outlives the script, and a restart must remove it and come
// up again; the packet filter goes in before the interface exists; the pod's
// probe (`gateway.sh check`) is ready only with the filter loaded.
// Runs the real script in throwaway network namespaces.
import { bootReportClusterIp } from "../../lib/input/settings";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";
import { generateWireguardKeyPair } from "../../lib/input/wireguard/keys";
import { renderGatewayConfig, renderGatewayRules } from "../../lib/model/wireguard/render";
import { NetnsHarness } from "./support/netns";
import { commands, describeE2E, E2E_PATH, findCommand, namespacesWithIptables, runsAsRoot, tunDevice } from "./support/prerequisites";
import { gatewayCheck, killGatewayScript, startGatewayScript, type GatewayScriptOptions } from "./support/wireguard";
import { siteFrom } from "../support/site";

describeE2E(
  "gateway.sh fails loudly",
  [runsAsRoot, commands({ ip: "iproute2", wg: "wireguard-tools", iptables: "iptables" }), namespacesWithIptables],
  () => {
    let h: NetnsHarness;
    let ns: string;
    const key = generateWireguardKeyPair();
    const files = { config: "", rules: "", key: "" };

    beforeAll(async () => {
      h = new NetnsHarness("nbgws", 60_000);
      ns = await h.addNamespace("gw");
      const site = siteFrom();
      const inputs = { site, peers: [], matchboxAddress: site.matchbox.clusterIp, bootReportAddress: bootReportClusterIp(site) };
      files.config = join(h.tempDir, "gateway.conf");
      files.rules = join(h.tempDir, "rules.v4");
      files.key = join(h.tempDir, "private.key");
      writeFileSync(files.config, renderGatewayConfig(inputs));
      writeFileSync(files.rules, renderGatewayRules(inputs, { tunnel: "wgfail0", uplink: "lo" }));
      writeFileSync(files.key, `${key.privateKey}\n`, { mode: 0o600 });
    }, 30_000);

    afterAll(async () => {
      expect(await h.cleanup()).toEqual([]);
    }, 30_000);

    const gateway = (env: Record<string, string>) =>
      h.run(ns, ["bash", join(REPO_ROOT, "wireguard/gateway.sh")], {
        timeoutMs: 15_000,
        env: { WG_IFACE: h.wgName("f"), WG_CONFIG: files.config, WG_RULES: files.rules, WG_PRIVATE_KEY_FILE: files.key, WG_ONESHOT: "1", ...env },
      });

    test("IP forwarding off: exits 1 naming the sysctl and the node pool setting", async () => {
      await h.sysctl(ns, "net.ipv4.ip_forward", "0");
      const run = await gateway({});
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/FATAL: IPv4 forwarding is off in this network namespace \(net\.ipv4\.ip_forward=0\).*allowed_unsafe_sysctls: net\.ipv4\.ip_forward/);
    }, 20_000);

    test("a private key that does not match gateway.pub: exits 1 before touching the network", async () => {
      await h.sysctl(ns, "net.ipv4.ip_forward", "1");
      const run = await gateway({ WG_EXPECTED_PUBLIC_KEY: generateWireguardKeyPair().publicKey });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/FATAL: the private key's public key is .* but wireguard\/gateway\.pub says .*do not belong together/);
    }, 20_000);

    test("no kernel WireGuard (and no userspace fallback): exits 1 saying so; with it, the kernel path works", async () => {
      await h.sysctl(ns, "net.ipv4.ip_forward", "1");
      const probe = await h.run(ns, ["ip", "link", "add", "dev", "wgprobe0", "type", "wireguard"]);
      const run = await gateway({ WG_EXPECTED_PUBLIC_KEY: key.publicKey });
      if (probe.code === 0) {
        // This kernel has WireGuard: the same script brings the interface up.
        expect(run.code).toBe(0);
        expect(run.stderr).toMatch(/gateway: up: /); // what the script did goes to stderr
      } else {
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/FATAL: the kernel cannot create a WireGuard interface .*NET_ADMIN only and cannot load modules/);
      }
    }, 20_000);
  },
);

describeE2E(
  "gateway.sh recovers, installs its packet filter first, and is ready only with it loaded",
  [runsAsRoot, commands({ ip: "iproute2", wg: "wireguard-tools", "wireguard-go": "wireguard-go", iptables: "iptables" }), tunDevice, namespacesWithIptables],
  () => {
    let h: NetnsHarness;
    const key = generateWireguardKeyPair();
    let site: ReturnType<typeof siteFrom>;

    beforeAll(() => {
      h = new NetnsHarness("nbgwr", 90_000);
      site = siteFrom();
    });

    afterAll(async () => {
      expect(await h.cleanup()).toEqual([]);
    }, 30_000);

    /** A fresh namespace with forwarding on, and the gateway's rendered files for its own interface name. */
    const setup = async (role: string): Promise<{ ns: string; opts: GatewayScriptOptions }> => {
      const ns = await h.addNamespace(role);
      await h.sysctl(ns, "net.ipv4.ip_forward", "1");
      const iface = h.wgName(role);
      const inputs = { site, peers: [], matchboxAddress: site.matchbox.clusterIp, bootReportAddress: bootReportClusterIp(site) };
      const dir = join(h.tempDir, role);
      mkdirSync(dir, { recursive: true });
      return {
        ns,
        opts: { iface, dir, files: { config: renderGatewayConfig(inputs), rules: renderGatewayRules(inputs, { tunnel: iface, uplink: "lo" }), privateKey: key.privateKey }, expectedPublicKey: key.publicKey },
      };
    };
    const linkExists = async (ns: string, iface: string) => (await h.run(ns, ["ip", "link", "show", "dev", iface])).code === 0;

    test("SIGKILL leaves the tunnel interface behind; the restarted script removes it, says so, and comes up ready", async () => {
      const { ns, opts } = await setup("kill");
      const first = await startGatewayScript(h, ns, { ...opts, name: "gateway.sh (first)" });
      await killGatewayScript(first, "SIGKILL");
      // What the pod's network namespace keeps after an OOM kill: the interface (here wireguard-go's, which outlives the script).
      expect(await linkExists(ns, opts.iface)).toBe(true);

      const second = await startGatewayScript(h, ns, { ...opts, name: "gateway.sh (restarted)" });
      const log = second.output();
      expect(log).toMatch(new RegExp(`gateway: ${opts.iface} already exists, left over from an earlier run .*: removing it`));
      expect(log).toMatch(new RegExp(`gateway: removed the leftover ${opts.iface}`));
      expect(log).not.toMatch(/FATAL/);
      const check = await gatewayCheck(h, ns, opts);
      expect({ code: check.code, stderr: check.stderr }).toEqual({ code: 0, stderr: "" });
      expect(check.stdout).toMatch(/^ready: /);
      expect((await h.check(ns, ["wg", "show", opts.iface, "public-key"])).trim()).toBe(key.publicKey);
    }, 40_000);

    test("a leftover interface that is not WireGuard is not removed: exits 1 naming WG_IFACE", async () => {
      const { ns, opts } = await setup("notwg");
      await h.check(ns, ["ip", "link", "add", opts.iface, "type", "bridge"]);
      const run = await h.run(ns, ["bash", join(REPO_ROOT, "wireguard/gateway.sh")], {
        env: { WG_IFACE: opts.iface, WG_CONFIG: writeTo(opts.dir, "gateway.conf", opts.files.config), WG_RULES: writeTo(opts.dir, "rules.v4", opts.files.rules), WG_PRIVATE_KEY_FILE: writeTo(opts.dir, "key", opts.files.privateKey), WG_ONESHOT: "1" },
        timeoutMs: 15_000,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`FATAL: ${opts.iface} exists and is not a WireGuard interface; refusing to remove it \\(check WG_IFACE\\)`));
      expect(await linkExists(ns, opts.iface)).toBe(true);
    }, 20_000);

    test("the packet filter is in place before the tunnel interface is created; rules iptables-restore rejects leave no interface", async () => {
      const { ns, opts } = await setup("order");
      // An `ip` that records the loaded rules whenever the script creates an interface, then runs the real ip.
      const realIp = findCommand("ip");
      if (!realIp) throw new Error("ip not found");
      const wrapDir = join(opts.dir, "bin");
      mkdirSync(wrapDir);
      const snapshot = join(opts.dir, "rules-at-link-add.txt");
      writeFileSync(
        join(wrapDir, "ip"),
        `#!/bin/bash\nif [ "$1" = link ] && [ "$2" = add ]; then\n  { echo "ip $*"; "$(command -v iptables-nft-save || command -v iptables-save)"; } >>'${snapshot}' 2>&1\nfi\nexec '${realIp}' "$@"\n`,
      );
      chmodSync(join(wrapDir, "ip"), 0o755);
      const env = { PATH: `${wrapDir}:${E2E_PATH}` };

      const run = await h.run(ns, ["bash", join(REPO_ROOT, "wireguard/gateway.sh")], {
        env: {
          ...env,
          WG_IFACE: opts.iface,
          WG_CONFIG: writeTo(opts.dir, "gateway.conf", opts.files.config),
          WG_RULES: writeTo(opts.dir, "rules.v4", opts.files.rules),
          WG_PRIVATE_KEY_FILE: writeTo(opts.dir, "key", opts.files.privateKey),
          WG_USERSPACE_IMPLEMENTATION: "wireguard-go",
          WG_ONESHOT: "1",
          LOG_LEVEL: "",
        },
        timeoutMs: 20_000,
      });
      if (run.code !== 0) throw new Error(`gateway.sh failed: ${run.stderr}`);
      const atLinkAdd = readFileSync(snapshot, "utf8");
      expect(atLinkAdd).toContain(`ip link add dev ${opts.iface} type wireguard`);
      expect(atLinkAdd).toContain(":NETBOOT-REFUSED");
      expect(atLinkAdd).toContain(`-A INPUT -i ${opts.iface} -j DROP`);
      expect(atLinkAdd).toContain("--clamp-mss-to-pmtu");
      // ... and stderr says so, in that order.
      const installed = run.stderr.indexOf("gateway: packet filter installed from");
      const created = run.stderr.indexOf(`gateway: created ${opts.iface}`);
      expect(installed).toBeGreaterThanOrEqual(0);
      expect(created).toBeGreaterThan(installed);

      // Rules the restore rejects: exit 1 before any interface is created.
      const other = await setup("badrules");
      const badSnapshot = join(other.opts.dir, "rules-at-link-add.txt");
      writeFileSync(join(wrapDir, "ip"), readFileSync(join(wrapDir, "ip"), "utf8").replace(snapshot, badSnapshot));
      const bad = await h.run(other.ns, ["bash", join(REPO_ROOT, "wireguard/gateway.sh")], {
        env: {
          ...env,
          WG_IFACE: other.opts.iface,
          WG_CONFIG: writeTo(other.opts.dir, "gateway.conf", other.opts.files.config),
          WG_RULES: writeTo(other.opts.dir, "rules.v4", other.opts.files.rules.replace("-j DROP", "-j NO-SUCH-TARGET")),
          WG_PRIVATE_KEY_FILE: writeTo(other.opts.dir, "key", other.opts.files.privateKey),
          WG_USERSPACE_IMPLEMENTATION: "wireguard-go",
          WG_ONESHOT: "1",
          LOG_LEVEL: "",
        },
        timeoutMs: 20_000,
      });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/FATAL: .*iptables.*-restore rejected .*rules\.v4/);
      expect(existsSync(badSnapshot)).toBe(false); // `ip link add` never ran
      expect(await linkExists(other.ns, other.opts.iface)).toBe(false);
    }, 40_000);

    test("gateway.sh check (the pod's probes): not ready without the interface or with the filter gone, naming what is missing; ready after a restart", async () => {
      const { ns, opts } = await setup("probe");
      const before = await gatewayCheck(h, ns, opts);
      expect(before.code).toBe(1);
      expect(before.stderr).toMatch(new RegExp(`not ready: ${opts.iface} is missing or down; chain NETBOOT-RULES is not loaded in table mangle`));

      let gateway = await startGatewayScript(h, ns, opts);
      expect((await gatewayCheck(h, ns, opts)).code).toBe(0);

      // The interface is up, but someone flushed the filter table's rules: not ready (today's `wg show` probe said ready).
      await h.check(ns, ["iptables", "-t", "filter", "-F"]);
      const flushed = await gatewayCheck(h, ns, opts);
      expect(flushed.code).toBe(1);
      expect(flushed.stderr).toMatch(/not ready: table filter has 0 rules loaded, .*rules\.v4 has \d+/);
      expect(flushed.stderr).not.toMatch(/is missing or down/);

      // A table that did not load at all (each table is committed on its own).
      await h.check(ns, ["iptables", "-t", "nat", "-F"]);
      await h.check(ns, ["iptables", "-t", "nat", "-X"]);
      expect((await gatewayCheck(h, ns, opts)).stderr).toMatch(/chain NETBOOT-RULES is not loaded in table nat/);

      // What the liveness probe's restart does: the script loads the filter again.
      await killGatewayScript(gateway, "SIGKILL");
      gateway = await startGatewayScript(h, ns, { ...opts, name: "gateway.sh (restarted)" });
      const after = await gatewayCheck(h, ns, opts);
      expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: "" });

      await h.check(ns, ["ip", "link", "set", "dev", opts.iface, "down"]);
      expect((await gatewayCheck(h, ns, opts)).stderr).toMatch(new RegExp(`not ready: ${opts.iface} is missing or down`));
    }, 40_000);

    test("a gateway that stops on SIGTERM removes its interface and leaves the packet filter", async () => {
      const { ns, opts } = await setup("term");
      const gateway = await startGatewayScript(h, ns, opts);
      expect(await killGatewayScript(gateway, "SIGTERM")).toBe(0);
      expect(gateway.output()).toMatch(new RegExp(`gateway: stopping: removing ${opts.iface} \\(the packet filter stays\\)`));
      await h.waitFor(`${opts.iface} to disappear`, async () => ((await linkExists(ns, opts.iface)) ? undefined : true), 5_000);
      expect(await h.check(ns, ["iptables", "-S", "NETBOOT-REFUSED"])).toContain("-j DROP");
    }, 30_000);
  },
);

function writeTo(dir: string, name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
  return file;
}
