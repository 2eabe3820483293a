import { Testing } from "cdktf";
import { GATEWAY_NAMESPACE, MATCHBOX_NAMESPACE } from "../../stacks/boot-server-stack";
import { PodSecurityNamespace } from "../../constructs/pod-security-namespace";
import { ASSET_FETCHER_IMAGE, MATCHBOX_IMAGE } from "../../constructs/matchbox-server";
import { WIREGUARD_IMAGE } from "../../constructs/wireguard-gateway";
import { BOOT_REPORT_RECEIVER_IMAGE } from "../../constructs/boot-report-receiver";
import { BOOT_REPORT_RECEIVER_SCRIPT_FILE } from "../../lib/input/site";
import { readFileSync } from "node:fs";
import { terraformLiteral } from "../../lib/model/terraform-strings";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, onlyResource, resources, synthJson, structureOnly } from "../support/synth";

/** The Kubernetes provider's exec block as synthesized (docs/runbook.md, "Reaching the control plane"). */
const KUBERNETES_EXEC = { api_version: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin" };

const byName = (json: any, type: string, name: string) =>
  Object.values(resources(json, type)).find((r: any) => r.metadata?.name === name || r.name === name) as any;

describe("boot-server stack", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const daemonSet = onlyResource(json, "kubernetes_daemon_set_v1");
  const gatewayPod = daemonSet.spec.template.spec;
  const gatewayContainer = gatewayPod.container[0];
  const deployment = byName(json, "kubernetes_deployment_v1", "matchbox");
  const matchboxPod = deployment.spec.template.spec;

  test("snapshot", () => {
    expect(structureOnly(json)).toMatchSnapshot();
  });

  test("the time provider (time_sleep before each alert policy) is pinned to the release the prebuilt bindings were generated from", () => {
    // @cdktf/provider-time 11.0.1 binds hashicorp/time 0.13.1 (its package.json `cdktf.provider`).
    expect(json.terraform.required_providers.time).toEqual({ source: "hashicorp/time", version: "0.13.1" });
    expect(json.provider.time).toEqual([{}]);
    expect(Object.keys(resources(json, "time_sleep")).length).toBeGreaterThanOrEqual(1);
  });

  test("every alert policy notifies the site's observability.notificationChannels: an email channel per address, then the existing channel ids", () => {
    const channels = Object.entries<any>(resources(json, "google_monitoring_notification_channel"));
    expect(channels.map(([, c]) => c.labels)).toEqual([{ email_address: "oncall@home-lab.example.test" }]);
    const policies = Object.values<any>(resources(json, "google_monitoring_alert_policy"));
    expect(policies.length).toBeGreaterThanOrEqual(1);
    for (const p of policies) {
      expect(p.notification_channels).toEqual([`\${google_monitoring_notification_channel.${channels[0][0]}.id}`, "projects/netboot-fixture-000001/notificationChannels/1234567890"]);
    }
  });

  test("the Kubernetes provider uses the cluster's DNS-based endpoint (no cluster CA) and gke-gcloud-auth-plugin (no token in the configuration or state)", () => {
    // Within one stack's synth; the whole-app test checks the cross-stack rewiring.
    // The DNS endpoint is what CI's runners reach; its certificate is publicly trusted (docs/adr/0010).
    const k8s = json.provider.kubernetes[0];
    expect(k8s.host).toMatch(/^https:\/\/\$\{google_container_cluster\.gke_cluster_\w+\.control_plane_endpoints_config\[0\]\.dns_endpoint_config\[0\]\.endpoint\}$/);
    expect(k8s.cluster_ca_certificate).toBeUndefined();
    expect(k8s.token).toBeUndefined();
    expect(k8s.exec).toEqual([{ api_version: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin" }]);
  });

  test("with an existing cluster the Kubernetes provider uses the DNS-based endpoint the data source reads", () => {
    const existing = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" }))).bootServer);
    const k8s = existing.provider.kubernetes[0];
    expect(k8s.host).toBe("https://${data.google_container_cluster.existing.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint}");
    expect(k8s.cluster_ca_certificate).toBeUndefined();
    expect(k8s.token).toBeUndefined();
    expect(k8s.exec).toEqual([KUBERNETES_EXEC]);
  });

  test("Pod Security: the gateway's namespace enforces privileged (warns restricted); Matchbox's enforces restricted", () => {
    expect(byName(json, "kubernetes_namespace_v1", GATEWAY_NAMESPACE).metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    expect(byName(json, "kubernetes_namespace_v1", MATCHBOX_NAMESPACE).metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  test("gateway: NET_ADMIN only; not privileged; no hostNetwork, hostPath or SYS_MODULE", () => {
    expect(gatewayContainer.security_context).toEqual({
      privileged: false,
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      run_as_user: "0",
      capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
    });
    expect(gatewayPod.host_network).toBe(false);
    expect(JSON.stringify(daemonSet)).not.toMatch(/host_path|SYS_MODULE/);
    expect(gatewayPod.security_context.sysctl).toEqual([{ name: "net.ipv4.ip_forward", value: "1" }]);
  });

  test("gateway: pinned image, the project's script, config from a Secret, rolled on change", () => {
    expect(gatewayContainer.image).toBe(WIREGUARD_IMAGE);
    expect(WIREGUARD_IMAGE).toMatch(/:[0-9][^:]*$/);
    expect(gatewayContainer.command).toEqual(["/bin/bash", "/opt/netboot/gateway.sh"]);
    expect(daemonSet.spec.template.metadata.annotations["netboot/config-hash"]).toMatch(/^[0-9a-f]{64}$/);
    const config = byName(json, "kubernetes_secret_v1", "wireguard-gateway-config");
    expect(config.data["gateway.conf"]).not.toMatch(/^\s*PrivateKey\s*=/im);
    expect(config.data["rules.v4"]).toContain("--clamp-mss-to-pmtu");
  });

  test("gateway: the apply does not wait for the rollout, which needs the key version the runbook adds after the first deploy", () => {
    expect(daemonSet.wait_for_rollout).toBe(false);
  });

  test("a change of peers changes the config hash (pods roll)", () => {
    const other = fixtureSiteFrom();
    const changed = { ...other, peers: other.peers.slice(0, 1) };
    const again = synthJson(buildStacks(changed).bootServer);
    expect(onlyResource(again, "kubernetes_daemon_set_v1").spec.template.metadata.annotations["netboot/config-hash"]).not.toBe(
      daemonSet.spec.template.metadata.annotations["netboot/config-hash"],
    );
  });

  test("gateway: private key read at start from Secret Manager through Workload Identity; Terraform creates no secret version", () => {
    const env = Object.fromEntries(gatewayContainer.env.map((e: any) => [e.name, e.value]));
    expect(env.WG_KEY_SECRET).toBe("projects/netboot-fixture-000001/secrets/nbfix-wireguard-gateway-key/versions/latest");
    // The fixture site's wireguard.gatewayPublicKeyFile (test/fixtures/site/gateway.pub).
    expect(env.WG_EXPECTED_PUBLIC_KEY).toBe("vt3xfr23s8k11iJ508PKoB1ykG1lzAhOUBG0Gi95el0=");
    expect(resources(json, "google_secret_manager_secret_version")).toEqual({});
    expect(JSON.stringify(json)).not.toMatch(/data\.google_secret_manager_secret_version/);
    const accessor = onlyResource(json, "google_secret_manager_secret_iam_member");
    expect(accessor.role).toBe("roles/secretmanager.secretAccessor");
    expect(accessor.secret_id).toMatch(/google_secret_manager_secret\.wireguard_private-key_\w+\.id/);
    const wi = onlyResource(json, "google_service_account_iam_member");
    expect(wi.role).toBe("roles/iam.workloadIdentityUser");
    // The namespace is a reference to the gateway namespace (netboot-gateway) resource.
    expect(wi.member).toMatch(/^serviceAccount:netboot-fixture-000001\.svc\.id\.goog\[\$\{kubernetes_namespace_v1\.gateway-namespace_\w+\.metadata\[0\]\.name\}\/wireguard-gateway\]$/);
    const ksa = onlyResource(json, "kubernetes_service_account_v1");
    expect(ksa.metadata.annotations["iam.gke.io/gcp-service-account"]).toMatch(/google_service_account\.wireguard_gsa_\w+\.email/);
    expect(gatewayPod.service_account_name).toMatch(/kubernetes_service_account_v1/);
  });

  test("WireGuard Service: backend-service passthrough NLB on the reserved IP, only from home, Local traffic policy", () => {
    const lb = byName(json, "kubernetes_service_v1", "wireguard-gateway");
    expect(lb.metadata.annotations["cloud.google.com/l4-rbs"]).toBe("enabled");
    expect(lb.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"]).toBe("${google_compute_address.wireguard-endpoint.name}");
    expect(lb.spec).toMatchObject({
      type: "LoadBalancer",
      external_traffic_policy: "Local",
      load_balancer_source_ranges: ["203.0.113.10/32"],
      port: [{ name: "wireguard", port: 51820, target_port: "51820", protocol: "UDP" }],
    });
  });

  test("0.0.0.0/0 reaches the Service only when the site opted in", () => {
    const open = synthJson(
      buildStacks(
        fixtureSiteFrom((v) => {
          v.homePublicCidrs = ["0.0.0.0/0"];
          v.acceptHandshakesFromAnyAddress = true;
        }),
      ).bootServer,
    );
    expect(byName(open, "kubernetes_service_v1", "wireguard-gateway").spec.load_balancer_source_ranges).toEqual(["0.0.0.0/0"]);
  });

  test("Matchbox: pinned v0.11.0, one replica, Recreate, non-root, read-only root, probes, resources", () => {
    const container = matchboxPod.container[0];
    expect(container.image).toBe(MATCHBOX_IMAGE);
    expect(MATCHBOX_IMAGE).toMatch(/^quay\.io\/poseidon\/matchbox:v0\.11\.0@sha256:[0-9a-f]{64}$/);
    expect(ASSET_FETCHER_IMAGE).toMatch(/:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(deployment.spec.replicas).toBe("1");
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    expect(matchboxPod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "65532", seccomp_profile: { type: "RuntimeDefault" } });
    for (const c of [container, matchboxPod.init_container[0]]) {
      expect(c.security_context).toEqual({
        run_as_non_root: true,
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        capabilities: { drop: ["ALL"] },
        seccomp_profile: { type: "RuntimeDefault" },
      });
      expect(c.resources.limits).toBeDefined();
    }
    expect(container.readiness_probe.http_get).toEqual({ path: "/", port: "8080" });
    expect(container.liveness_probe.http_get).toEqual({ path: "/", port: "8080" });
    expect(container.args).toEqual(
      expect.arrayContaining([
        "-address=0.0.0.0:8080",
        "-rpc-address=0.0.0.0:8081",
        "-data-path=/var/lib/matchbox",
        "-assets-path=/var/lib/matchbox/assets",
        "-cert-file=/etc/matchbox/server.crt",
        "-key-file=/etc/matchbox/server.key",
        "-ca-file=/etc/matchbox/ca.crt",
      ]),
    );
  });

  test("Matchbox: data on a PVC; assets fetched with pinned checksums, UNSET while a checksum is null (the fetch refuses)", () => {
    expect(onlyResource(json, "kubernetes_persistent_volume_claim_v1").spec.access_modes).toEqual(["ReadWriteOnce"]);
    const manifest = (j: any) => byName(j, "kubernetes_config_map_v1", "matchbox-assets").data["assets.txt"];
    const factory = "https://factory.talos.dev/image/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba/v1.13.9";
    expect(manifest(json)).toBe(
      [
        `${"f1".repeat(32)} talos/v1.13.9/kernel-amd64 ${factory}/kernel-amd64 talos.kernelSha256`,
        `${"f2".repeat(32)} talos/v1.13.9/initramfs-amd64.xz ${factory}/initramfs-amd64.xz talos.initramfsSha256`,
        `${"f3".repeat(32)} rescue/vmlinuz https://rescue.example.test/vmlinuz rescue.kernelSha256`,
        `${"f4".repeat(32)} rescue/initrd.img https://rescue.example.test/initrd.img rescue.initrdSha256`,
        "",
      ].join("\n"),
    );
    const unset = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.talos, { kernelSha256: null, initramfsSha256: null }))).bootServer);
    expect(manifest(unset)).toMatch(/^UNSET talos\/v1\.13\.9\/kernel-amd64 .* talos\.kernelSha256\nUNSET talos\/v1\.13\.9\/initramfs-amd64\.xz .* talos\.initramfsSha256\n/);
  });

  test("Matchbox Service: fixed ClusterIP, HTTP and gRPC; NetworkPolicy admits only the gateway pods", () => {
    const svc = byName(json, "kubernetes_service_v1", "matchbox");
    expect(svc.spec).toMatchObject({ type: "ClusterIP", cluster_ip: "10.136.0.80" });
    expect(svc.spec.port.map((p: any) => p.port)).toEqual([8080, 8081]);
    const policy = byName(json, "kubernetes_network_policy_v1", "matchbox-only-from-gateway");
    expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespace_selector: { match_labels: { "kubernetes.io/metadata.name": GATEWAY_NAMESPACE } },
            pod_selector: { match_labels: { "app.kubernetes.io/name": "wireguard-gateway", "app.kubernetes.io/part-of": "netboot" } },
          },
        ],
        ports: [
          { port: "8080", protocol: "TCP" },
          { port: "8081", protocol: "TCP" },
        ],
      },
    ]);
  });

  test("gRPC mutual TLS: server SANs cover the Service names, the tunnel IP, the ClusterIP and 127.0.0.1; a client cert for the provider", () => {
    const requests = Object.values(resources(json, "tls_cert_request")) as any[];
    const server = requests.find((r) => r.subject[0].common_name === "matchbox");
    expect(server.dns_names).toEqual(["matchbox", `matchbox.${MATCHBOX_NAMESPACE}`, `matchbox.${MATCHBOX_NAMESPACE}.svc`, `matchbox.${MATCHBOX_NAMESPACE}.svc.cluster.local`]);
    expect(server.ip_addresses).toEqual(["10.99.0.1", "10.136.0.80", "127.0.0.1"]);
    const uses = (Object.values(resources(json, "tls_locally_signed_cert")) as any[]).map((c) => c.allowed_uses);
    expect(uses).toEqual(expect.arrayContaining([expect.arrayContaining(["server_auth"]), expect.arrayContaining(["client_auth"])]));
    for (const name of ["matchbox_client_key", "matchbox_client_cert", "matchbox_ca_cert"]) expect(json.output[name].sensitive).toBe(true);
  });
});

