import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { DataGoogleSecretManagerSecretVersion } from "@cdktf/provider-google/lib/data-google-secret-manager-secret-version";
import { terraformFnLiteral } from "../lib/terraform-strings";

/**
 * The network interface as a YAML flow sequence rendered by Matchbox's Go
 * template: a static address when the inventory gives one, else DHCP, on the
 * NIC with the machine's MAC. Every key it uses is in every group's metadata
 * (possibly empty), because Matchbox renders with missingkey=error.
 */
export const INTERFACES_TEMPLATE =
  '{{if .address_cidr}}[{"deviceSelector": {"hardwareAddr": "{{.mac}}"}, "dhcp": false, "addresses": ["{{.address_cidr}}"], "routes": [{"network": "0.0.0.0/0", "gateway": "{{.gateway}}"}]}]' +
  '{{else}}[{"deviceSelector": {"hardwareAddr": "{{.mac}}"}, "dhcp": true}]{{end}}';
const INTERFACES_PLACEHOLDER = "__NETBOOT_INTERFACES__";
/** `{{` in the stored config would start a Go template action; this writes a literal `{{`. */
export const GO_TEMPLATE_LITERAL_BRACES = '{{"{{"}}';

export interface TalosConfigTemplateProps {
  readonly project: string;
  /** Secret Manager secret holding the role's config from `talosctl gen config`. */
  readonly secretId: string;
  /** Image Factory installer, set as machine.install.image. */
  readonly installerImage: string;
}

/**
 * A Talos machine config for one role, as a Matchbox `/generic` template: the
 * role's config read from Secret Manager (never from git), with hostname,
 * install disk and network filled per machine from the group's metadata.
 * The secret is read by Terraform and so is in the state (which must be
 * access-controlled), but never in the synthesized output.
 */
export class TalosConfigTemplate extends Construct {
  /** The template (a Terraform expression) for matchbox_profile.generic_config. */
  readonly template: string;

  constructor(scope: Construct, id: string, props: TalosConfigTemplateProps) {
    super(scope, id);
    const secret = new DataGoogleSecretManagerSecretVersion(this, "secret", { project: props.project, secret: props.secretId, version: "latest" });
    // Talos configs may hold several YAML documents; only the first (v1alpha1) is patched.
    const docs = new TerraformLocal(this, "documents", Fn.split("\n---\n", Fn.replace(Fn.trimprefix(secret.secretData, "---\n"), "{{", terraformFnLiteral(GO_TEMPLATE_LITERAL_BRACES))));
    const main = new TerraformLocal(this, "main-document", Fn.yamldecode(Fn.element(docs.asList, 0)));
    const machine = Fn.lookup(main.asAnyMap, "machine", {});
    const patched = Fn.merge([
      main.asAnyMap,
      {
        machine: Fn.merge([
          machine,
          {
            install: Fn.merge([Fn.lookup(machine, "install", {}), { disk: "{{.install_disk}}", image: terraformFnLiteral(props.installerImage) }]),
            network: Fn.merge([Fn.lookup(machine, "network", {}), { hostname: "{{.hostname}}", interfaces: INTERFACES_PLACEHOLDER }]),
          },
        ]),
      },
    ]);
    const first = Fn.replace(Fn.yamlencode(patched), terraformFnLiteral(`"${INTERFACES_PLACEHOLDER}"`), terraformFnLiteral(INTERFACES_TEMPLATE));
    this.template = Fn.join("\n---\n", Fn.concat([[first], Fn.slice(docs.asList, 1, Fn.lengthOf(docs.asList))]));
  }
}
