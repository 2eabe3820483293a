import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { SecretManagerSecret } from "@cdktf/provider-google/lib/secret-manager-secret";
import { SecretManagerSecretIamMember } from "@cdktf/provider-google/lib/secret-manager-secret-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DaemonSetV1 } from "@cdktf/provider-kubernetes/lib/daemon-set-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { terraformLiteral } from "../lib/model/terraform-strings";
import { PUBLIC_HTTPS_EGRESS } from "./pod-security-namespace";
import { prefixedName } from "../lib/input/gcp-names";

/** Pinned WireGuard image: Alpine with wireguard-tools, iptables, bash, curl and jq. */
export const WIREGUARD_IMAGE = "lscr.io/linuxserver/wireguard:1.0.20250521-r1-ls110";
export const GATEWAY_LABELS = { "app.kubernetes.io/name": "wireguard-gateway", "app.kubernetes.io/part-of": "netboot" };
/** The one sysctl the gateway sets in its own pod; the node pool must allow it (docs/adr/0005). */
export const GATEWAY_SYSCTLS = ["net.ipv4.ip_forward"] as const;
/** The gateway pod's interfaces: the tunnel it creates and the pod network's uplink. */
export const GATEWAY_INTERFACES = { tunnel: "wg0", uplink: "eth0" } as const;
/** The gateway container's readiness and liveness probe: `gateway.sh check` (reads WG_IFACE and WG_RULES from the container's env). */
export const GATEWAY_PROBE_COMMAND = ["/bin/bash", "/opt/netboot/gateway.sh", "check"];

export interface WireguardGatewayProps {
  /** GCP project: the pod reads its key from this project's Secret Manager, and Workload Identity binds in its pool `<project>.svc.id.goog`. */
  readonly project: string;
  /** Prefix of the Google service account id, `<namePrefix>-wg-gateway`. */
  readonly namePrefix: string;
  /** Namespace of the gateway (Pod Security level `privileged`: it adds NET_ADMIN). */
  readonly namespace: string;
  /** Secret Manager secret id for the gateway's private key; Terraform creates the secret, never a version. */
  readonly privateKeySecret: string;
  /** The committed public key (wireguard/gateway.pub); the pod refuses a private key that does not match. */
  readonly expectedPublicKey: string;
  /** Rendered by lib/model/wireguard/render.ts for `GATEWAY_INTERFACES`. */
  readonly wireguardConfig: string;
  /** The gateway's packet filter in iptables-restore format (rules.v4), rendered by lib/model/wireguard/render.ts for `GATEWAY_INTERFACES`. */
  readonly rules: string;
  /** wireguard/gateway.sh: the same script the end-to-end test runs. */
  readonly gatewayScript: string;
  /** UDP port WireGuard listens on, in the pod and on the load balancer. */
  readonly listenPort: number;
  /** Name of the reserved regional external address (network stack). */
  readonly staticAddressName: string;
  /** Sources allowed to reach UDP listenPort: the home router's public address(es). */
  readonly loadBalancerSourceRanges: readonly string[];
  /** The pods the gateway forwards to (Matchbox, the boot-report receiver): its egress policy allows these TCP ports to them and nothing else in the cluster. */
  readonly upstreams: readonly { readonly namespace: string; readonly labels: Readonly<Record<string, string>>; readonly ports: readonly number[] }[];
}

/**
 * The WireGuard gateway: a DaemonSet with NET_ADMIN only, behind an external
 * passthrough Network Load Balancer for UDP that only the home IPs reach. Its
 * private key is read at start from Secret Manager with Workload Identity, so
 * it is in neither git, the synthesized output nor Terraform state.
 */
export class WireguardGateway extends Construct {
  readonly daemonSet: DaemonSetV1;
  readonly service: ServiceV1;
  readonly googleServiceAccount: ServiceAccount;
  readonly keySecret: SecretManagerSecret;

