import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { DataGoogleContainerCluster } from "@cdktf/provider-google/lib/data-google-container-cluster";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { GkeCluster } from "../constructs/gke-cluster";
import { NodeServiceAccount } from "../constructs/node-service-account";
import { GATEWAY_SYSCTLS } from "../constructs/wireguard-gateway";
import { useStateBackend } from "../constructs/state-backend";
import type { SiteSettings } from "../lib/input/settings";
import type { NetworkStack } from "./network-stack";

export interface GkeStackProps {
  readonly site: SiteSettings;
  readonly network: NetworkStack;
}

/** What the workloads stack needs to talk to the cluster (cross-stack references). */
export interface ClusterAccess {
  readonly name: string;
  readonly location: string;
  /** The control plane's IP endpoint, without scheme; reachable only from `network.controlPlaneAuthorizedCidrs`. */
  readonly endpoint: string;
  /**
   * The control plane's DNS-based endpoint (`gke-….gke.goog`), without scheme:
   * reachable from anywhere, authorized by IAM (`container.clusters.connect`).
   * The Kubernetes provider and CI connect here (docs/adr/0010). It presents
   * a publicly trusted certificate, not one signed by the cluster CA, so no
   * CA is handed over with it.
   */
  readonly dnsEndpoint: string;
}

/** The GKE cluster: created (zonal Standard), or an existing one read by name when `gke.mode` is `existing`. */
export class GkeStack extends TerraformStack {
  readonly access: ClusterAccess;
  readonly cluster?: GkeCluster;

  constructor(scope: Construct, id: string, props: GkeStackProps) {
    super(scope, id);
    const { site, network } = props;
    useStateBackend(this, site.state, id);
    new GoogleProvider(this, "google", { project: site.gcp.project, region: site.gcp.region });

    if (site.gke.mode === "create" && network.vpc) {
      const nodeAccount = new NodeServiceAccount(this, "node-sa", { project: site.gcp.project, namePrefix: site.namePrefix });
      this.cluster = new GkeCluster(this, "gke", {
        project: site.gcp.project,
        name: site.gke.clusterName,
        zone: site.gcp.zone,
        networkId: network.vpc.network.id,
        subnetId: network.vpc.subnet.id,
        podsRangeName: network.vpc.podsRangeName,
        servicesRangeName: network.vpc.servicesRangeName,
        controlPlaneCidr: site.network.controlPlaneCidr,
        controlPlaneAuthorizedCidrs: site.network.controlPlaneAuthorizedCidrs,
        releaseChannel: site.gke.releaseChannel,
        nodeServiceAccountEmail: nodeAccount.account.email,
        machineType: site.gke.machineType,
        spot: site.gke.spot,
        nodeCount: site.gke.nodeCount,
        deletionProtection: site.gke.deletionProtection,
        allowedUnsafeSysctls: GATEWAY_SYSCTLS,
      });
      const c = this.cluster.cluster;
      this.access = {
        name: c.name,
        location: c.location,
        endpoint: c.endpoint,
        dnsEndpoint: c.controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint,
      };
    } else {
      const existing = new DataGoogleContainerCluster(this, "existing", {
        name: site.gke.clusterName,
        location: site.gke.location ?? site.gcp.zone,
      });
      this.access = {
        name: existing.name,
        location: site.gke.location ?? site.gcp.zone,
        endpoint: existing.endpoint,
        // The cluster must allow external traffic on it (docs/architecture.md, "Using an existing cluster").
        dnsEndpoint: existing.controlPlaneEndpointsConfig.get(0).dnsEndpointConfig.get(0).endpoint,
      };
    }

    new TerraformOutput(this, "cluster_name", { value: this.access.name });
    new TerraformOutput(this, "cluster_location", { value: this.access.location });
    new TerraformOutput(this, "cluster_endpoint", { value: this.access.endpoint, sensitive: true });
    new TerraformOutput(this, "cluster_dns_endpoint", {
      value: this.access.dnsEndpoint,
      sensitive: true,
      description: "The control plane's DNS-based endpoint (IAM: container.clusters.connect), which CI and the Kubernetes provider use",
    });
  }
}
