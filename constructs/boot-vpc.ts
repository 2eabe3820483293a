import { Construct } from "constructs";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { prefixedName } from "../lib/input/gcp-names";

export interface BootVpcProps {
  /** Prefix of every resource name, e.g. `netboot`. */
  readonly namePrefix: string;
  /** GCP region of the subnet, the Cloud Router and Cloud NAT. */
  readonly region: string;
  /** Primary range of the subnet: the GKE nodes. */
  readonly nodesCidr: string;
  /** Secondary range for pod IPs (VPC-native GKE). */
  readonly podsCidr: string;
  /** Secondary range for Service ClusterIPs. */
  readonly servicesCidr: string;
}

/**
 * A custom-mode VPC with one subnet for a VPC-native GKE cluster, private
 * Google access, and Cloud NAT so private nodes can pull images.
 *
 * It adds no firewall rule: the VPC's implied rules deny all ingress, and GKE
 * creates the rules it needs itself (control plane to nodes, the WireGuard
 * LoadBalancer's `loadBalancerSourceRanges`, and its health checks).
 */
export class BootVpc extends Construct {
  readonly network: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  readonly podsRangeName: string;
  readonly servicesRangeName: string;

  constructor(scope: Construct, id: string, props: BootVpcProps) {
    super(scope, id);
    this.podsRangeName = prefixedName(props.namePrefix, "podsRange");
    this.servicesRangeName = prefixedName(props.namePrefix, "servicesRange");

    this.network = new ComputeNetwork(this, "network", {
      name: prefixedName(props.namePrefix, "vpc"),
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
    });

    this.subnet = new ComputeSubnetwork(this, "subnet", {
      name: prefixedName(props.namePrefix, "nodesSubnet"),
      network: this.network.id,
      region: props.region,
      ipCidrRange: props.nodesCidr,
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: this.podsRangeName, ipCidrRange: props.podsCidr },
        { rangeName: this.servicesRangeName, ipCidrRange: props.servicesCidr },
      ],
      logConfig: { aggregationInterval: "INTERVAL_5_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    });

    const router = new ComputeRouter(this, "router", {
      name: prefixedName(props.namePrefix, "router"),
      network: this.network.id,
      region: props.region,
    });

    new ComputeRouterNat(this, "nat", {
      name: prefixedName(props.namePrefix, "nat"),
      router: router.name,
      region: props.region,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: this.subnet.id, sourceIpRangesToNat: ["ALL_IP_RANGES"] }],
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
  }
}
