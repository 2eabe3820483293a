import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { MatchboxProvider } from "../.gen/providers/matchbox/provider";
import { MatchboxBootConfig } from "../constructs/matchbox-boot-config";
import { useStateBackend } from "../constructs/state-backend";
import { TalosConfigTemplate } from "../constructs/talos-config-template";
import type { Machine } from "../lib/inventory";
import { bootPlan, talosInstallerImage } from "../lib/matchbox/boot-plan";
import type { NetbootSite } from "../lib/site";
import type { MatchboxApiAccess } from "./boot-server-stack";

export interface MatchboxConfigStackProps {
  readonly site: NetbootSite;
  readonly machines: readonly Machine[];
  /** Endpoint and client TLS exported by the boot-server stack. */
  readonly api: MatchboxApiAccess;
}

/** Matchbox profiles (Talos roles, maintenance, rescue) and one MAC group per machine, from the inventory. */
export class MatchboxConfigStack extends TerraformStack {
  readonly bootConfig: MatchboxBootConfig;

  constructor(scope: Construct, id: string, props: MatchboxConfigStackProps) {
    super(scope, id);
    const { settings } = props.site;
    useStateBackend(this, settings.state, id);
    new GoogleProvider(this, "google", { project: settings.gcp.project, region: settings.gcp.region });
    new MatchboxProvider(this, "matchbox", {
      endpoint: props.api.endpoint,
      clientCert: props.api.clientCertPem,
      clientKey: props.api.clientKeyPem,
      ca: props.api.caCertPem,
    });

    const installerImage = talosInstallerImage(settings);
    const configs = {
      controlplane: new TalosConfigTemplate(this, "talos-controlplane", { project: settings.gcp.project, secretId: settings.talos.configSecrets.controlplane, installerImage }),
      worker: new TalosConfigTemplate(this, "talos-worker", { project: settings.gcp.project, secretId: settings.talos.configSecrets.worker, installerImage }),
    };
    this.bootConfig = new MatchboxBootConfig(this, "boot", {
      plan: bootPlan(settings, props.machines),
      talosConfigs: { controlplane: configs.controlplane.template, worker: configs.worker.template },
    });
  }
}
