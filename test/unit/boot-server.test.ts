import { GATEWAY_NAMESPACE, MATCHBOX_NAMESPACE } from "../../stacks/boot-server-stack";
import { ASSET_FETCHER_IMAGE, MATCHBOX_IMAGE } from "../../constructs/matchbox-server";
import { WIREGUARD_IMAGE } from "../../constructs/wireguard-gateway";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, onlyResource, resources, synthJson } from "../support/synth";

const byName = (json: any, type: string, name: string) =>
  Object.values(resources(json, type)).find((r: any) => r.metadata?.name === name || r.name === name) as any;

describe("boot-server stack", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).bootServer);
  const daemonSet = onlyResource(json, "kubernetes_daemon_set_v1");
  const gatewayPod = daemonSet.spec.template.spec;
  const gatewayContainer = gatewayPod.container[0];
  const deployment = onlyResource(json, "kubernetes_deployment_v1");
  const matchboxPod = deployment.spec.template.spec;

  test("snapshot", () => {
    expect(json).toMatchSnapshot();
  });

  test("the Kubernetes provider uses the cluster's DNS-based endpoint (no cluster CA) and a Google access token", () => {
    // Within one stack's synth; the whole-app test checks the cross-stack rewiring.
    // The DNS endpoint is what CI's runners reach; its certificate is publicly trusted (docs/adr/0010).
    const k8s = json.provider.kubernetes[0];
    expect(k8s.host).toMatch(/^https:\/\/\$\{google_container_cluster\.gke_cluster_\w+\.control_plane_endpoints_config\[0\]\.dns_endpoint_config\[0\]\.endpoint\}$/);
    expect(k8s.cluster_ca_certificate).toBeUndefined();
    expect(k8s.token).toBe("${data.google_client_config.client.access_token}");
  });

  test("with an existing cluster the Kubernetes provider uses the DNS-based endpoint the data source reads", () => {
    const existing = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" }))).bootServer);
    const k8s = existing.provider.kubernetes[0];
    expect(k8s.host).toBe("https://${data.google_container_cluster.existing.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint}");
    expect(k8s.cluster_ca_certificate).toBeUndefined();
    expect(k8s.token).toBe("${data.google_client_config.client.access_token}");
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
    expect(MATCHBOX_IMAGE).toBe("quay.io/poseidon/matchbox:v0.11.0");
    expect(ASSET_FETCHER_IMAGE).toMatch(/:\d+\.\d+\.\d+$/);
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
