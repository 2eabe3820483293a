import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { MatchboxProvider } from "../.gen/providers/matchbox/provider";
import { TalosProvider } from "../.gen/providers/talos/provider";
import { MatchboxBootConfig } from "../constructs/matchbox-boot-config";
import { useStateBackend } from "../constructs/state-backend";
import { TalosMachineConfigs } from "../constructs/talos-machine-configs";
import { controlPlaneAddresses, type Machine } from "../lib/input/inventory";
import { bootPlan } from "../lib/model/matchbox/boot-plan";
import type { NetbootSite } from "../lib/input/site";
import type { MatchboxApiAccess } from "./boot-server-stack";

export interface MatchboxConfigStackProps {
  readonly site: NetbootSite;
  readonly machines: readonly Machine[];
  /** Endpoint and client TLS exported by the boot-server stack. */
  readonly api: MatchboxApiAccess;
}

/**
 * The cluster's Talos secrets and each installing machine's generated config;
 * Matchbox profiles (one per installing machine, maintenance, rescue) and one
 * MAC group per machine, from the inventory.
 */
export class MatchboxConfigStack extends TerraformStack {
  readonly bootConfig: MatchboxBootConfig;

  constructor(scope: Construct, id: string, props: MatchboxConfigStackProps) {
    super(scope, id);
    const { settings } = props.site;
    useStateBackend(this, settings.state, id);
    new MatchboxProvider(this, "matchbox", {
      endpoint: props.api.endpoint,
      clientCert: props.api.clientCertPem,
      clientKey: props.api.clientKeyPem,
      ca: props.api.caCertPem,
    });

    new TalosProvider(this, "talos", {});

    const plan = bootPlan(settings, props.machines);
    const talos = new TalosMachineConfigs(this, "talos-configs", {
      settings: settings.talos,
      configs: plan.talosConfigs,
      patchFiles: props.site.patchFiles,
      controlPlaneAddresses: controlPlaneAddresses(props.machines, settings.talos.cluster.endpoint),
    });
    this.bootConfig = new MatchboxBootConfig(this, "boot", { plan, genericConfigs: talos.genericConfig });
  }
}
