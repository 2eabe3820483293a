import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1, type NetworkPolicyV1SpecEgress, type NetworkPolicyV1SpecIngress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PodSecurityNamespaceProps {
  /** Name of the namespace. */
  readonly name: string;
  /** The Pod Security Standard level the API server enforces (rejects). */
  readonly enforce: PodSecurityLevel;
  /**
   * The level reported as warnings and audit events.
   * @default - the enforced level
   */
  readonly warnAndAudit?: PodSecurityLevel;
}

/**
 * Where a pod's DNS queries can go on GKE, whichever DNS the cluster runs
 * (UDP and TCP 53 to each):
 * - the kube-dns pods (`k8s-app: kube-dns` in kube-system), GKE's default;
 * - NodeLocal DNSCache's link-local address 169.254.20.10 (the add-on's
 *   default; its pods use hostNetwork, so no pod selector matches them);
 * - the GKE metadata server 169.254.169.254, which answers DNS for Cloud DNS
 *   for GKE.
 * NetworkPolicy cannot restrict which names are asked.
 */
export const DNS_EGRESS: NetworkPolicyV1SpecEgress = {
  to: [
    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
    { ipBlock: { cidr: "169.254.20.10/32" } },
    { ipBlock: { cidr: "169.254.169.254/32" } },
  ],
  ports: [
    { port: "53", protocol: "UDP" },
    { port: "53", protocol: "TCP" },
  ],
};

/**
 * Addresses that are never "the internet" for a pod: private ranges (the
 * VPC, pods, Services, the control plane's private endpoint, the home
 * networks behind the tunnel), shared address space and link-local (the
 * metadata server). Egress rules "to anywhere" leave them out.
 */
export const NON_PUBLIC_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] as const;

/**
 * HTTPS to any public address. NetworkPolicy matches addresses and ports,
 * not host names: it cannot say "only factory.talos.dev" or "only
 * secretmanager.googleapis.com" (Google's APIs and the download hosts have
 * many, changing addresses), so this is the narrowest rule it can express.
 */
export const PUBLIC_HTTPS_EGRESS: NetworkPolicyV1SpecEgress = {
  to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS] } }],
  ports: [{ port: "443", protocol: "TCP" }],
};

/**
 * A container's security context that Pod Security level `restricted`
 * admits, with a read-only root: non-root, no privilege escalation, no
 * capabilities, the runtime's default seccomp profile. A fresh object each
 * call, so no construct shares (or edits) another's.
 */
export function restrictedContainerSecurityContext() {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/**
 * Ingress from one set of pods only (for netboot: the WireGuard gateway's,
 * the one client of Matchbox and of the boot-report receiver), to the given
 * TCP ports only.
 */
export function tcpIngressFromPods(clientNamespace: string, clientLabels: Readonly<Record<string, string>>, ports: readonly number[]): NetworkPolicyV1SpecIngress {
  return {
    from: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": clientNamespace } },
        podSelector: { matchLabels: { ...clientLabels } },
      },
    ],
    ports: ports.map((port) => ({ port: String(port), protocol: "TCP" })),
  };
}

/**
 * A namespace with Pod Security Admission labels and a default-deny
 * NetworkPolicy: every pod in it is isolated for ingress and egress, so only
 * what another policy allows gets in or out. The namespace also allows every
 * pod DNS (`DNS_EGRESS`) and nothing else; each workload's own policy adds
 * its flows. Dataplane V2 enforces them; nothing in this repository can test
 * enforcement (the tests check the synthesized objects).
 */
export class PodSecurityNamespace extends Construct {
  readonly namespace: NamespaceV1;
  readonly name: string;
  readonly defaultDeny: NetworkPolicyV1;
  readonly allowDns: NetworkPolicyV1;

  constructor(scope: Construct, id: string, props: PodSecurityNamespaceProps) {
    super(scope, id);
    const report = props.warnAndAudit ?? props.enforce;
    this.namespace = new NamespaceV1(this, "namespace", {
      metadata: {
        name: props.name,
        labels: {
          "app.kubernetes.io/part-of": "netboot",
          "pod-security.kubernetes.io/enforce": props.enforce,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": report,
          "pod-security.kubernetes.io/audit": report,
        },
      },
    });
    this.name = this.namespace.metadata.name;

    const labels = { "app.kubernetes.io/part-of": "netboot" };
    // An empty pod selector selects every pod of the namespace; both policy
    // types without rules allow nothing.
    this.defaultDeny = new NetworkPolicyV1(this, "default-deny", {
      metadata: { name: "default-deny", namespace: this.name, labels },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    this.allowDns = new NetworkPolicyV1(this, "allow-dns", {
      metadata: { name: "allow-dns", namespace: this.name, labels },
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: [DNS_EGRESS] },
    });
  }
}