describe("boot-server stack with the UEFI HTTP-boot chain binary configured", () => {
  test("the asset fetcher also fetches and verifies the iPXE chain binary", () => {
    const sha = "c".repeat(64);
    const json = synthJson(buildStacks(fixtureSiteFrom((v) => (v.ipxeChainEfi = { url: "https://example.org/netboot-chain.efi", sha256: sha }))).bootServer);
    const manifest = byName(json, "kubernetes_config_map_v1", "matchbox-assets").data["assets.txt"];
    expect(manifest).toContain(`${sha} ipxe/netboot-chain.efi https://example.org/netboot-chain.efi ipxeChainEfi.sha256\n`);
  });
});

// Issue #13, part 1: no deploy credential in state. A data source's result is
// stored in state; google_client_config's is a live access token.
describe("no stack reads a Google access token into state", () => {
  const modes: [string, (v: Record<string, any>) => void][] = [
    ["gke.mode create", () => {}],
    ["gke.mode existing", (v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" })],
  ];
  test.each(modes)("%s: no synthesized stack contains google_client_config; the Kubernetes provider has exec and no token", (_mode, edit) => {
    const stacks = buildStacks(fixtureSiteFrom(edit));
    for (const [name, stack] of Object.entries(stacks)) {
      const text = JSON.stringify(synthJson(stack));
      expect({ stack: name, readsClientConfig: text.includes("google_client_config") }).toEqual({ stack: name, readsClientConfig: false });
      // No Terraform reference to any access token (the gateway script itself reads one at run time, in the pod).
      expect({ stack: name, accessToken: /\$\{[^}]*access_token/.test(text) }).toEqual({ stack: name, accessToken: false });
    }
    const k8s = synthJson(stacks.bootServer).provider.kubernetes[0];
    expect(Object.keys(k8s).sort()).toEqual(["exec", "host"]);
    expect(k8s.exec).toEqual([KUBERNETES_EXEC]);
  });
});

// Issue #13, part 4: default-deny in both namespaces, then only the needed flows.
// These tests check the synthesized objects. Whether GKE enforces them
// (Dataplane V2) cannot be tested here; the first deploy shows it (runbook 3).
describe("NetworkPolicies (objects only; enforcement by Dataplane V2 is not testable here)", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const policies = Object.values(resources(json, "kubernetes_network_policy_v1")) as any[];
  const inNamespace = (ns: string) => policies.filter((p) => p.metadata.namespace.includes(ns === GATEWAY_NAMESPACE ? "gateway-namespace" : "matchbox-namespace"));
  const named = (name: string, ns: string) => {
    const found = inNamespace(ns).filter((p) => p.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one NetworkPolicy ${name} in ${ns}, found ${found.length}`);
    return found[0];
  };
  const GATEWAY_SELECTOR = { match_labels: { "app.kubernetes.io/name": "wireguard-gateway", "app.kubernetes.io/part-of": "netboot" } };
  const MATCHBOX_SELECTOR = { match_labels: { "app.kubernetes.io/name": "matchbox", "app.kubernetes.io/part-of": "netboot" } };
  const RECEIVER_SELECTOR = { match_labels: { "app.kubernetes.io/name": "boot-report-receiver", "app.kubernetes.io/part-of": "netboot" } };
  const NON_PUBLIC = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];
  const PUBLIC_HTTPS = { to: [{ ip_block: { cidr: "0.0.0.0/0", except: NON_PUBLIC } }], ports: [{ port: "443", protocol: "TCP" }] };

  test.each([GATEWAY_NAMESPACE, MATCHBOX_NAMESPACE])("%s: a default-deny policy selects every pod for ingress and egress and allows nothing", (ns) => {
    const deny = named("default-deny", ns);
    expect(deny.spec).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"] });
  });

  // The rules themselves are PodSecurityNamespace's (test/unit/constructs/pod-security-namespace.test.ts).
  test.each([GATEWAY_NAMESPACE, MATCHBOX_NAMESPACE])("%s: every pod may ask DNS, by the namespace construct's own policy", (ns) => {
    const alone = JSON.parse(Testing.synthScope((scope) => new PodSecurityNamespace(scope, "ns", { name: ns, enforce: "restricted" })));
    const own = Object.values<any>(alone.resource.kubernetes_network_policy_v1).find((p) => p.metadata.name === "allow-dns");
    expect(named("allow-dns", ns).spec).toEqual(own.spec);
    expect(own.spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual(["53", "53"]);
  });

  test("each namespace has exactly its policies: no policy in the wrong namespace, none unaccounted for", () => {
    expect(inNamespace(GATEWAY_NAMESPACE).map((p) => p.metadata.name).sort()).toEqual(["allow-dns", "default-deny", "wireguard-gateway-egress", "wireguard-gateway-ingress"]);
    expect(inNamespace(MATCHBOX_NAMESPACE).map((p) => p.metadata.name).sort()).toEqual(["allow-dns", "boot-report-receiver-only-from-gateway", "default-deny", "matchbox-only-from-gateway"]);
    expect(policies).toHaveLength(8);
  });

  test("no rule allows everything: every ingress rule names its sources and ports, every egress rule its destinations and ports", () => {
    for (const p of policies) {
      for (const rule of p.spec.ingress ?? []) {
        // The WireGuard port is the one exception: its sources are the load balancer's
        // (loadBalancerSourceRanges, enforced by GKE's firewall rule); only the port is opened.
        if (p.metadata.name !== "wireguard-gateway-ingress") expect({ policy: p.metadata.name, from: rule.from?.length > 0 }).toEqual({ policy: p.metadata.name, from: true });
        expect({ policy: p.metadata.name, ports: rule.ports?.length > 0 }).toEqual({ policy: p.metadata.name, ports: true });
      }
      for (const rule of p.spec.egress ?? []) {
        expect({ policy: p.metadata.name, to: rule.to?.length > 0, ports: rule.ports?.length > 0 }).toEqual({ policy: p.metadata.name, to: true, ports: true });
        for (const peer of rule.to) {
          // "Anywhere" only ever on 443 and never into the cluster, the VPC, home or the metadata server.
          if (peer.ip_block?.cidr === "0.0.0.0/0") {
            expect(peer.ip_block.except).toEqual(NON_PUBLIC);
            expect(rule.ports).toEqual([{ port: "443", protocol: "TCP" }]);
          }
        }
      }
    }
  });

  test("gateway ingress: WireGuard UDP on the listen port only", () => {
    const ingress = named("wireguard-gateway-ingress", GATEWAY_NAMESPACE);
    expect(ingress.spec.pod_selector).toEqual(GATEWAY_SELECTOR);
    expect(ingress.spec.policy_types).toEqual(["Ingress"]);
    expect(ingress.spec.ingress).toEqual([{ ports: [{ port: "51820", protocol: "UDP" }] }]);
  });

  test("gateway egress: the GKE metadata server (Workload Identity), Secret Manager over HTTPS, Matchbox's pods on 8080/8081 and the boot-report receiver's on 4001/4002; nothing else", () => {
    const egress = named("wireguard-gateway-egress", GATEWAY_NAMESPACE);
    expect(egress.spec.pod_selector).toEqual(GATEWAY_SELECTOR);
    expect(egress.spec.policy_types).toEqual(["Egress"]);
    expect(egress.spec.egress).toEqual([
      // GKE: "Allow egress to 169.254.169.252/32 on port 988. For clusters running GKE Dataplane V2, ... 169.254.169.254/32 on port 80."
      { to: [{ ip_block: { cidr: "169.254.169.254/32" } }], ports: [{ port: "80", protocol: "TCP" }] },
      { to: [{ ip_block: { cidr: "169.254.169.252/32" } }], ports: [{ port: "988", protocol: "TCP" }] },
      PUBLIC_HTTPS,
      {
        to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": MATCHBOX_NAMESPACE } }, pod_selector: MATCHBOX_SELECTOR }],
        ports: [
          { port: "8080", protocol: "TCP" },
          { port: "8081", protocol: "TCP" },
        ],
      },
      {
        to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": MATCHBOX_NAMESPACE } }, pod_selector: RECEIVER_SELECTOR }],
        ports: [
          { port: "4001", protocol: "TCP" },
          { port: "4002", protocol: "TCP" },
        ],
      },
    ]);
  });

  test("boot-report receiver: ingress only from the gateway's pods on the report ports (not the status port); no egress rule of its own", () => {
    const policy = named("boot-report-receiver-only-from-gateway", MATCHBOX_NAMESPACE);
    expect(policy.spec.pod_selector).toEqual(RECEIVER_SELECTOR);
    expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": GATEWAY_NAMESPACE } }, pod_selector: GATEWAY_SELECTOR }],
        ports: [
          { port: "4001", protocol: "TCP" },
          { port: "4002", protocol: "TCP" },
        ],
      },
    ]);
    expect(policy.spec.egress).toBeUndefined();
  });

  test("Matchbox egress: HTTPS to public addresses for the asset fetcher, nothing else (no metadata server, no cluster)", () => {
    const policy = named("matchbox-only-from-gateway", MATCHBOX_NAMESPACE);
    expect(policy.spec.pod_selector).toEqual(MATCHBOX_SELECTOR);
    expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
    expect(policy.spec.egress).toEqual([PUBLIC_HTTPS]);
  });

  test("policies are created in their namespaces (references, so Terraform orders them after the namespaces)", () => {
    for (const p of policies) expect(p.metadata.namespace).toMatch(/^\$\{kubernetes_namespace_v1\.(gateway|matchbox)-namespace_\w+\.metadata\[0\]\.name\}$/);
  });
});

// Issue #13, part 4: a certificate renewal rolls Matchbox, and renewal is visible.
describe("Matchbox certificates: rolled on change, renewed early, TLS failures alerted", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const template = byName(json, "kubernetes_deployment_v1", "matchbox").spec.template;

  test("the pod template carries a Terraform-computed hash of the CA and server certificates (unknown at synth time)", () => {
    const ca = Object.keys(resources(json, "tls_self_signed_cert"));
    const server = Object.keys(resources(json, "tls_locally_signed_cert")).filter((id) => id.includes("server-cert"));
    expect(ca).toHaveLength(1);
    expect(server).toHaveLength(1);
    expect(template.metadata.annotations["netboot/tls-hash"]).toBe(
      `\${sha256(join("", [tls_self_signed_cert.${ca[0]}.cert_pem, tls_locally_signed_cert.${server[0]}.cert_pem]))}`,
    );
    // The assets hash is still there, and still a plain value computed at synth time.
    expect(template.metadata.annotations["netboot/assets-hash"]).toMatch(/^[0-9a-f]{64}$/);
    // No private key material in the pod template.
    expect(JSON.stringify(template.metadata)).not.toMatch(/private_key_pem|client-cert/);
  });

  test("every certificate is renewed by the first run within 30 days of its expiry; leaves last a year, the CA five", () => {
    const certs = [...Object.values(resources(json, "tls_self_signed_cert")), ...Object.values(resources(json, "tls_locally_signed_cert"))] as any[];
    expect(certs).toHaveLength(3);
    for (const c of certs) expect(c.early_renewal_hours).toBe(720);
    expect((Object.values(resources(json, "tls_self_signed_cert"))[0] as any).validity_period_hours).toBe(5 * 8760);
    for (const c of Object.values(resources(json, "tls_locally_signed_cert")) as any[]) expect(c.validity_period_hours).toBe(8760);
  });

  test("Matchbox logs gRPC at INFO so that failed TLS handshakes reach its log", () => {
    expect(template.spec.container[0].env).toEqual([{ name: "GRPC_GO_LOG_SEVERITY_LEVEL", value: "info" }]);
  });

  test("a log-based metric counts Matchbox's failed gRPC TLS handshakes and an alert policy fires on any", () => {
    const metric = (Object.values(resources(json, "google_logging_metric")) as any[]).find((m) => m.name === "nbfix-matchbox-grpc-tls-errors");
    expect(metric.filter).toContain(`resource.labels.namespace_name="${MATCHBOX_NAMESPACE}"`);
    expect(metric.filter).toContain('resource.labels.container_name="matchbox"');
    const re = new RegExp(/textPayload=~"([^"]*)"/.exec(metric.filter)![1]);
    // grpc-go v1.62.1's line for a refused handshake (server.go, internal/transport/http2_server.go).
    const refused =
      '2026/01/01 00:00:00 INFO: [core] [Server #1] grpc: Server.Serve failed to create ServerTransport: connection error: desc = "ServerHandshake(\\"10.132.0.5:51234\\") failed: remote error: tls: bad certificate"';
    expect(re.test(refused)).toBe(true);
    expect(re.test('time="2026-01-01T00:00:00Z" level=info msg="HTTP GET /boot.ipxe"')).toBe(false);
    expect(re.test("2026/01/01 00:00:00 INFO: [core] [Server #1 ListenSocket #2] ListenSocket created")).toBe(false);
    const alert = (Object.values(resources(json, "google_monitoring_alert_policy")) as any[]).find((p) => /gRPC TLS/.test(p.display_name));
    const threshold = alert.conditions[0].condition_threshold;
    expect(threshold.filter).toMatch(/metric\.type="logging\.googleapis\.com\/user\/\$\{google_logging_metric\.observability_grpc-tls-errors_\w+\.name\}"/);
    expect(threshold).toMatchObject({ comparison: "COMPARISON_GT", threshold_value: 0 });
  });
});

// Issue #13, part 5: images pinned by digest beside their tag, where the digest could be confirmed.
describe("container images", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const images = [
    ...Object.values(resources(json, "kubernetes_daemon_set_v1")),
    ...Object.values(resources(json, "kubernetes_deployment_v1")),
  ].flatMap((w: any) => [...(w.spec.template.spec.init_container ?? []), ...w.spec.template.spec.container].map((c: any) => c.image as string));
  /**
   * Images whose digest could not be confirmed from a public source when they
   * were pinned: tag only until Renovate's pinDigests (renovate.json) adds it
   * in a reviewed pull request. Never a guessed digest.
   */
  const TAG_ONLY = [WIREGUARD_IMAGE];

  test("every image is the constant it comes from: tag and digest, or tag only for the listed ones", () => {
    expect(images.sort()).toEqual([ASSET_FETCHER_IMAGE, BOOT_REPORT_RECEIVER_IMAGE, MATCHBOX_IMAGE, WIREGUARD_IMAGE].sort());
    for (const image of images) {
      if (TAG_ONLY.includes(image)) expect(image).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      else expect(image).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/);
      expect(image).not.toMatch(/:latest(@|$)/);
    }
  });
});

// Issue 22: the boot-report receiver, a script of ours in a stock image.
describe("boot-report receiver", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const deployment = byName(json, "kubernetes_deployment_v1", "boot-report-receiver");
  const pod = deployment.spec.template.spec;
  const container = pod.container[0];
  const service = byName(json, "kubernetes_service_v1", "boot-report-receiver");

  test("runs receiver.js from a ConfigMap in the pinned Node image: non-root, read-only root, no capabilities, no token, no credential", () => {
    expect(container.image).toBe(BOOT_REPORT_RECEIVER_IMAGE);
    expect(container.command).toEqual(["node", "/opt/netboot/receiver.js"]);
    expect(pod.automount_service_account_token).toBe(false);
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "1000" });
    expect(container.security_context).toEqual({
      run_as_non_root: true,
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ["ALL"] },
      seccomp_profile: { type: "RuntimeDefault" },
    });
    expect(container.env.map((e: any) => e.name).sort()).toEqual(["NODE_OPTIONS", "REPORT_INVENTORY"]);
    expect(JSON.stringify(pod)).not.toMatch(/secret/i);
    const script = byName(json, "kubernetes_config_map_v1", "boot-report-receiver-script");
    // Escaped for Terraform's template syntax (`$${`), which Terraform writes back as the file's bytes.
    expect(script.data["receiver.js"]).toBe(terraformLiteral(readFileSync(BOOT_REPORT_RECEIVER_SCRIPT_FILE, "utf8")));
  });

  test("probes on /healthz of the status port; resource limits; one replica, recreated (one in-memory status)", () => {
    expect(container.readiness_probe.http_get).toEqual({ path: "/healthz", port: "4003" });
    expect(container.liveness_probe.http_get).toEqual({ path: "/healthz", port: "4003" });
    expect(container.resources.limits).toEqual({ cpu: "250m", memory: "160Mi" });
    expect(deployment.spec.replicas).toBe("1");
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
  });

  test("its Service has the fixed ClusterIP after Matchbox's, the gateway's DNAT target", () => {
    expect(service.spec.cluster_ip).toBe("10.136.0.81");
    expect(service.spec.port.map((p: any) => `${p.name}:${p.port}/${p.protocol}`)).toEqual(["logs:4001/TCP", "events:4002/TCP", "status:4003/TCP"]);
  });

  test("the inventory it names machines by: name, MAC, hostname, static address; no boot mode (closing a window changes nothing here)", () => {
    const inventory = JSON.parse(byName(json, "kubernetes_config_map_v1", "boot-report-receiver-inventory").data["inventory.json"]);
    expect(inventory[0]).toEqual({ name: "fixture-cp-1", mac: "02:6e:62:00:00:01", hostname: expect.any(String), address: "10.0.20.31" });
    for (const m of inventory) expect(Object.keys(m).sort()).toEqual(["address", "hostname", "mac", "name"]);
    expect(deployment.spec.template.metadata.annotations).toEqual({ "netboot/script-hash": expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
