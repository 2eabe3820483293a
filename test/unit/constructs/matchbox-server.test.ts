import { createHash } from "node:crypto";
import { ASSET_FETCHER_IMAGE, MATCHBOX_ARGS, MATCHBOX_IMAGE, MATCHBOX_LABELS, MatchboxServer, type MatchboxServerProps } from "../../../constructs/matchbox-server";
import { MatchboxTls } from "../../../constructs/matchbox-tls";
import { build, k8sNamed, onlyOf, resourceTypes, type Built, type Json } from "./support";

// Shaped like the fixture site's (test/fixtures/site/site.yaml): its ClusterIP
// and checksums, and a manifest line with Terraform template syntax, which
// must reach the pod unchanged. The script has shell `${...}` for the same reason.
const MANIFEST = [
  "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1 talos/v1.13.9/kernel-amd64 https://factory.talos.dev/image/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba/v1.13.9/kernel-amd64 talos.kernelSha256",
  "UNSET rescue/initrd.img https://rescue.example.test/initrd.img?v=${x}&w=%{y} rescue.initrdSha256",
].join("\n");
const SCRIPT = '#!/bin/sh\nset -eu\nmanifest="${1}"\necho "fetching from $manifest"\n';
const GATEWAY_LABELS = { "app.kubernetes.io/name": "wireguard-gateway", "app.kubernetes.io/part-of": "netboot" };

type Props = Omit<MatchboxServerProps, "tls">;
const base: Props = {
  namespace: "netboot-boot",
  clusterIp: "10.136.0.80",
  assetManifest: MANIFEST,
  fetchAssetsScript: SCRIPT,
  clientNamespace: "netboot-gateway",
  clientLabels: GATEWAY_LABELS,
};

interface Fixture {
  readonly server: MatchboxServer;
  readonly tls: MatchboxTls;
}

/** MatchboxServer with its TLS from a MatchboxTls in the same stack (Terraform references, as in the boot-server stack). */
const synth = (props: Partial<Props> = {}): Built<Fixture> =>
  build((scope) => {
    const tls = new MatchboxTls(scope, "tls", { serverDnsNames: MatchboxServer.serviceDnsNames("netboot-boot"), serverIpAddresses: ["10.136.0.80"] });
    return { tls, server: new MatchboxServer(scope, "matchbox", { ...base, ...props, tls }) };
  });

const deployment = (json: Json) => onlyOf(json, "kubernetes_deployment_v1");
const podSpec = (json: Json) => deployment(json).spec.template.spec;
const volume = (json: Json, name: string) => podSpec(json).volume.find((v: any) => v.name === name);
const sha256 = (...parts: string[]) => parts.reduce((h, p) => h.update(p), createHash("sha256")).digest("hex");

const RESTRICTED_CONTAINER = {
  run_as_non_root: true,
  allow_privilege_escalation: false,
  read_only_root_filesystem: true,
  capabilities: { drop: ["ALL"] },
  seccomp_profile: { type: "RuntimeDefault" },
};

