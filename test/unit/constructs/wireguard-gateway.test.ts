import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GATEWAY_INTERFACES,
  GATEWAY_LABELS,
  GATEWAY_PROBE_COMMAND,
  GATEWAY_SYSCTLS,
  WIREGUARD_IMAGE,
  WireguardGateway,
  type WireguardGatewayProps,
} from "../../../constructs/wireguard-gateway";
import { build, k8sNamed, onlyOf, ref, resourceTypes, type Built, type Json } from "./support";

// The fixture site's gateway key and settings (test/fixtures/site), never wireguard/.
const FIXTURE_PUBLIC_KEY = readFileSync(join(__dirname, "../../fixtures/site/gateway.pub"), "utf8").trim();
// Small stand-ins for the rendered files: the construct ships them as they
// are; the `${...}` must reach the pod unchanged, not be read by Terraform.
const CONFIG =
  "[Interface]\nAddress = 10.99.0.1/24\nListenPort = 51820\n# PostUp = echo ${not_terraform}\n\n[Peer]\nPublicKey = pEErPEErPEErPEErPEErPEErPEErPEErPEErPEErPEE=\nAllowedIPs = 10.99.0.2/32\n";
const RULES = "*filter\n:NETBOOT-FORWARD - [0:0]\n-A FORWARD -i wg0 -o eth0 -j NETBOOT-FORWARD\nCOMMIT\n";
const SCRIPT = '#!/bin/bash\nset -euo pipefail\nip link show "${WG_IFACE}"\n';
const MATCHBOX_LABELS = { "app.kubernetes.io/name": "matchbox", "app.kubernetes.io/part-of": "netboot" };

const base: WireguardGatewayProps = {
  project: "netboot-fixture-000001",
  namePrefix: "nbfix",
  namespace: "netboot-gateway",
  privateKeySecret: "nbfix-wireguard-gateway-key",
  expectedPublicKey: FIXTURE_PUBLIC_KEY,
  wireguardConfig: CONFIG,
  rules: RULES,
  gatewayScript: SCRIPT,
  listenPort: 51820,
  staticAddressName: "nbfix-wireguard",
  loadBalancerSourceRanges: ["203.0.113.10/32"],
  upstreams: [{ namespace: "netboot-boot", labels: MATCHBOX_LABELS, ports: [8080, 8081] }],
};

const synth = (props: Partial<WireguardGatewayProps> = {}): Built<WireguardGateway> => build((scope) => new WireguardGateway(scope, "wireguard", { ...base, ...props }));
const daemonSet = (json: Json) => onlyOf(json, "kubernetes_daemon_set_v1");
const container = (json: Json) => daemonSet(json).spec.template.spec.container[0];
const env = (json: Json): Record<string, string> => Object.fromEntries(container(json).env.map((e: any) => [e.name, e.value]));
const configHash = (json: Json): string => daemonSet(json).spec.template.metadata.annotations["netboot/config-hash"];
const policy = (json: Json, name: string) => k8sNamed(json, "kubernetes_network_policy_v1", name);

