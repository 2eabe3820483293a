import { createHash } from "node:crypto";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { terraformLiteral } from "../../lib/model/terraform-strings";
import { PUBLIC_HTTPS_EGRESS, restrictedContainerSecurityContext, tcpIngressFromPods } from "../pod-security-namespace";
import { MATCHBOX_HTTP_PORT, MATCHBOX_RPC_PORT } from "../../lib/model/wireguard/render";

/**
 * Matchbox's latest release, pinned by tag and digest (never `latest`): the
 * digest, not the tag, is what the node pulls, so a re-pushed tag changes
 * nothing. Renovate proposes updates of both (renovate.json, images manager).
 * The digest is the one public repositories pin for this tag (three unrelated
 * ones agree); it was not read from quay.io here (no registry access), and a
 * wrong digest fails closed: the pull fails, nothing else runs. The
 * `matchbox-real` job pulls it in GitHub Actions.
 */
export const MATCHBOX_IMAGE = "quay.io/poseidon/matchbox:v0.11.0@sha256:06bcdae85335fd00e8277b007b55cfb49d96a0114628c0f70db2b92b079d246a";
/** Matchbox's command line in the pod; the GitHub Actions comparison (test/plan/matchbox-real.test.ts) runs the image with the same. */
export const MATCHBOX_ARGS = [
  `-address=0.0.0.0:${MATCHBOX_HTTP_PORT}`,
  `-rpc-address=0.0.0.0:${MATCHBOX_RPC_PORT}`,
  "-data-path=/var/lib/matchbox",
  "-assets-path=/var/lib/matchbox/assets",
  "-cert-file=/etc/matchbox/server.crt",
  "-key-file=/etc/matchbox/server.key",
  "-ca-file=/etc/matchbox/ca.crt",
  "-log-level=debug",
] as const;
/**
 * Fetches and verifies the boot assets; runs as an unprivileged user. Pinned
 * by tag and digest like MATCHBOX_IMAGE (the digest public repositories pin
 * for this tag, seven unrelated ones agree; not read from Docker Hub here).
 */
export const ASSET_FETCHER_IMAGE = "curlimages/curl:8.11.1@sha256:c1fe1679c34d9784c1b0d1e5f62ac0a79fca01fb6377cdd33e90473c6f9f9a69";
/**
 * Matchbox's gRPC library (grpc-go v1.62.1 in v0.11.0's go.mod) logs a failed
 * TLS handshake ("grpc: Server.Serve failed to create ServerTransport: ...
 * ServerHandshake(...) failed: ...") at INFO, and its default logger prints
 * only ERROR (grpclog/loggerv2.go): this makes the handshake failures, e.g. an
 * expired or foreign certificate, reach the log-based metric of
 * constructs/boot-observability.ts.
 */
export const MATCHBOX_ENV = [{ name: "GRPC_GO_LOG_SEVERITY_LEVEL", value: "info" }] as const;
export const MATCHBOX_LABELS = { "app.kubernetes.io/name": "matchbox", "app.kubernetes.io/part-of": "netboot" };
/** An unprivileged uid/gid that owns the data volume. */
const MATCHBOX_UID = "65532";

export interface MatchboxServerProps {
  /** Namespace enforcing Pod Security level `restricted`. */
  readonly namespace: string;
  /** Fixed ClusterIP of the Service: the gateway DNATs to it. */
  readonly clusterIp: string;
  /** Terraform references (unknown at synth time): the pod template carries a hash of the certificates, computed by Terraform. */
  readonly tls: { readonly caCertPem: string; readonly serverCertPem: string; readonly serverKeyPem: string };
  /** Rendered by lib/input/boot-assets.ts: `<sha256|UNSET> <path> <url> <field>` per line. */
  readonly assetManifest: string;
  /** The fetch-and-verify script (constructs/matchbox-server/fetch-assets.sh). */
  readonly fetchAssetsScript: string;
  /** Namespace of the only pods that reach Matchbox (the WireGuard gateway's); see `clientLabels`. */
  readonly clientNamespace: string;
  /** Labels of those pods in `clientNamespace`: the NetworkPolicy admits HTTP and gRPC from them alone. */
  readonly clientLabels: Readonly<Record<string, string>>;
  /**
   * Size in GiB of the persistent volume claim for Matchbox's data path
   * (the profiles and groups written through its gRPC API).
   * @default 1
   */
  readonly dataVolumeGi?: number;
  /**
   * Size limit in GiB of the emptyDir that holds the boot assets, refetched
   * and re-verified at every start.
   * @default 2
   */
  readonly assetsVolumeGi?: number;
}

/**
 * Matchbox: one replica with a persistent data path (profiles and groups
 * written through its gRPC API), boot assets fetched and verified at start,
 * and a ClusterIP Service that only the WireGuard gateway can reach.
 */
export class MatchboxServer extends Construct {
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;
  /** In-cluster DNS names of the Service, for the server certificate. */
  static serviceDnsNames(namespace: string): string[] {
    return ["matchbox", `matchbox.${namespace}`, `matchbox.${namespace}.svc`, `matchbox.${namespace}.svc.cluster.local`];
  }

