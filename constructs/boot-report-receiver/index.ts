import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { BOOT_REPORT_PORTS } from "../../lib/model/boot-reports";
import { terraformLiteral } from "../../lib/model/terraform-strings";
import { restrictedContainerSecurityContext, tcpIngressFromPods } from "../pod-security-namespace";

export { BOOT_REPORT_PORTS };

/**
 * The official Node.js image (Docker Hub library/node), Alpine variant,
 * pinned by tag and digest: the digest is what the node pulls. It is the
 * digest public repositories pin for this tag (six unrelated ones agree); it
 * was not read from Docker Hub here (no registry access), and a wrong digest
 * fails closed (the pull fails). The receiver script needs Node's standard
 * library only (http2, net, dgram); the unit tests run it with the Node of
 * this repository's toolchain. Renovate proposes updates (images manager).
 */
export const BOOT_REPORT_RECEIVER_IMAGE = "docker.io/library/node:24.11.1-alpine3.22@sha256:2867d550cf9d8bb50059a0fff528741f11a84d985c732e60e19e8e75c7239c43";
export const BOOT_REPORT_RECEIVER_LABELS = { "app.kubernetes.io/name": "boot-report-receiver", "app.kubernetes.io/part-of": "netboot" };
/** The image's unprivileged `node` user. */
const NODE_UID = "1000";
const SCRIPT_DIR = "/opt/netboot";
const INVENTORY_DIR = "/etc/netboot/boot-reports";

export interface BootReportReceiverProps {
  /** Namespace enforcing Pod Security level `restricted` (default-deny NetworkPolicy). */
  readonly namespace: string;
  /** Fixed ClusterIP of the Service: the gateway DNATs the report ports to it. */
  readonly clusterIp: string;
  /** constructs/boot-report-receiver/receiver.js, mounted into the stock image. */
  readonly receiverScript: string;
  /** JSON from lib/model/boot-reports.ts renderBootReportInventory: how reports are named. */
  readonly inventoryJson: string;
  /** Namespace of the only pods that reach the report ports (the WireGuard gateway's). */
  readonly clientNamespace: string;
  /** Labels of those pods in `clientNamespace`. */
  readonly clientLabels: Readonly<Record<string, string>>;
}

/**
 * The boot-report receiver (docs/adr/0017-boot-report-receiver.md): one
 * replica of our script in a stock Node image, non-root, read-only root, no
 * service-account token, no credential of any kind. Its report ports are
 * reachable only from the gateway pods (which forward them from the boot
 * VLANs only); its status port from nothing in the cluster: the probes come
 * from the kubelet and `kubectl port-forward` enters the pod's own network
 * namespace. Its state is in memory: a restart forgets it (GKE's logging
 * keeps the stdout lines).
 */
export class BootReportReceiver extends Construct {
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;

  constructor(scope: Construct, id: string, props: BootReportReceiverProps) {
    super(scope, id);
    const meta = (name: string) => ({ name, namespace: props.namespace, labels: BOOT_REPORT_RECEIVER_LABELS });

    const script = new ConfigMapV1(this, "script", {
      metadata: meta("boot-report-receiver-script"),
      data: { "receiver.js": terraformLiteral(props.receiverScript) },
    });
    // No hash of it on the pod template: a new machine in the inventory
    // updates the mounted file in place and the receiver re-reads it, keeping
    // what it has seen. The script's hash does roll the pod.
    const inventory = new ConfigMapV1(this, "inventory", {
      metadata: meta("boot-report-receiver-inventory"),
      data: { "inventory.json": terraformLiteral(props.inventoryJson) },
    });
    const scriptHash = createHash("sha256").update(props.receiverScript).digest("hex");
    const statusPort = String(BOOT_REPORT_PORTS.status);

    this.deployment = new DeploymentV1(this, "deployment", {
      metadata: meta("boot-report-receiver"),
      waitForRollout: false,
      spec: {
        replicas: "1",
        // One receiver holds the status; two during a rolling update would split it.
        strategy: { type: "Recreate" },
        selector: { matchLabels: BOOT_REPORT_RECEIVER_LABELS },
        template: {
          metadata: { labels: BOOT_REPORT_RECEIVER_LABELS, annotations: { "netboot/script-hash": scriptHash } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID, seccompProfile: { type: "RuntimeDefault" } },
            container: [
              {
                name: "receiver",
                image: BOOT_REPORT_RECEIVER_IMAGE,
                command: ["node", `${SCRIPT_DIR}/receiver.js`],
                env: [
                  { name: "REPORT_INVENTORY", value: `${INVENTORY_DIR}/inventory.json` },
                  // The heap stays well inside the memory limit: a flood is refused, not buffered.
                  { name: "NODE_OPTIONS", value: "--max-old-space-size=96" },
                ],
                port: [
                  { name: "logs", containerPort: BOOT_REPORT_PORTS.logs, protocol: "TCP" },
                  { name: "events", containerPort: BOOT_REPORT_PORTS.events, protocol: "TCP" },
                  { name: "status", containerPort: BOOT_REPORT_PORTS.status, protocol: "TCP" },
                ],
                securityContext: restrictedContainerSecurityContext(),
                resources: { requests: { cpu: "10m", memory: "48Mi" }, limits: { cpu: "250m", memory: "160Mi" } },
                readinessProbe: { httpGet: { path: "/healthz", port: statusPort }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: "/healthz", port: statusPort }, initialDelaySeconds: 5, periodSeconds: 30 },
                volumeMount: [
                  { name: "script", mountPath: SCRIPT_DIR, readOnly: true },
                  { name: "inventory", mountPath: INVENTORY_DIR, readOnly: true },
                ],
              },
            ],
            volume: [
              { name: "script", configMap: { name: script.metadata.name, defaultMode: "0444" } },
              { name: "inventory", configMap: { name: inventory.metadata.name, defaultMode: "0444" } },
            ],
          },
        },
      },
    });

    this.service = new ServiceV1(this, "service", {
      metadata: meta("boot-report-receiver"),
      spec: {
        type: "ClusterIP",
        clusterIp: props.clusterIp,
        selector: BOOT_REPORT_RECEIVER_LABELS,
        port: [
          { name: "logs", port: BOOT_REPORT_PORTS.logs, targetPort: String(BOOT_REPORT_PORTS.logs), protocol: "TCP" },
          { name: "events", port: BOOT_REPORT_PORTS.events, targetPort: String(BOOT_REPORT_PORTS.events), protocol: "TCP" },
          // For `kubectl port-forward svc/boot-report-receiver 4003`; the policy below admits nobody to it.
          { name: "status", port: BOOT_REPORT_PORTS.status, targetPort: statusPort, protocol: "TCP" },
        ],
      },
    });

    // The namespace denies everything else and allows DNS (PodSecurityNamespace);
    // the receiver needs no egress at all.
    new NetworkPolicyV1(this, "policy", {
      metadata: meta("boot-report-receiver-only-from-gateway"),
      spec: {
        podSelector: { matchLabels: BOOT_REPORT_RECEIVER_LABELS },
        policyTypes: ["Ingress", "Egress"],
        ingress: [tcpIngressFromPods(props.clientNamespace, props.clientLabels, [BOOT_REPORT_PORTS.logs, BOOT_REPORT_PORTS.events])],
      },
    });
  }
}
