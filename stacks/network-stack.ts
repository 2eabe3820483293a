import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ComputeAddress } from "@cdktf/provider-google/lib/compute-address";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { BootVpc } from "../constructs/boot-vpc";
import { useStateBackend } from "../constructs/state-backend";
import type { SiteSettings } from "../lib/input/settings";
import { prefixedName } from "../lib/input/gcp-names";

export interface NetworkStackProps {
  readonly site: SiteSettings;
}

/** GCP network: VPC, subnet, Cloud NAT (when we create the cluster), and the WireGuard endpoint's static IP. */
export class NetworkStack extends TerraformStack {
  /** Undefined when the site uses an existing cluster (and so its network). */
  readonly vpc?: BootVpc;
  readonly wireguardAddress: ComputeAddress;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id);
    const { site } = props;
    useStateBackend(this, site.state, id);
    new GoogleProvider(this, "google", { project: site.gcp.project, region: site.gcp.region });

    if (site.gke.mode === "create") {
      this.vpc = new BootVpc(this, "vpc", {
        namePrefix: site.namePrefix,
        region: site.gcp.region,
        nodesCidr: site.network.nodesCidr,
        podsCidr: site.network.podsCidr,
        servicesCidr: site.network.servicesCidr,
      });
    }

    // Regional and external: GKE's passthrough NLB takes it by name
    // (networking.gke.io/load-balancer-ip-addresses).
    this.wireguardAddress = new ComputeAddress(this, "wireguard-endpoint", {
      name: prefixedName(site.namePrefix, "wireguardAddress"),
      region: site.gcp.region,
      addressType: "EXTERNAL",
      networkTier: "PREMIUM",
      description: `WireGuard endpoint of the netboot gateway (UDP ${site.wireguard.listenPort}, home IPs only)`,
    });

    new TerraformOutput(this, "wireguard_endpoint_ip", {
      value: this.wireguardAddress.address,
      description: `Public IP the home router's WireGuard peer connects to (Endpoint = <ip>:${site.wireguard.listenPort})`,
    });
  }
}
