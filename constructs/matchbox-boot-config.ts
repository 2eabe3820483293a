import { createHash } from "node:crypto";
import { TerraformIterator, TerraformLocal, Token, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { Group } from "../.gen/providers/matchbox/group";
import { Profile } from "../.gen/providers/matchbox/profile";
import { ABSENT_PROFILE, type BootPlan } from "../lib/model/matchbox/boot-plan";
import { terraformLiteral, terraformLiteralMap } from "../lib/model/terraform-strings";
import { formerLogicalId, MovedAddresses } from "./moved-addresses";
import type { GenericConfigSource } from "./talos-machine-configs";

export interface MatchboxBootConfigProps {
  /** The profiles and groups to create (bootPlan in lib/model/matchbox/boot-plan.ts). */
  readonly plan: BootPlan;
  /** Each installing machine's generated Talos config for `/generic` (TalosMachineConfigs); a profile whose machine has none throws. */
  readonly genericConfigs: GenericConfigSource;
}

/** Hex digits of the content hash in every profile and group name. */
export const NAME_HASH_LENGTH = 10;

/** Strips the content hash from a name Matchbox holds: `talos-cp-1-0123456789` → `talos-cp-1`. */
export function logicalName(stored: string): string {
  return stored.replace(new RegExp(`-[0-9a-f]{${NAME_HASH_LENGTH}}$`), "");
}

/** A resource's address as Terraform expressions and moved blocks write it (cdktf's `fqn` is a token). */
const addressOf = (resource: TerraformResource) => `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;

const hash = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, NAME_HASH_LENGTH);

/** What a profile boots; profiles that boot the same share one entry. */
interface BootValues {
  readonly kernel: string;
  readonly initrd: string[];
  readonly args: string[];
}

/** A profile's values, one `for_each` instance per profile. */
interface ProfileInstance {
  /** The key of its BootValues (a hash of them, part of its name). */
  readonly boot_hash: string;
  /** The machine whose generated config the profile serves; "" for a shared profile (maintenance, rescue). */
  readonly machine: string;
}

/** A group's values, one `for_each` instance per group. */
interface GroupInstance {
  readonly profile: string;
  readonly content_hash: string;
  readonly selector: Record<string, string>;
  readonly metadata: Record<string, string>;
}

/**
 * Matchbox profiles and groups through the Matchbox provider, one `for_each`
 * resource each, keyed by profile and group name (a per-machine resource cost
 * seconds of synth for 1,000 machines: docs/adr/0014). Every attribute of both
 * forces replacement, and Matchbox stores them by name, so each name ends in a
 * hash of its content and both are created before the old ones are destroyed:
 * a change never leaves a window in which a machine gets a 404. Adding a
 * machine adds exactly its own instances to the plan. `moved` blocks carry
 * state from the earlier one-resource-per-profile addresses, whose names were
 * the same, so upgrading moves them instead of replacing them.
 */
export class MatchboxBootConfig extends Construct {
  /** Every profile: an instance per profile name (`matchbox_profile.<id>["talos-cp-1"]`). */
  readonly profiles: Profile;
  /** Kernel, initrd and arguments by boot hash, shared by the profiles that boot alike. */
  readonly bootValues: TerraformLocal;
  /** Every group, an instance per group name; undefined when no machine boots from the network. */
  readonly groups?: Group;

  constructor(scope: Construct, id: string, props: MatchboxBootConfigProps) {
    super(scope, id);
    const bootValues: Record<string, BootValues> = {};
    const profileInstances: Record<string, ProfileInstance> = {};
    for (const spec of props.plan.profiles) {
      if (spec.machine && !props.genericConfigs.machines.has(spec.machine)) throw new Error(`profile ${spec.name}: no Talos config for machine ${spec.machine}`);
      // Instances are keyed by name: a second profile of the same name would silently replace the first.
      if (profileInstances[spec.name]) throw new Error(`profile ${spec.name}: the boot plan has two profiles of this name`);
      const bootHash = hash(JSON.stringify([spec.kernel, spec.initrd, spec.args]));
      bootValues[bootHash] ??= { kernel: terraformLiteral(spec.kernel), initrd: spec.initrd.map(terraformLiteral), args: spec.args.map(terraformLiteral) };
      profileInstances[spec.name] = { boot_hash: bootHash, machine: spec.machine ?? "" };
    }
    // Machines mostly boot alike: each distinct kernel, initrd and command line
    // is written once, and a profile names it by hash (fewer values for a
    // reviewer to read and for cdktf to resolve).
    this.bootValues = new TerraformLocal(this, "boot-values", bootValues);
    const boot = `local.${this.bootValues.friendlyUniqueId}[each.value.boot_hash]`;
    const sharedName = "${each.key}-${each.value.boot_hash}";
    // A machine's own profile serves its generated config, known only at apply
    // time: the config's hash joins its name there. A SHA-256 of the config
    // reveals nothing of it, so the name need not be sensitive. Terraform's
    // conditional evaluates only the branch it takes, so a shared profile never
    // indexes the configs with "". Names are DNS labels and hashes hex: nothing
    // in these expressions needs escaping.
    const installs = props.plan.profiles.some((spec) => spec.machine);
    const generic = installs ? props.genericConfigs.expression("each.value.machine") : undefined;
    const ownName = `"\${each.key}-\${substr(nonsensitive(sha256("\${each.value.boot_hash}\\n\${${generic}}")), 0, ${NAME_HASH_LENGTH})}"`;
    this.profiles = new Profile(this, "profiles", {
      forEach: TerraformIterator.fromMap(profileInstances),
      name: generic ? `\${each.value.machine == "" ? "${sharedName}" : ${ownName}}` : sharedName,
      kernel: `\${${boot}.kernel}`,
      initrd: Token.asList(`\${${boot}.initrd}`),
      args: Token.asList(`\${${boot}.args}`),
      genericConfig: generic && `\${each.value.machine == "" ? null : ${generic}}`,
      lifecycle: { createBeforeDestroy: true },
    });

    const groupInstances: Record<string, GroupInstance> = {};
    for (const spec of props.plan.groups) {
      if (spec.profile !== ABSENT_PROFILE && !profileInstances[spec.profile]) throw new Error(`group ${spec.name}: its profile ${spec.profile} is not in the boot plan`);
      if (groupInstances[spec.name]) throw new Error(`group ${spec.name}: the boot plan has two groups of this name`);
      groupInstances[spec.name] = {
        profile: spec.profile,
        // The group's own content is known at synth time; the profile's name may not be.
        content_hash: hash(JSON.stringify([spec.selector, spec.metadata])),
        selector: terraformLiteralMap(spec.selector),
        metadata: terraformLiteralMap(spec.metadata),
      };
    }
    // A `disk` machine's group under discovery names ABSENT_PROFILE literally: Matchbox answers it 404.
    const storedProfile = `${addressOf(this.profiles)}[each.value.profile].name`;
    const absent = props.plan.groups.some((spec) => spec.profile === ABSENT_PROFILE);
    const profileName = absent ? `each.value.profile == "${ABSENT_PROFILE}" ? "${ABSENT_PROFILE}" : ${storedProfile}` : storedProfile;
    if (props.plan.groups.length > 0) {
      const each = TerraformIterator.fromMap(groupInstances);
      this.groups = new Group(this, "groups", {
        forEach: each,
        name: `\${each.key}-\${substr(sha256("\${${profileName}}\\n\${each.value.content_hash}"), 0, ${NAME_HASH_LENGTH})}`,
        profile: `\${${profileName}}`,
        selector: each.getStringMap("selector"),
        metadata: each.getStringMap("metadata"),
        lifecycle: { createBeforeDestroy: true },
      });
    }

    // netboot 0.1 had one resource per profile (`profile-<name>`) and group (`group-<name>`).
    const moved = new MovedAddresses(this, "moved-from-0.1");
    for (const name of Object.keys(profileInstances)) moved.add({ from: `matchbox_profile.${formerLogicalId(this, `profile-${name}`)}`, to: this.profileAddress(name) });
    // Groups that only discovery creates (the catch-all, a disk machine's) had no 0.1 address.
    const since01 = props.plan.groups.filter((g) => g.selector.mac !== undefined && g.profile !== ABSENT_PROFILE).map((g) => g.name);
    for (const name of since01) moved.add({ from: `matchbox_group.${formerLogicalId(this, `group-${name}`)}`, to: this.groupAddress(name)! });
  }

  /** The resource address of profile `name`'s instance. */
  profileAddress(name: string): string {
    return `${addressOf(this.profiles)}[${JSON.stringify(name)}]`;
  }

  /** The resource address of group `name`'s instance; undefined when there are no groups. */
  groupAddress(name: string): string | undefined {
    return this.groups && `${addressOf(this.groups)}[${JSON.stringify(name)}]`;
  }
}