describe("MatchboxServer", () => {
  // GIVEN the fixture props, dataVolumeGi and assetsVolumeGi omitted.
  let fixture: Built<Fixture>;
  // GIVEN every prop but tls and fetchAssetsScript changed at once: each test names the props it follows.
  let other: Json;
  beforeAll(() => {
    fixture = synth();
    other = synth({
      namespace: "mb-elsewhere",
      clusterIp: "10.136.0.99",
      assetManifest: `${MANIFEST}\n`,
      clientNamespace: "ops",
      clientLabels: { app: "probe" },
      dataVolumeGi: 5,
      assetsVolumeGi: 3,
    }).json;
  });

  test("creates the TLS secret, the assets config map, the data claim, the deployment, the service and one policy", () => {
    const own = resourceTypes(fixture.json).filter((t) => !t.startsWith("tls_"));
    expect(own).toEqual([
      "kubernetes_config_map_v1",
      "kubernetes_deployment_v1",
      "kubernetes_network_policy_v1",
      "kubernetes_persistent_volume_claim_v1",
      "kubernetes_secret_v1",
      "kubernetes_service_v1",
    ]);
    for (const t of own) expect(Object.keys(fixture.json.resource[t])).toHaveLength(1);
  });

  test("GIVEN namespace THEN every object is in it, labelled as Matchbox", () => {
    for (const t of resourceTypes(fixture.json).filter((x) => x.startsWith("kubernetes_"))) {
      expect(onlyOf(fixture.json, t).metadata).toMatchObject({ namespace: "netboot-boot", labels: MATCHBOX_LABELS });
    }
    expect(deployment(other).metadata.namespace).toBe("mb-elsewhere");
    expect(onlyOf(other, "kubernetes_service_v1").metadata.namespace).toBe("mb-elsewhere");
  });

  test("serviceDnsNames are the Service's in-cluster names", () => {
    expect(MatchboxServer.serviceDnsNames("netboot-boot")).toEqual(["matchbox", "matchbox.netboot-boot", "matchbox.netboot-boot.svc", "matchbox.netboot-boot.svc.cluster.local"]);
  });

  test("GIVEN tls THEN the secret holds its CA, certificate and key as Terraform references, and no key material is synthesized", () => {
    const { json, text } = fixture;
    // MatchboxTls exposes cdktf tokens: compare with the references they stand for.
    const idOf = (type: string, part: string) => Object.keys(json.resource[type]).find((id) => id.includes(part));
    const caRef = `\${tls_self_signed_cert.${idOf("tls_self_signed_cert", "tls_ca")}.cert_pem}`;
    const certRef = `\${tls_locally_signed_cert.${idOf("tls_locally_signed_cert", "tls_server-cert")}.cert_pem}`;
    const keyRef = `\${tls_private_key.${idOf("tls_private_key", "tls_server-key")}.private_key_pem}`;
    expect(onlyOf(json, "kubernetes_secret_v1")).toEqual({
      metadata: { name: "matchbox-tls", namespace: "netboot-boot", labels: MATCHBOX_LABELS },
      data: { "ca.crt": caRef, "server.crt": certRef, "server.key": keyRef },
    });
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY-----/);
    // The secret's files are readable by owner and group only (and mounted read-only, below).
    const [secretId] = Object.keys(json.resource.kubernetes_secret_v1);
    expect(volume(json, "tls")).toEqual({ name: "tls", secret: { secret_name: `\${kubernetes_secret_v1.${secretId}.metadata[0].name}`, default_mode: "0440" } });
    // The pod rolls when the CA or server certificate changes; the key is not part of the hash.
    expect(deployment(json).spec.template.metadata.annotations["netboot/tls-hash"]).toBe(`\${sha256(join("", [${caRef.slice(2, -1)}, ${certRef.slice(2, -1)}]))}`);
  });

  test("GIVEN assetManifest and fetchAssetsScript THEN the config map holds them escaped for Terraform, and the pod template carries their hash", () => {
    const { json } = fixture;
    expect(onlyOf(json, "kubernetes_config_map_v1").data).toEqual({
      "assets.txt": MANIFEST.replace("v=${x}&w=%{y}", () => "v=$${x}&w=%%{y}"),
      "fetch-assets.sh": SCRIPT.replace('manifest="${1}"', () => 'manifest="$${1}"'),
    });
    expect(deployment(json).spec.template.metadata.annotations["netboot/assets-hash"]).toBe(sha256(MANIFEST, SCRIPT));
  });

  test("GIVEN another manifest or script THEN the assets hash changes (the Deployment rolls); the TLS hash does not", () => {
    const annotations = (json: Json) => deployment(json).spec.template.metadata.annotations;
    const a = annotations(fixture.json);
    const manifest = annotations(other);
    const script = annotations(synth({ fetchAssetsScript: `${SCRIPT}# changed\n` }).json);
    expect(new Set([a["netboot/assets-hash"], manifest["netboot/assets-hash"], script["netboot/assets-hash"]]).size).toBe(3);
    expect(manifest["netboot/tls-hash"]).toBe(a["netboot/tls-hash"]);
  });

  test("GIVEN dataVolumeGi omitted THEN the data claim requests 1Gi (documented @default 1), ReadWriteOnce, without waiting to bind", () => {
    expect(onlyOf(fixture.json, "kubernetes_persistent_volume_claim_v1")).toEqual({
      metadata: { name: "matchbox-data", namespace: "netboot-boot", labels: MATCHBOX_LABELS },
      spec: { access_modes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      wait_until_bound: false,
    });
  });

  test("GIVEN assetsVolumeGi omitted THEN the assets emptyDir is limited to 2Gi (documented @default 2)", () => {
    expect(volume(fixture.json, "assets")).toEqual({ name: "assets", empty_dir: { size_limit: "2Gi" } });
  });

  test("GIVEN dataVolumeGi 5 and assetsVolumeGi 3 THEN the claim requests 5Gi and the emptyDir is limited to 3Gi", () => {
    expect(onlyOf(other, "kubernetes_persistent_volume_claim_v1").spec.resources.requests.storage).toBe("5Gi");
    expect(volume(other, "assets").empty_dir.size_limit).toBe("3Gi");
  });

  test("the pod passes Pod Security `restricted`: non-root uid/gid 65532, no token, RuntimeDefault seccomp, every container without privileges", () => {
    const spec = podSpec(fixture.json);
    expect(spec.automount_service_account_token).toBe(false);
    expect(spec.security_context).toEqual({ run_as_non_root: true, run_as_user: "65532", run_as_group: "65532", fs_group: "65532", seccomp_profile: { type: "RuntimeDefault" } });
    expect(spec.host_network).toBeUndefined();
    expect([...spec.init_container, ...spec.container].map((c: any) => [c.name, c.security_context])).toEqual([
      ["fetch-assets", RESTRICTED_CONTAINER],
      ["matchbox", RESTRICTED_CONTAINER],
    ]);
  });

  test("one Matchbox replica from the pinned image, recreated (one writer of the data volume), its data and assets mounted, assets read-only", () => {
    const d = deployment(fixture.json);
    expect(d.wait_for_rollout).toBe(false);
    expect(d.spec).toMatchObject({ replicas: "1", strategy: { type: "Recreate" }, selector: { match_labels: MATCHBOX_LABELS } });
    expect(MATCHBOX_IMAGE).toMatch(/^quay\.io\/poseidon\/matchbox:v[0-9.]+@sha256:[0-9a-f]{64}$/);
    expect(ASSET_FETCHER_IMAGE).toMatch(/^curlimages\/curl:[0-9.]+@sha256:[0-9a-f]{64}$/);
    const [fetcher] = d.spec.template.spec.init_container;
    const [matchbox] = d.spec.template.spec.container;
    expect(fetcher).toMatchObject({
      image: ASSET_FETCHER_IMAGE,
      command: ["/bin/sh", "/etc/netboot/assets/fetch-assets.sh", "/etc/netboot/assets/assets.txt", "/var/lib/matchbox/assets", "/var/lib/matchbox"],
    });
    expect(matchbox).toMatchObject({
      image: MATCHBOX_IMAGE,
      args: [...MATCHBOX_ARGS],
      env: [{ name: "GRPC_GO_LOG_SEVERITY_LEVEL", value: "info" }],
      port: [
        { name: "http", container_port: 8080 },
        { name: "grpc", container_port: 8081 },
      ],
      volume_mount: [
        { name: "data", mount_path: "/var/lib/matchbox" },
        { name: "assets", mount_path: "/var/lib/matchbox/assets", read_only: true },
        { name: "tls", mount_path: "/etc/matchbox", read_only: true },
      ],
    });
    expect(MATCHBOX_ARGS).toContain("-key-file=/etc/matchbox/server.key");
    expect(MATCHBOX_ARGS).toContain("-ca-file=/etc/matchbox/ca.crt");
  });

  test("GIVEN clusterIp THEN the ClusterIP Service is fixed on it and exposes HTTP 8080 and gRPC 8081 only", () => {
    expect(onlyOf(fixture.json, "kubernetes_service_v1")).toEqual({
      metadata: { name: "matchbox", namespace: "netboot-boot", labels: MATCHBOX_LABELS },
      spec: {
        type: "ClusterIP",
        cluster_ip: "10.136.0.80",
        selector: MATCHBOX_LABELS,
        port: [
          { name: "http", port: 8080, target_port: "8080" },
          { name: "grpc", port: 8081, target_port: "8081" },
        ],
      },
    });
    expect(onlyOf(other, "kubernetes_service_v1").spec.cluster_ip).toBe("10.136.0.99");
  });

  test("GIVEN clientNamespace and clientLabels THEN only those pods reach HTTP and gRPC, and the pods' only egress is HTTPS to public addresses", () => {
    expect(k8sNamed(fixture.json, "kubernetes_network_policy_v1", "matchbox-only-from-gateway").spec).toEqual({
      pod_selector: { match_labels: MATCHBOX_LABELS },
      policy_types: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "netboot-gateway" } }, pod_selector: { match_labels: GATEWAY_LABELS } }],
          ports: [
            { port: "8080", protocol: "TCP" },
            { port: "8081", protocol: "TCP" },
          ],
        },
      ],
      egress: [
        {
          to: [{ ip_block: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] } }],
          ports: [{ port: "443", protocol: "TCP" }],
        },
      ],
    });
  });

  test("GIVEN another clientNamespace and clientLabels THEN the ingress rule admits exactly those", () => {
    const policy = onlyOf(other, "kubernetes_network_policy_v1");
    expect(policy.spec.ingress[0].from).toEqual([
      { namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "ops" } }, pod_selector: { match_labels: { app: "probe" } } },
    ]);
  });
});