describe("WireguardGateway", () => {
  let fixture: Built<WireguardGateway>;
  // Every prop changed at once: each assertion below names the prop it follows.
  let other: Built<WireguardGateway>;
  beforeAll(() => {
    fixture = synth();
    other = synth({
      project: "other-project-123",
      namePrefix: "lab2",
      namespace: "wg",
      privateKeySecret: "lab2-wg-key",
      expectedPublicKey: "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcm90aGVyb3Q=",
      listenPort: 41194,
      staticAddressName: "lab2-wireguard",
      loadBalancerSourceRanges: ["198.51.100.7/32", "192.0.2.0/29"],
      upstreams: [{ namespace: "mb", labels: { app: "matchbox" }, ports: [9000] }],
    });
  });

  test("creates the key's secret and its reader, the Kubernetes objects, and no other GCP resource (no project-level IAM)", () => {
    expect(resourceTypes(fixture.json)).toEqual([
      "google_secret_manager_secret",
      "google_secret_manager_secret_iam_member",
      "google_service_account",
      "google_service_account_iam_member",
      "kubernetes_config_map_v1",
      "kubernetes_daemon_set_v1",
      "kubernetes_network_policy_v1",
      "kubernetes_secret_v1",
      "kubernetes_service_account_v1",
      "kubernetes_service_v1",
    ]);
  });

  test("GIVEN privateKeySecret THEN Terraform creates that secret, auto-replicated, and never a version (the key is not in state)", () => {
    expect(onlyOf(fixture.json, "google_secret_manager_secret")).toEqual({
      secret_id: "nbfix-wireguard-gateway-key",
      replication: { auto: {} },
      labels: { "managed-by": "netboot" },
    });
    expect(fixture.json.resource.google_secret_manager_secret_version).toBeUndefined();
    expect(onlyOf(other.json, "google_secret_manager_secret").secret_id).toBe("lab2-wg-key");
  });

  test("GIVEN namePrefix THEN the gateway's Google account is <prefix>-wg-gateway, and it may only read that one secret", () => {
    const { construct, json } = fixture;
    expect(onlyOf(json, "google_service_account")).toEqual({ account_id: "nbfix-wg-gateway", display_name: "netboot WireGuard gateway (reads its private key only)" });
    expect(onlyOf(json, "google_secret_manager_secret_iam_member")).toEqual({
      secret_id: ref(construct.keySecret, "id"),
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:${ref(construct.googleServiceAccount, "email")}`,
    });
    expect(onlyOf(other.json, "google_service_account").account_id).toBe("lab2-wg-gateway");
  });

  test("GIVEN project and namespace THEN only the gateway's Kubernetes account may act as the Google account (Workload Identity)", () => {
    const { construct, json } = fixture;
    expect(onlyOf(json, "google_service_account_iam_member")).toEqual({
      service_account_id: ref(construct.googleServiceAccount, "name"),
      role: "roles/iam.workloadIdentityUser",
      member: "serviceAccount:netboot-fixture-000001.svc.id.goog[netboot-gateway/wireguard-gateway]",
    });
    expect(onlyOf(other.json, "google_service_account_iam_member").member).toBe("serviceAccount:other-project-123.svc.id.goog[wg/wireguard-gateway]");
    expect(onlyOf(json, "kubernetes_service_account_v1")).toEqual({
      metadata: {
        name: "wireguard-gateway",
        namespace: "netboot-gateway",
        labels: GATEWAY_LABELS,
        annotations: { "iam.gke.io/gcp-service-account": ref(construct.googleServiceAccount, "email") },
      },
      automount_service_account_token: false,
    });
  });

  test("GIVEN namespace THEN every Kubernetes object is in it", () => {
    for (const built of [fixture, other]) {
      const namespaces = resourceTypes(built.json)
        .filter((t) => t.startsWith("kubernetes_"))
        .flatMap((t) => Object.values(built.json.resource[t]).map((r: any) => r.metadata.namespace));
      expect(new Set(namespaces)).toEqual(new Set([built === fixture ? "netboot-gateway" : "wg"]));
    }
  });

  test("GIVEN wireguardConfig and rules THEN the config secret holds them escaped for Terraform; gatewayScript goes to the script config map", () => {
    expect(onlyOf(fixture.json, "kubernetes_secret_v1")).toEqual({
      metadata: { name: "wireguard-gateway-config", namespace: "netboot-gateway", labels: GATEWAY_LABELS },
      data: { "gateway.conf": CONFIG.replace("${not_terraform}", () => "$${not_terraform}"), "rules.v4": RULES },
    });
    expect(onlyOf(fixture.json, "kubernetes_config_map_v1")).toEqual({
      metadata: { name: "wireguard-gateway-script", namespace: "netboot-gateway", labels: GATEWAY_LABELS },
      data: { "gateway.sh": SCRIPT.replace('"${WG_IFACE}"', () => '"$${WG_IFACE}"') },
    });
  });

  test("GIVEN project, privateKeySecret and expectedPublicKey THEN the pod reads the latest key version and checks it against the committed public key", () => {
    expect(env(fixture.json)).toEqual({
      WG_IFACE: GATEWAY_INTERFACES.tunnel,
      WG_CONFIG: "/etc/netboot/wireguard/gateway.conf",
      WG_RULES: "/etc/netboot/wireguard/rules.v4",
      WG_PRIVATE_KEY_FILE: "/run/netboot/private.key",
      WG_KEY_SECRET: "projects/netboot-fixture-000001/secrets/nbfix-wireguard-gateway-key/versions/latest",
      WG_EXPECTED_PUBLIC_KEY: "vt3xfr23s8k11iJ508PKoB1ykG1lzAhOUBG0Gi95el0=",
    });
    expect(GATEWAY_INTERFACES).toEqual({ tunnel: "wg0", uplink: "eth0" });
    expect(env(other.json)).toMatchObject({
      WG_KEY_SECRET: "projects/other-project-123/secrets/lab2-wg-key/versions/latest",
      WG_EXPECTED_PUBLIC_KEY: "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcm90aGVyb3Q=",
    });
  });

  test("no private key material is synthesized: the key file lives in a memory-backed /run, filled at start", () => {
    const { json, text } = fixture;
    expect(text).not.toMatch(/PrivateKey\s*=|PRIVATE KEY/);
    const volumes = daemonSet(json).spec.template.spec.volume;
    expect(volumes.find((v: any) => v.name === "run")).toEqual({ name: "run", empty_dir: { medium: "Memory", size_limit: "8Mi" } });
    expect(container(json).volume_mount.find((m: any) => m.name === "run")).toEqual({ name: "run", mount_path: "/run" });
    // The config secret is mounted owner-read-only.
    expect(volumes.find((v: any) => v.name === "config").secret.default_mode).toBe("0400");
  });

  test("the pod template carries a hash of config, rules, script and public key, so a change of any rolls the pods", () => {
    const expected = createHash("sha256").update(CONFIG).update(RULES).update(SCRIPT).update(FIXTURE_PUBLIC_KEY).digest("hex");
    expect(configHash(fixture.json)).toBe(expected);
    const changed = [
      synth({ wireguardConfig: `${CONFIG}\n` }),
      synth({ rules: `${RULES}\n` }),
      synth({ gatewayScript: `${SCRIPT}\n` }),
      synth({ expectedPublicKey: "b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcm90aGVyb3Q=" }),
    ].map((b) => configHash(b.json));
    expect(new Set([expected, ...changed]).size).toBe(5);
  });

  test("the container runs with NET_ADMIN as its only capability, unprivileged, read-only root, and only the ip_forward sysctl", () => {
    const spec = daemonSet(fixture.json).spec.template.spec;
    expect(spec).toMatchObject({
      automount_service_account_token: false,
      host_network: false,
      security_context: { seccomp_profile: { type: "RuntimeDefault" }, sysctl: [{ name: "net.ipv4.ip_forward", value: "1" }] },
    });
    expect([...GATEWAY_SYSCTLS]).toEqual(["net.ipv4.ip_forward"]);
    expect(container(fixture.json)).toMatchObject({
      name: "wireguard",
      image: WIREGUARD_IMAGE,
      security_context: {
        privileged: false,
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        run_as_user: "0",
        capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
      },
      readiness_probe: { exec: { command: GATEWAY_PROBE_COMMAND } },
      liveness_probe: { exec: { command: GATEWAY_PROBE_COMMAND } },
    });
    // Issue 13: readiness needs the packet filter loaded, not only the interface up (`gateway.sh check`, not `wg show`),
    // run by the same script the container runs, with time for it.
    expect(GATEWAY_PROBE_COMMAND).toEqual(["/bin/bash", "/opt/netboot/gateway.sh", "check"]);
    expect(container(fixture.json).command).toEqual(GATEWAY_PROBE_COMMAND.slice(0, 2));
    for (const probe of [container(fixture.json).readiness_probe, container(fixture.json).liveness_probe]) expect(probe.timeout_seconds).toBeGreaterThanOrEqual(5);
    // The first apply must not wait for pods that need the key version added by hand.
    expect(daemonSet(fixture.json).wait_for_rollout).toBe(false);
  });

  test("GIVEN listenPort THEN the pod, the load balancer and the ingress policy use that UDP port", () => {
    for (const [built, port] of [
      [fixture, 51820],
      [other, 41194],
    ] as const) {
      expect(container(built.json).port).toEqual([{ name: "wireguard", container_port: port, protocol: "UDP" }]);
      expect(onlyOf(built.json, "kubernetes_service_v1").spec.port).toEqual([{ name: "wireguard", port, target_port: String(port), protocol: "UDP" }]);
      expect(policy(built.json, "wireguard-gateway-ingress").spec.ingress).toEqual([{ ports: [{ port: String(port), protocol: "UDP" }] }]);
    }
  });

  test("GIVEN staticAddressName and loadBalancerSourceRanges THEN a passthrough NLB on that address that only those sources reach", () => {
    expect(onlyOf(fixture.json, "kubernetes_service_v1")).toEqual({
      metadata: {
        name: "wireguard-gateway",
        namespace: "netboot-gateway",
        labels: GATEWAY_LABELS,
        annotations: { "cloud.google.com/l4-rbs": "enabled", "networking.gke.io/load-balancer-ip-addresses": "nbfix-wireguard" },
      },
      spec: {
        type: "LoadBalancer",
        selector: GATEWAY_LABELS,
        external_traffic_policy: "Local",
        load_balancer_source_ranges: ["203.0.113.10/32"],
        port: [{ name: "wireguard", port: 51820, target_port: "51820", protocol: "UDP" }],
      },
    });
    const service = onlyOf(other.json, "kubernetes_service_v1");
    expect(service.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"]).toBe("lab2-wireguard");
    expect(service.spec.load_balancer_source_ranges).toEqual(["198.51.100.7/32", "192.0.2.0/29"]);
  });

  test("the ingress policy selects the gateway pods and opens only the WireGuard port (sources are the load balancer's job)", () => {
    expect(policy(fixture.json, "wireguard-gateway-ingress").spec).toEqual({
      pod_selector: { match_labels: GATEWAY_LABELS },
      policy_types: ["Ingress"],
      ingress: [{ ports: [{ port: "51820", protocol: "UDP" }] }],
    });
  });

  test("GIVEN upstream THEN egress is exactly: the metadata server (80, 988), HTTPS to public addresses, and the upstream pods on their ports", () => {
    expect(policy(fixture.json, "wireguard-gateway-egress").spec).toEqual({
      pod_selector: { match_labels: GATEWAY_LABELS },
      policy_types: ["Egress"],
      egress: [
        { to: [{ ip_block: { cidr: "169.254.169.254/32" } }], ports: [{ port: "80", protocol: "TCP" }] },
        { to: [{ ip_block: { cidr: "169.254.169.252/32" } }], ports: [{ port: "988", protocol: "TCP" }] },
        {
          to: [{ ip_block: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] } }],
          ports: [{ port: "443", protocol: "TCP" }],
        },
        {
          to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "netboot-boot" } }, pod_selector: { match_labels: MATCHBOX_LABELS } }],
          ports: [
            { port: "8080", protocol: "TCP" },
            { port: "8081", protocol: "TCP" },
          ],
        },
      ],
    });
    expect(policy(other.json, "wireguard-gateway-egress").spec.egress[3]).toEqual({
      to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "mb" } }, pod_selector: { match_labels: { app: "matchbox" } } }],
      ports: [{ port: "9000", protocol: "TCP" }],
    });
  });
});