  constructor(scope: Construct, id: string, props: WireguardGatewayProps) {
    super(scope, id);
    const ksaName = "wireguard-gateway";
    const script = props.gatewayScript;

    this.keySecret = new SecretManagerSecret(this, "private-key", {
      secretId: props.privateKeySecret,
      replication: { auto: {} },
      labels: { "managed-by": "netboot" },
    });
    this.googleServiceAccount = new ServiceAccount(this, "gsa", {
      accountId: prefixedName(props.namePrefix, "gatewayServiceAccount"),
      displayName: "netboot WireGuard gateway (reads its private key only)",
    });
    new SecretManagerSecretIamMember(this, "key-accessor", {
      secretId: this.keySecret.id,
      role: "roles/secretmanager.secretAccessor",
      member: `serviceAccount:${this.googleServiceAccount.email}`,
    });
    const ksa = new ServiceAccountV1(this, "ksa", {
      metadata: {
        name: ksaName,
        namespace: props.namespace,
        labels: GATEWAY_LABELS,
        annotations: { "iam.gke.io/gcp-service-account": this.googleServiceAccount.email },
      },
      automountServiceAccountToken: false,
    });
    new ServiceAccountIamMember(this, "workload-identity", {
      serviceAccountId: this.googleServiceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${props.project}.svc.id.goog[${props.namespace}/${ksaName}]`,
    });

    // Not secret (no private key), but a Secret keeps peers' addresses out of casual `kubectl get cm` output.
    const config = new SecretV1(this, "config", {
      metadata: { name: "wireguard-gateway-config", namespace: props.namespace, labels: GATEWAY_LABELS },
      data: { "gateway.conf": terraformLiteral(props.wireguardConfig), "rules.v4": terraformLiteral(props.rules) },
    });
    const scriptMap = new ConfigMapV1(this, "script", {
      metadata: { name: "wireguard-gateway-script", namespace: props.namespace, labels: GATEWAY_LABELS },
      data: { "gateway.sh": terraformLiteral(script) },
    });
    // Any change of peers, keys, rules or script rolls the pods.
    const configHash = createHash("sha256").update(props.wireguardConfig).update(props.rules).update(script).update(props.expectedPublicKey).digest("hex");

    this.daemonSet = new DaemonSetV1(this, "daemonset", {
      metadata: { name: "wireguard-gateway", namespace: props.namespace, labels: GATEWAY_LABELS },
      // The pods cannot become ready until the operator adds the key version to
      // the secret this stack creates (runbook 1.8, after the first deploy):
      // waiting for the rollout would hang the first apply and block matchbox-config.
      waitForRollout: false,
      spec: {
        selector: { matchLabels: GATEWAY_LABELS },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "1" } },
        template: {
          metadata: { labels: GATEWAY_LABELS, annotations: { "netboot/config-hash": configHash } },
          spec: {
            serviceAccountName: ksa.metadata.name,
            automountServiceAccountToken: false,
            hostNetwork: false,
            terminationGracePeriodSeconds: 10,
            securityContext: {
              seccompProfile: { type: "RuntimeDefault" },
              sysctl: GATEWAY_SYSCTLS.map((name) => ({ name, value: "1" })),
            },
            container: [
              {
                name: "wireguard",
                image: WIREGUARD_IMAGE,
                command: ["/bin/bash", "/opt/netboot/gateway.sh"],
                env: [
                  { name: "WG_IFACE", value: GATEWAY_INTERFACES.tunnel },
                  { name: "WG_CONFIG", value: "/etc/netboot/wireguard/gateway.conf" },
                  { name: "WG_RULES", value: "/etc/netboot/wireguard/rules.v4" },
                  { name: "WG_PRIVATE_KEY_FILE", value: "/run/netboot/private.key" },
                  { name: "WG_KEY_SECRET", value: `projects/${props.project}/secrets/${props.privateKeySecret}/versions/latest` },
                  { name: "WG_EXPECTED_PUBLIC_KEY", value: terraformLiteral(props.expectedPublicKey) },
                ],
                port: [{ name: "wireguard", containerPort: props.listenPort, protocol: "UDP" }],
                securityContext: {
                  privileged: false,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsUser: "0",
                  capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] },
                },
                resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
                // Ready and alive only with the tunnel up and the packet filter loaded (every NETBOOT-* chain
                // of rules.v4, and its rules, per table), not merely with the interface present: a gateway whose
                // rules failed or were flushed restarts, and gateway.sh installs them again.
                readinessProbe: { exec: { command: GATEWAY_PROBE_COMMAND }, periodSeconds: 10, timeoutSeconds: 5 },
                livenessProbe: { exec: { command: GATEWAY_PROBE_COMMAND }, initialDelaySeconds: 30, periodSeconds: 30, timeoutSeconds: 5 },
                volumeMount: [
                  { name: "config", mountPath: "/etc/netboot/wireguard", readOnly: true },
                  { name: "script", mountPath: "/opt/netboot", readOnly: true },
                  { name: "run", mountPath: "/run" },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volume: [
              { name: "config", secret: { secretName: config.metadata.name, defaultMode: "0400" } },
              { name: "script", configMap: { name: scriptMap.metadata.name, defaultMode: "0555" } },
              { name: "run", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
              { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
            ],
          },
        },
      },
    });

    this.service = new ServiceV1(this, "load-balancer", {
      metadata: {
        name: "wireguard-gateway",
        namespace: props.namespace,
        labels: GATEWAY_LABELS,
        annotations: {
          // Backend-service-based passthrough NLB (not the legacy target pool), on our reserved IP.
          "cloud.google.com/l4-rbs": "enabled",
          "networking.gke.io/load-balancer-ip-addresses": props.staticAddressName,
        },
      },
      spec: {
        type: "LoadBalancer",
        selector: GATEWAY_LABELS,
        externalTrafficPolicy: "Local",
        loadBalancerSourceRanges: [...props.loadBalancerSourceRanges],
        port: [{ name: "wireguard", port: props.listenPort, targetPort: String(props.listenPort), protocol: "UDP" }],
      },
    });

    new NetworkPolicyV1(this, "ingress-policy", {
      metadata: { name: "wireguard-gateway-ingress", namespace: props.namespace, labels: GATEWAY_LABELS },
      spec: {
        podSelector: { matchLabels: GATEWAY_LABELS },
        policyTypes: ["Ingress"],
        // Source ranges are enforced by the LB's firewall rule; here only the port is opened.
        ingress: [{ ports: [{ port: String(props.listenPort), protocol: "UDP" }] }],
      },
    });

    // The namespace denies all other egress and allows DNS (PodSecurityNamespace).
    // Replies to the peers' UDP packets need no rule: they belong to the flow
    // the peer opened, which its persistent keepalive keeps alive.
    new NetworkPolicyV1(this, "egress-policy", {
      metadata: { name: "wireguard-gateway-egress", namespace: props.namespace, labels: GATEWAY_LABELS },
      spec: {
        podSelector: { matchLabels: GATEWAY_LABELS },
        policyTypes: ["Egress"],
        egress: [
          // The GKE metadata server, for the Workload Identity token. GKE's
          // documentation: with a strict policy allow 169.254.169.252/32 on
          // port 988, and on Dataplane V2 also 169.254.169.254/32 on port 80.
          {
            to: [{ ipBlock: { cidr: "169.254.169.254/32" } }],
            ports: [{ port: "80", protocol: "TCP" }],
          },
          {
            to: [{ ipBlock: { cidr: "169.254.169.252/32" } }],
            ports: [{ port: "988", protocol: "TCP" }],
          },
          // Secret Manager (secretmanager.googleapis.com) for the private key:
          // HTTPS to public addresses, as NetworkPolicy cannot name a host.
          PUBLIC_HTTPS_EGRESS,
          // The forwarded boot traffic, DNATed to the Matchbox and receiver
          // ClusterIPs: NetworkPolicy matches a Service's backend pods, not its ClusterIP.
          ...props.upstreams.map((upstream) => ({
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": upstream.namespace } },
                podSelector: { matchLabels: { ...upstream.labels } },
              },
            ],
            ports: upstream.ports.map((port) => ({ port: String(port), protocol: "TCP" })),
          })),
        ],
      },
    });
  }
}
