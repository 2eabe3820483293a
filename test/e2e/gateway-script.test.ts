// wireguard/gateway.sh must fail loudly, not hang, when the pod cannot work:
// forwarding off, no kernel WireGuard, a key that does not match gateway.pub.
// Runs the real script in a throwaway network namespace.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/settings";
import { generateWireguardKeyPair } from "../../lib/wireguard/keys";
import { renderGatewayConfig, renderGatewayRules } from "../../lib/wireguard/render";
import { NetnsHarness } from "./support/netns";
import { commands, describeE2E, namespacesWithIptables, runsAsRoot } from "./support/prerequisites";
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
      const inputs = { site, peers: [], matchboxAddress: site.matchbox.clusterIp };
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
        expect(run.stdout).toMatch(/gateway: up: /);
      } else {
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/FATAL: the kernel cannot create a WireGuard interface .*NET_ADMIN only and cannot load modules/);
      }
    }, 20_000);
  },
);
