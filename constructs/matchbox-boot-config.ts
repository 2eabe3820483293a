import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Group } from "../.gen/providers/matchbox/group";
import { Profile } from "../.gen/providers/matchbox/profile";
import type { BootPlan } from "../lib/model/matchbox/boot-plan";
import { terraformLiteral, terraformLiteralMap } from "../lib/model/terraform-strings";

export interface MatchboxBootConfigProps {
  /** The profiles and groups to create (bootPlan in lib/model/matchbox/boot-plan.ts). */
  readonly plan: BootPlan;
  /**
   * Per installing machine: its Talos config for `/generic` (a Terraform expression),
   * keyed by machine name; a profile whose machine has no entry throws.
   */
  readonly genericConfigs: Readonly<Record<string, string>>;
}

/** Hex digits of the content hash in every profile and group name. */
export const NAME_HASH_LENGTH = 10;

/** Strips the content hash from a name Matchbox holds: `talos-cp-1-0123456789` → `talos-cp-1`. */
export function logicalName(stored: string): string {
  return stored.replace(new RegExp(`-[0-9a-f]{${NAME_HASH_LENGTH}}$`), "");
}

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, NAME_HASH_LENGTH);

/**
 * Matchbox profiles and groups through the Matchbox provider. Every attribute
 * of both forces replacement, and Matchbox stores them by name, so each name
 * ends in a hash of its content and both are created before the old ones are
 * destroyed: a change never leaves a window in which a machine gets a 404.
 * Construct ids come from profile and machine names, so adding a machine adds
 * exactly its own resources to the plan.
 */
export class MatchboxBootConfig extends Construct {
  readonly profiles: Record<string, Profile> = {};
  readonly groups: Record<string, Group> = {};

  constructor(scope: Construct, id: string, props: MatchboxBootConfigProps) {
    super(scope, id);
    for (const spec of props.plan.profiles) {
      const generic = spec.machine ? props.genericConfigs[spec.machine] : undefined;
      if (spec.machine && generic === undefined) throw new Error(`profile ${spec.name}: no Talos config for machine ${spec.machine}`);
      const boot = hash(JSON.stringify([spec.kernel, spec.initrd, spec.args]));
      // The generated config is known only at apply time: its hash joins the name there.
      // A SHA-256 of the config reveals nothing of it, so the name need not be sensitive.
      // Terraform expressions as strings rather than cdktf's Fn tokens, which cost
      // seconds for 1,000 machines; names are DNS labels and hashes hex, so nothing needs escaping.
      const name = generic === undefined ? terraformLiteral(`${spec.name}-${boot}`) : `${spec.name}-\${substr(nonsensitive(sha256("${boot}\\n${generic}")), 0, ${NAME_HASH_LENGTH})}`;
      this.profiles[spec.name] = new Profile(this, `profile-${spec.name}`, {
        name,
        kernel: terraformLiteral(spec.kernel),
        initrd: spec.initrd.map(terraformLiteral),
        args: spec.args.map(terraformLiteral),
        genericConfig: generic,
        lifecycle: { createBeforeDestroy: true },
      });
    }
    for (const spec of props.plan.groups) {
      const profile = this.profiles[spec.profile];
      if (!profile) throw new Error(`group ${spec.name}: its profile ${spec.profile} is not in the boot plan`);
      // The group's own content is known at synth time; the profile's name may not be.
      const content = hash(JSON.stringify([spec.selector, spec.metadata]));
      const profileName = `${profile.terraformResourceType}.${profile.friendlyUniqueId}.name`;
      this.groups[spec.name] = new Group(this, `group-${spec.name}`, {
        name: `${spec.name}-\${substr(sha256("\${${profileName}}\\n${content}"), 0, ${NAME_HASH_LENGTH})}`,
        profile: profile.name,
        selector: terraformLiteralMap(spec.selector),
        metadata: terraformLiteralMap(spec.metadata),
        lifecycle: { createBeforeDestroy: true },
      });
    }
  }
}
