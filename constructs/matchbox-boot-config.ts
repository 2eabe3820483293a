import { Construct } from "constructs";
import { Group } from "../.gen/providers/matchbox/group";
import { Profile } from "../.gen/providers/matchbox/profile";
import type { BootPlan } from "../lib/matchbox/boot-plan";
import { terraformLiteral, terraformLiteralMap } from "../lib/terraform-strings";

export interface MatchboxBootConfigProps {
  readonly plan: BootPlan;
  /** Matchbox `/generic` templates (Terraform expressions) per Talos role. */
  readonly talosConfigs: Readonly<Record<"controlplane" | "worker", string>>;
}

/**
 * Matchbox profiles and groups through the Matchbox provider. Construct ids
 * come from profile and machine names, so adding a machine adds exactly one
 * group to the plan and touches nothing else.
 */
export class MatchboxBootConfig extends Construct {
  readonly profiles: Record<string, Profile> = {};
  readonly groups: Record<string, Group> = {};

  constructor(scope: Construct, id: string, props: MatchboxBootConfigProps) {
    super(scope, id);
    for (const spec of props.plan.profiles) {
      this.profiles[spec.name] = new Profile(this, `profile-${spec.name}`, {
        name: terraformLiteral(spec.name),
        kernel: terraformLiteral(spec.kernel),
        initrd: spec.initrd.map(terraformLiteral),
        args: spec.args.map(terraformLiteral),
        genericConfig: spec.talosRole ? props.talosConfigs[spec.talosRole] : undefined,
      });
    }
    for (const spec of props.plan.groups) {
      this.groups[spec.name] = new Group(this, `group-${spec.name}`, {
        name: terraformLiteral(spec.name),
        profile: this.profiles[spec.profile].name,
        selector: terraformLiteralMap(spec.selector),
        metadata: terraformLiteralMap(spec.metadata),
      });
    }
  }
}
