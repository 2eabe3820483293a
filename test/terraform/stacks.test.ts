// What Terraform really receives: every stack of the fixture site (test/fixtures/site),
// turned into a provider-less configuration (test/support/terraform-standin.ts),
// is initialized, validated and applied by the real Terraform CLI in deploy
// order; each stack reads the previous ones' outputs through
// terraform_remote_state, as in production. The tests then compare what
// Terraform evaluated with the files and renderers it came from.
//
// What this cannot prove: provider behaviour (schemas, API calls), the real
// GCP and Kubernetes APIs, and Talos's own validation. Those run in GitHub
// Actions (test/plan, the pull-request workflow's Matchbox job).
import { readFileSync } from "node:fs";
import { renderAssetManifest, siteBootAssets } from "../../lib/boot-assets";
import { synthesizedMatchboxStore } from "../../lib/matchbox/preview";
import { FETCH_ASSETS_SCRIPT_FILE, GATEWAY_SCRIPT_FILE, loadNetbootSite, type NetbootSite } from "../../lib/site";
import { renderGatewayConfig, renderGatewayRules } from "../../lib/wireguard/render";
import { fixtureSiteFrom } from "../support/site";
import { applyApp, FIXTURE_SITE_FILE, matchboxStoreFromEvaluated, talosConfigFixture, validateWithoutBackend, type AppliedApp } from "../support/terraform-app";
import { terraformMissing } from "../support/terraform-standin";

const missing = terraformMissing();
const SLOW = 240_000;

/** A single nested block, which a reader may see as a one-element list. */
const block = (value: any) => (Array.isArray(value) ? value[0] : value);

/** The one resource of `type` in an evaluated stack whose metadata.name is `name`. */
function k8sObject(app: AppliedApp, stack: string, type: string, name: string): any {
  const all = Object.values<any>(app.evaluated[stack].resource[type] ?? {}).filter((r) => block(r.metadata)?.name === name);
  if (all.length !== 1) throw new Error(`expected one ${type} named ${name} in ${stack}, found ${all.length}`);
  return all[0];
}

