import { Construct } from "constructs";
import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { ContainerNodePool } from "@cdktf/provider-google/lib/container-node-pool";

/**
 * What a `kubelet_config` block must say so that setting it changes nothing
 * else. `cpu_cfs_quota` (enforce containers' CPU limits; GKE's own default is
 * true): hashicorp/google force-sends this nested boolean
 * (GoogleCloudPlatform/magic-modules#4331, the fix of
 * hashicorp/terraform-provider-google#7968), so an unset one reached the API as
 * `cpuCfsQuota: false` and the pool stopped enforcing CPU limits. The same
 * default was fixed in Config Connector (GoogleCloudPlatform/k8s-config-connector#12658)
 * and in the conversion library (GoogleCloudPlatform/magic-modules#18824, whose
 * description credits a raw-config check in the provider to magic-modules#15268;
 * which provider release first has it was not verified against 6.50.0). Set
 * explicitly, it is true with every release.
 */
export const KUBELET_DEFAULTS_KEPT = { cpuCfsQuota: true } as const;

export interface GkeClusterProps {
  /** GCP project of the cluster; its Workload Identity pool is `<project>.svc.id.goog`. */
  readonly project: string;
  /** Name of the cluster; the node pool is `<name>-pool`. */
  readonly name: string;
  /** A zone: one zonal cluster is covered by GKE's free tier. */
  readonly zone: string;
  /** Id of the VPC the cluster joins (BootVpc's network). */
  readonly networkId: string;
  /** Id of the nodes' subnet (BootVpc's subnet), which holds the pod and Service secondary ranges. */
  readonly subnetId: string;
  /** Name of the subnet's secondary range for pod IPs (VPC-native networking). */
  readonly podsRangeName: string;
  /** Name of the subnet's secondary range for Service ClusterIPs. */
  readonly servicesRangeName: string;
  /** /28 for the control plane's private endpoint. */
  readonly controlPlaneCidr: string;
  /**
   * Sources allowed to reach the control plane's public IP endpoint; empty = any (IAM still applies).
   * They do not limit the DNS-based endpoint, which IAM alone guards (docs/adr/0010).
   */
  readonly controlPlaneAuthorizedCidrs: readonly string[];
  /** GKE release channel (`RAPID`, `REGULAR` or `STABLE`): it picks the versions the control plane and the auto-upgraded nodes run. */
  readonly releaseChannel: "RAPID" | "REGULAR" | "STABLE";
  /** Email of the nodes' dedicated least-privilege service account (NodeServiceAccount), used instead of the Compute default one. */
  readonly nodeServiceAccountEmail: string;
  /** Compute Engine machine type of the node pool, e.g. `e2-small`. */
  readonly machineType: string;
  /** Run the node pool on Spot VMs: cheaper, but Compute Engine may reclaim them at any time. */
  readonly spot: boolean;
  /** Number of nodes in the pool (fixed: no autoscaling). */
  readonly nodeCount: number;
  /**
   * GKE deletion protection on the cluster: while on, `terraform destroy`
   * refuses to delete it, so a mistaken destroy cannot take the boot service down.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Namespaced "unsafe" sysctls the kubelet lets pods set (a pod that sets
   * one the node does not allow is rejected). The workloads that need them
   * own the list, e.g. the WireGuard gateway's `GATEWAY_SYSCTLS`.
   * @default [] (pods may set only the safe sysctls)
   */
  readonly allowedUnsafeSysctls?: readonly string[];
}

/**
 * A zonal GKE Standard cluster: private nodes, Workload Identity, shielded
 * nodes, Dataplane V2 (which enforces NetworkPolicy), and one small node pool
 * with a dedicated service account.
 */
export class GkeCluster extends Construct {
  readonly cluster: ContainerCluster;
  readonly nodePool: ContainerNodePool;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    const allowedUnsafeSysctls = props.allowedUnsafeSysctls ?? [];
    // Both pools' nodes: the dedicated service account, whose IAM governs
    // access (scopes only cap it), shielded VMs, the GKE metadata server (pods
    // never see the node's credentials) and no legacy metadata endpoints.
    const hardening = {
      serviceAccount: props.nodeServiceAccountEmail,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      metadata: { "disable-legacy-endpoints": "true" },
    };

    this.cluster = new ContainerCluster(this, "cluster", {
      name: props.name,
      location: props.zone,
      network: props.networkId,
      subnetwork: props.subnetId,
      // The default pool cannot be configured like ours; GKE requires one to
      // exist at creation, so it is created with one node and removed.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: props.podsRangeName,
        servicesSecondaryRangeName: props.servicesRangeName,
      },
      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: false,
        masterIpv4CidrBlock: props.controlPlaneCidr,
      },
      // Two ways in (docs/adr/0010): the DNS-based endpoint, reachable from
      // anywhere and authorized by IAM (container.clusters.connect), for CI's
      // runners, whose addresses change; and the IP endpoint, kept and still
      // limited to the authorized networks below.
      controlPlaneEndpointsConfig: {
        dnsEndpointConfig: { allowExternalTraffic: true },
        ipEndpointsConfig: { enabled: true },
      },
      masterAuthorizedNetworksConfig:
        props.controlPlaneAuthorizedCidrs.length > 0
          ? { cidrBlocks: props.controlPlaneAuthorizedCidrs.map((cidrBlock) => ({ cidrBlock, displayName: "authorized" })) }
          : undefined,
      datapathProvider: "ADVANCED_DATAPATH",
      workloadIdentityConfig: { workloadPool: `${props.project}.svc.id.goog` },
      enableShieldedNodes: true,
      releaseChannel: { channel: props.releaseChannel },
      deletionProtection: props.deletionProtection ?? true,
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      addonsConfig: { httpLoadBalancing: { disabled: false } },
      loggingService: "logging.googleapis.com/kubernetes",
      monitoringService: "monitoring.googleapis.com/kubernetes",
      // Node config of the short-lived default pool: same hardening as ours.
      nodeConfig: { ...hardening },
      lifecycle: { ignoreChanges: ["node_config"] },
    });

    this.nodePool = new ContainerNodePool(this, "nodes", {
      name: `${props.name}-pool`,
      cluster: this.cluster.id,
      location: props.zone,
      nodeCount: props.nodeCount,
      management: { autoRepair: true, autoUpgrade: true },
      nodeConfig: {
        machineType: props.machineType,
        spot: props.spot,
        diskSizeGb: 30,
        diskType: "pd-standard",
        imageType: "COS_CONTAINERD",
        ...hardening,
        ...(allowedUnsafeSysctls.length > 0 ? { kubeletConfig: { ...KUBELET_DEFAULTS_KEPT, allowedUnsafeSysctls: [...allowedUnsafeSysctls] } } : {}),
        labels: { "netboot/pool": "boot" },
      },
    });
  }
}