  constructor(scope: Construct, id: string, props: MatchboxServerProps) {
    super(scope, id);
    const ns = props.namespace;
    const meta = (name: string) => ({ name, namespace: ns, labels: MATCHBOX_LABELS });

    const tls = new SecretV1(this, "tls", {
      metadata: meta("matchbox-tls"),
      data: { "ca.crt": props.tls.caCertPem, "server.crt": props.tls.serverCertPem, "server.key": props.tls.serverKeyPem },
    });
    const assets = new ConfigMapV1(this, "assets-manifest", {
      metadata: meta("matchbox-assets"),
      data: { "assets.txt": terraformLiteral(props.assetManifest), "fetch-assets.sh": terraformLiteral(props.fetchAssetsScript) },
    });
    const data = new PersistentVolumeClaimV1(this, "data", {
      metadata: meta("matchbox-data"),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${props.dataVolumeGi ?? 1}Gi` } } },
      waitUntilBound: false,
    });

    const restricted = restrictedContainerSecurityContext();
    const rollHash = createHash("sha256").update(props.assetManifest).update(props.fetchAssetsScript).digest("hex");
    // Matchbox reads its certificates only at start. A renewed or replaced CA
    // or server certificate changes this hash, which Terraform computes at
    // apply time (the certificates do not exist at synth time), so the pod
    // template changes and the Deployment rolls. The key is left out: a new
    // key always comes with a new certificate.
    const tlsHash = Fn.sha256(Fn.join("", [props.tls.caCertPem, props.tls.serverCertPem]));

    this.deployment = new DeploymentV1(this, "deployment", {
      metadata: meta("matchbox"),
      waitForRollout: false,
      spec: {
        replicas: "1",
        // One writer of the ReadWriteOnce data volume at a time.
        strategy: { type: "Recreate" },
        selector: { matchLabels: MATCHBOX_LABELS },
        template: {
          metadata: { labels: MATCHBOX_LABELS, annotations: { "netboot/assets-hash": rollHash, "netboot/tls-hash": tlsHash } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: MATCHBOX_UID,
              runAsGroup: MATCHBOX_UID,
              fsGroup: MATCHBOX_UID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            initContainer: [
              {
                name: "fetch-assets",
                image: ASSET_FETCHER_IMAGE,
                command: ["/bin/sh", "/etc/netboot/assets/fetch-assets.sh", "/etc/netboot/assets/assets.txt", "/var/lib/matchbox/assets", "/var/lib/matchbox"],
                securityContext: restricted,
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
                volumeMount: [
                  { name: "data", mountPath: "/var/lib/matchbox" },
                  { name: "assets", mountPath: "/var/lib/matchbox/assets" },
                  { name: "assets-manifest", mountPath: "/etc/netboot/assets", readOnly: true },
                ],
              },
            ],
            container: [
              {
                name: "matchbox",
                image: MATCHBOX_IMAGE,
                args: [...MATCHBOX_ARGS],
                env: MATCHBOX_ENV.map((e) => ({ ...e })),
                port: [
                  { name: "http", containerPort: MATCHBOX_HTTP_PORT },
                  { name: "grpc", containerPort: MATCHBOX_RPC_PORT },
                ],
                securityContext: restricted,
                resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
                readinessProbe: { httpGet: { path: "/", port: String(MATCHBOX_HTTP_PORT) }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: "/", port: String(MATCHBOX_HTTP_PORT) }, initialDelaySeconds: 10, periodSeconds: 30 },
                volumeMount: [
                  { name: "data", mountPath: "/var/lib/matchbox" },
                  { name: "assets", mountPath: "/var/lib/matchbox/assets", readOnly: true },
                  { name: "tls", mountPath: "/etc/matchbox", readOnly: true },
                ],
              },
            ],
            volume: [
              { name: "data", persistentVolumeClaim: { claimName: data.metadata.name } },
              // Refetched and re-verified at every start: always matches the settings' checksums.
              { name: "assets", emptyDir: { sizeLimit: `${props.assetsVolumeGi ?? 2}Gi` } },
              { name: "assets-manifest", configMap: { name: assets.metadata.name, defaultMode: "0444" } },
              { name: "tls", secret: { secretName: tls.metadata.name, defaultMode: "0440" } },
            ],
          },
        },
      },
    });

    this.service = new ServiceV1(this, "service", {
      metadata: meta("matchbox"),
      spec: {
        type: "ClusterIP",
        clusterIp: props.clusterIp,
        selector: MATCHBOX_LABELS,
        port: [
          { name: "http", port: MATCHBOX_HTTP_PORT, targetPort: String(MATCHBOX_HTTP_PORT) },
          { name: "grpc", port: MATCHBOX_RPC_PORT, targetPort: String(MATCHBOX_RPC_PORT) },
        ],
      },
    });

    // The namespace denies everything else and allows DNS (PodSecurityNamespace).
    new NetworkPolicyV1(this, "policy", {
      metadata: meta("matchbox-only-from-gateway"),
      spec: {
        podSelector: { matchLabels: MATCHBOX_LABELS },
        policyTypes: ["Ingress", "Egress"],
        ingress: [tcpIngressFromPods(props.clientNamespace, props.clientLabels, [MATCHBOX_HTTP_PORT, MATCHBOX_RPC_PORT])],
        // HTTPS for the asset fetcher (Image Factory, release downloads; the
        // settings accept https:// URLs only), to public addresses only.
        // NetworkPolicy selects pods, not containers, and addresses, not host
        // names: the Matchbox container may use this rule too, and it cannot
        // be limited to factory.talos.dev and the configured download hosts.
        egress: [PUBLIC_HTTPS_EGRESS],
      },
    });
  }
}