if (missing) {
  const why = `SKIPPED: ${missing} —`;
  if (process.env.REQUIRE_E2E) {
    test("the Terraform CLI is required (REQUIRE_E2E is set)", () => {
      throw new Error(`the real-Terraform suite needs the Terraform CLI: ${missing}`);
    });
  } else {
    test.skip(`${why} every stack of the fixture site validated and applied by the real Terraform CLI`, () => {});
  }
} else {
  describe("every stack, validated and evaluated by the real Terraform CLI (provider-less stand-ins)", () => {
    let site: NetbootSite;
    let app: AppliedApp;

    beforeAll(() => {
      site = loadNetbootSite(FIXTURE_SITE_FILE);
      app = applyApp(site);
    }, SLOW);

    test("each stack is valid, applies in deploy order, and reads the previous stacks' outputs through remote state", () => {
      expect(Object.keys(app.evaluated)).toEqual(["network", "gke", "boot-server", "matchbox-config"]);
      // The Kubernetes provider is configured from gke's outputs: the cluster's DNS-based endpoint
      // (not the IP endpoint, which admits only the authorized networks), and no cluster CA: that
      // endpoint's certificate is publicly trusted (docs/adr/0010).
      const kubernetes = app.evaluated["boot-server"].provider.kubernetes[0];
      const gkeCluster = Object.values<any>(app.evaluated.gke.resource.google_container_cluster)[0];
      const dnsEndpoint = block(block(gkeCluster.control_plane_endpoints_config).dns_endpoint_config);
      expect(dnsEndpoint.allow_external_traffic).toBe(true);
      expect(dnsEndpoint.endpoint).toMatch(/^gke-stand-in-[a-z0-9-]+\.gke\.goog$/);
      expect(kubernetes.host).toBe(`https://${dnsEndpoint.endpoint}`);
      expect(kubernetes.host).not.toContain(gkeCluster.endpoint);
      expect(kubernetes.cluster_ca_certificate ?? null).toBeNull();
      expect(kubernetes.token).toMatch(/^stand-in:data\.google_client_config\.client\.access_token$/);
      // The IP endpoint stays limited to the authorized networks; the DNS endpoint is also a gke output.
      expect(block(gkeCluster.master_authorized_networks_config).cidr_blocks).toEqual([{ cidr_block: "203.0.113.10/32", display_name: "authorized" }]);
      expect(app.evaluated.gke.outputs.cluster_dns_endpoint).toBe(dnsEndpoint.endpoint);
      // The Matchbox provider is configured from boot-server's TLS outputs.
      const matchbox = app.evaluated["matchbox-config"].provider.matchbox[0];
      const clientKey = Object.entries<any>(app.evaluated["boot-server"].resource.tls_private_key).find(([id]) => id.includes("client-key"))![1];
      expect(matchbox.client_key).toBe(clientKey.private_key_pem);
      expect(matchbox.endpoint).toBe(`${site.settings.wireguard.gatewayAddress}:8081`);
    });

    test("the gateway script and the asset fetcher reach Kubernetes byte-identical to the files in the repository", () => {
      const script = k8sObject(app, "boot-server", "kubernetes_config_map_v1", "wireguard-gateway-script");
      expect(script.data["gateway.sh"]).toBe(readFileSync(GATEWAY_SCRIPT_FILE, "utf8"));
      const assets = k8sObject(app, "boot-server", "kubernetes_config_map_v1", "matchbox-assets");
      expect(assets.data["fetch-assets.sh"]).toBe(readFileSync(FETCH_ASSETS_SCRIPT_FILE, "utf8"));
      expect(assets.data["assets.txt"]).toBe(renderAssetManifest(siteBootAssets(site.settings)));
    });

    test("the gateway's WireGuard config, packet-filter rules and expected public key arrive exactly as rendered", () => {
      const inputs = { site: site.settings, peers: site.peers, matchboxAddress: site.settings.matchbox.clusterIp };
      const config = k8sObject(app, "boot-server", "kubernetes_secret_v1", "wireguard-gateway-config");
      expect(config.data["gateway.conf"]).toBe(renderGatewayConfig(inputs));
      expect(config.data["rules.v4"]).toBe(renderGatewayRules(inputs, { tunnel: "wg0", uplink: "eth0" }));
      const daemonSet = k8sObject(app, "boot-server", "kubernetes_daemon_set_v1", "wireguard-gateway");
      const env = Object.fromEntries(block(block(block(daemonSet.spec).template).spec).container[0].env.map((e: any) => [e.name, e.value]));
      expect(env.WG_EXPECTED_PUBLIC_KEY).toBe(site.gatewayPublicKey);
      expect(env.WG_KEY_SECRET).toBe(`projects/${site.settings.gcp.project}/secrets/${site.settings.wireguard.privateKeySecret}/versions/latest`);
    });

    test("each Matchbox profile and group as Terraform evaluates it is what boot-preview shows", () => {
      const evaluated = matchboxStoreFromEvaluated(app.evaluated["matchbox-config"]);
      const preview = synthesizedMatchboxStore(site);
      expect(evaluated.profiles.map((p) => p.name).sort()).toEqual([...preview.profiles.keys()].sort());
      for (const p of evaluated.profiles) {
        const shown = preview.profiles.get(p.name)!;
        expect({ name: p.name, kernel: p.kernel, initrd: p.initrd, args: p.args, hasGenericConfig: p.generic_config !== null }).toEqual({
          name: shown.name,
          kernel: shown.kernel,
          initrd: [...shown.initrd],
          args: [...shown.args],
          hasGenericConfig: shown.hasGenericConfig,
        });
      }
      expect(evaluated.groups.map((g) => ({ ...g })).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        preview.groups.map((g) => ({ name: g.name, profile: g.profile, selector: { ...g.selector }, metadata: { ...g.metadata } })).sort((a, b) => a.name.localeCompare(b.name)),
      );
    });

    test("Matchbox receives iPXE's ${mac:hexhyp} and the rescue arguments' template syntax literally, never $${…}", () => {
      const evaluated = matchboxStoreFromEvaluated(app.evaluated["matchbox-config"]);
      const byName = Object.fromEntries(evaluated.profiles.map((p) => [p.name, p]));
      expect(byName["talos-controlplane"].args).toContain(`talos.config=http://${site.settings.wireguard.gatewayAddress}:8080/generic?mac=\${mac:hexhyp}`);
      expect(byName.rescue.args).toEqual(expect.arrayContaining(["netboot.mac=${net0/mac:hexhyp}", "netboot.literal=%{not_a_directive}"]));
      const all = JSON.stringify(evaluated);
      expect(all).not.toContain("$${");
      expect(all).not.toContain("%%{");
    });

    test("each installing profile's generic config is a Go template of the role's Talos config (every document kept)", () => {
      const evaluated = matchboxStoreFromEvaluated(app.evaluated["matchbox-config"]);
      for (const role of ["controlplane", "worker"] as const) {
        const generic = evaluated.profiles.find((p) => p.name === `talos-${role}`)!.generic_config!;
        expect(generic).toContain("{{.hostname}}");
        expect(generic).toContain("{{.install_disk}}");
        const fixtureDocs = talosConfigFixture(role).split(/^---$/m).length;
        expect(generic.split(/^---$/m).length).toBe(fixtureDocs);
      }
    });

    test("an unescaped ${ in an embedded file makes Terraform itself refuse the stack", () => {
      // The gateway script as it would be embedded without the escaping rule.
      const raw = readFileSync(GATEWAY_SCRIPT_FILE, "utf8");
      expect(raw).toContain("${WG_IFACE:-wg0}");
      expect(() =>
        applyApp(site, {
          edit: (stack, json) => {
            if (stack !== "boot-server") return json;
            const copy = structuredClone(json);
            for (const cm of Object.values<any>(copy.resource.kubernetes_config_map_v1)) {
              if (cm.data?.["gateway.sh"]) cm.data["gateway.sh"] = raw;
            }
            return copy;
          },
        }),
      ).toThrow(/terraform validate .*failed[\s\S]*(Extra characters after interpolation expression|not a valid template control keyword)/);
    }, SLOW);
  });

  describe("variants", () => {
    test(
      "gcs backend: every stack validates with its remote-state configuration (init -backend=false)",
      () => {
        const site = fixtureSiteFrom((v) => {
          v.state = { backend: "gcs", bucket: "nbfix-terraform-state", prefix: "nbfix" };
        });
        const results = validateWithoutBackend(site);
        for (const [stack, r] of Object.entries(results)) {
          if (!r.valid) throw new Error(`${stack} is not valid:\n${r.output}`);
        }
        expect(Object.keys(results)).toEqual(["network", "gke", "boot-server", "matchbox-config"]);
      },
      SLOW,
    );

    test(
      "gke.mode existing: the cluster is read, and the boot server is configured from it",
      () => {
        const site = fixtureSiteFrom((v) => {
          v.gke.mode = "existing";
          v.gke.location = "europe-west1-b";
        });
        const app = applyApp(site);
        const existing = Object.values<any>(app.evaluated.gke.data.google_container_cluster)[0];
        expect(existing).toMatchObject({ name: "nbfix-cluster", location: "europe-west1-b" });
        // The DNS-based endpoint the data source reads, not the IP endpoint (docs/adr/0010).
        const dnsEndpoint = block(block(existing.control_plane_endpoints_config).dns_endpoint_config).endpoint;
        expect(dnsEndpoint).toMatch(/^gke-stand-in-[a-z0-9-]+\.gke\.goog$/);
        expect(app.evaluated["boot-server"].provider.kubernetes[0].host).toBe(`https://${dnsEndpoint}`);
        expect(app.evaluated["boot-server"].provider.kubernetes[0].cluster_ca_certificate ?? null).toBeNull();
        expect(app.evaluated.network.resource.google_compute_network).toBeUndefined();
      },
      SLOW,
    );
  });
}
