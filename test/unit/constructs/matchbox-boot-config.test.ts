import { createHash } from "node:crypto";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { Group } from "../../../.gen/providers/matchbox/group";
import { Profile } from "../../../.gen/providers/matchbox/profile";
import { logicalName, MatchboxBootConfig, NAME_HASH_LENGTH, type MatchboxBootConfigProps } from "../../../constructs/matchbox-boot-config";
import type { BootPlan, GroupSpec, ProfileSpec } from "../../../lib/model/matchbox/boot-plan";
import { build, onlyOf, resourceTypes, type Built } from "./support";

// A boot plan shaped like the fixture inventory's (test/fixtures/site/machines.yaml):
// one installing machine with its own profile, one in maintenance, one in
// rescue, written out so the test states every value. The arguments carry
// iPXE's `${...}` and a literal `%{...}`, which Terraform must pass through.
const KERNEL = "/assets/talos/v1.13.9/kernel-amd64";
const INITRD = ["/assets/talos/v1.13.9/initramfs-amd64.xz"];
const TALOS_ARGS = ["initrd=initramfs-amd64.xz", "talos.platform=metal", "console=ttyS0,115200n8"];
const CP1: ProfileSpec = {
  name: "talos-fixture-cp-1",
  kernel: KERNEL,
  initrd: INITRD,
  args: [...TALOS_ARGS, "console=ttyS1,115200n8", "talos.config=http://10.99.0.1:8080/generic?mac=${mac:hexhyp}"],
  machine: "fixture-cp-1",
};
const MAINTENANCE: ProfileSpec = { name: "talos-maintenance", kernel: KERNEL, initrd: INITRD, args: TALOS_ARGS };
const RESCUE: ProfileSpec = {
  name: "rescue",
  kernel: "/assets/rescue/vmlinuz",
  initrd: ["/assets/rescue/initrd.img"],
  args: ["initrd=initrd.img", "boot=live", "netboot.mac=${net0/mac:hexhyp}", "netboot.literal=%{not_a_directive}"],
};
const group = (name: string, profile: string, mac: string): GroupSpec => ({ name, profile, selector: { mac }, metadata: { name, mac } });
const PLAN: BootPlan = {
  profiles: [CP1, MAINTENANCE, RESCUE],
  groups: [
    group("fixture-cp-1", "talos-fixture-cp-1", "02:6e:62:00:00:01"),
    group("fixture-maintenance", "talos-maintenance", "02:6e:62:00:00:03"),
    group("fixture-rescue", "rescue", "02:6e:62:00:00:06"),
  ],
  talosConfigs: [],
};
// What TalosMachineConfigs hands over: which machines have a config, and its expression for a machine key.
const generic = (key: string) => `replace(data.talos_machine_configuration.configs[${key}].machine_configuration, "{{", "{{\"{{\"}}")`;
const GENERIC = { machines: new Set(["fixture-cp-1"]), expression: generic };

const synth = (props: Partial<MatchboxBootConfigProps> = {}): Built<MatchboxBootConfig> =>
  build((scope) => new MatchboxBootConfig(scope, "boot", { plan: PLAN, genericConfigs: GENERIC, ...props }));

const hash10 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, NAME_HASH_LENGTH);
const profiles = (built: Built<MatchboxBootConfig>) => onlyOf(built.json, "matchbox_profile");
const groups = (built: Built<MatchboxBootConfig>) => onlyOf(built.json, "matchbox_group");
const bootValues = (built: Built<MatchboxBootConfig>) => built.json.locals[built.construct.bootValues.friendlyUniqueId];
const profilesAddress = (built: Built<MatchboxBootConfig>) => `matchbox_profile.${built.construct.profiles.friendlyUniqueId}`;

describe("MatchboxBootConfig", () => {
  let fixture: Built<MatchboxBootConfig>;
  beforeAll(() => {
    fixture = synth();
  });

  test("GIVEN a plan THEN one profile resource with an instance per plan profile, one group resource with an instance per plan group, and nothing else", () => {
    expect(resourceTypes(fixture.json)).toEqual(["matchbox_group", "matchbox_profile"]);
    // cdktf writes keys sorted.
    expect(Object.keys(profiles(fixture).for_each)).toEqual(["rescue", "talos-fixture-cp-1", "talos-maintenance"]);
    expect(Object.keys(groups(fixture).for_each)).toEqual(["fixture-cp-1", "fixture-maintenance", "fixture-rescue"]);
    expect(profiles(fixture).lifecycle).toEqual({ create_before_destroy: true });
    expect(groups(fixture).lifecycle).toEqual({ create_before_destroy: true });
  });

  test("GIVEN profiles THEN each distinct kernel, initrd and arguments are written once, by their hash, escaped for Terraform", () => {
    expect(bootValues(fixture)).toEqual({
      [hash10([CP1.kernel, CP1.initrd, CP1.args])]: {
        kernel: KERNEL,
        initrd: INITRD,
        args: [...TALOS_ARGS, "console=ttyS1,115200n8", "talos.config=http://10.99.0.1:8080/generic?mac=$${mac:hexhyp}"],
      },
      [hash10([KERNEL, INITRD, TALOS_ARGS])]: { kernel: KERNEL, initrd: INITRD, args: TALOS_ARGS },
      // Terraform reads $${ as a literal ${ and %%{ as %{: Matchbox gets the arguments as written.
      [hash10([RESCUE.kernel, RESCUE.initrd, RESCUE.args])]: {
        kernel: "/assets/rescue/vmlinuz",
        initrd: ["/assets/rescue/initrd.img"],
        args: ["initrd=initrd.img", "boot=live", "netboot.mac=$${net0/mac:hexhyp}", "netboot.literal=%%{not_a_directive}"],
      },
    });
    const boot = `local.${fixture.construct.bootValues.friendlyUniqueId}[each.value.boot_hash]`;
    expect(profiles(fixture)).toMatchObject({ kernel: `\${${boot}.kernel}`, initrd: `\${${boot}.initrd}`, args: `\${${boot}.args}` });
  });

  test("GIVEN a profile without a machine THEN its instance names its boot values and no machine, and its name is <name>-<boot hash>", () => {
    expect(profiles(fixture).for_each.rescue).toEqual({ boot_hash: hash10([RESCUE.kernel, RESCUE.initrd, RESCUE.args]), machine: "" });
    expect(profiles(fixture).for_each["talos-maintenance"]).toEqual({ boot_hash: hash10([KERNEL, INITRD, TALOS_ARGS]), machine: "" });
    expect(profiles(fixture).name).toMatch(/^\$\{each\.value\.machine == "" \? "\$\{each\.key\}-\$\{each\.value\.boot_hash\}" : /);
  });

  test("GIVEN a machine's profile THEN it serves that machine's generated config, and its name hashes boot values and config at apply time", () => {
    expect(profiles(fixture).for_each["talos-fixture-cp-1"]).toEqual({ boot_hash: hash10([CP1.kernel, CP1.initrd, CP1.args]), machine: "fixture-cp-1" });
    expect(profiles(fixture).generic_config).toBe(`\${each.value.machine == "" ? null : ${generic("each.value.machine")}}`);
    expect(profiles(fixture).name).toBe(
      `\${each.value.machine == "" ? "\${each.key}-\${each.value.boot_hash}" : "\${each.key}-\${substr(nonsensitive(sha256("\${each.value.boot_hash}\\n\${${generic("each.value.machine")}}")), 0, 10)}"}`,
    );
  });

  test("GIVEN no installing machine THEN profiles have no generic config and a literal-only name", () => {
    const shared = synth({ plan: { ...PLAN, profiles: [MAINTENANCE, RESCUE], groups: PLAN.groups.slice(1) } });
    expect(profiles(shared).generic_config).toBeUndefined();
    expect(profiles(shared).name).toBe("${each.key}-${each.value.boot_hash}");
  });

  test("GIVEN a machine's profile without a generated config THEN construction throws, naming profile and machine", () => {
    expect(() => synth({ genericConfigs: { machines: new Set(), expression: generic } })).toThrow("profile talos-fixture-cp-1: no Talos config for machine fixture-cp-1");
    expect(() => synth({ genericConfigs: { machines: new Set(["fixture-cp-2"]), expression: generic } })).toThrow(
      "profile talos-fixture-cp-1: no Talos config for machine fixture-cp-1",
    );
  });

  test("GIVEN groups THEN each instance selects its MAC, names its profile, carries its metadata and a hash of them; name and profile come from the profile's instance", () => {
    expect(groups(fixture).for_each["fixture-cp-1"]).toEqual({
      profile: "talos-fixture-cp-1",
      content_hash: hash10([{ mac: "02:6e:62:00:00:01" }, { name: "fixture-cp-1", mac: "02:6e:62:00:00:01" }]),
      selector: { mac: "02:6e:62:00:00:01" },
      metadata: { name: "fixture-cp-1", mac: "02:6e:62:00:00:01" },
    });
    expect(groups(fixture).for_each["fixture-rescue"].profile).toBe("rescue");
    const profileName = `${profilesAddress(fixture)}[each.value.profile].name`;
    expect(groups(fixture)).toMatchObject({
      name: `\${each.key}-\${substr(sha256("\${${profileName}}\\n\${each.value.content_hash}"), 0, 10)}`,
      profile: `\${${profileName}}`,
      selector: "${each.value.selector}",
      metadata: "${each.value.metadata}",
    });
  });

  test("GIVEN metadata with template syntax THEN it is escaped for Terraform", () => {
    const plan: BootPlan = { ...PLAN, groups: [{ name: "m", profile: "rescue", selector: { mac: "02:6e:62:00:00:06" }, metadata: { note: "${x} %{y}" } }] };
    expect(groups(synth({ plan })).for_each.m.metadata).toEqual({ note: "$${x} %%{y}" });
  });

  test("GIVEN changed kernel arguments THEN the profile names other boot values (a new name: Matchbox stores by name; created before the old one is destroyed)", () => {
    const changed = synth({ plan: { ...PLAN, profiles: [CP1, MAINTENANCE, { ...RESCUE, args: [...RESCUE.args, "quiet"] }] } });
    expect(profiles(changed).for_each.rescue.boot_hash).toBe(hash10([RESCUE.kernel, RESCUE.initrd, [...RESCUE.args, "quiet"]]));
    expect(profiles(changed).for_each.rescue.boot_hash).not.toBe(profiles(fixture).for_each.rescue.boot_hash);
    // The same content gives the same values: re-synthesizing changes nothing.
    expect(synth().json).toEqual(fixture.json);
  });

  test("GIVEN one more machine THEN exactly its profile and group instances are added; everything else is unchanged", () => {
    const cp2: ProfileSpec = { ...CP1, name: "talos-fixture-cp-2", machine: "fixture-cp-2" };
    const bigger = synth({
      plan: { ...PLAN, profiles: [...PLAN.profiles, cp2], groups: [...PLAN.groups, group("fixture-cp-2", "talos-fixture-cp-2", "02:6e:62:00:00:02")] },
      genericConfigs: { machines: new Set(["fixture-cp-1", "fixture-cp-2"]), expression: generic },
    });
    for (const of of [profiles, groups]) {
      const { for_each: before, ...restBefore } = of(fixture);
      const { for_each: after, ...restAfter } = of(bigger);
      expect(Object.keys(after).filter((key) => !(key in before))).toEqual([of === profiles ? "talos-fixture-cp-2" : "fixture-cp-2"]);
      for (const [key, value] of Object.entries(before)) expect(after[key]).toEqual(value);
      expect(restAfter).toEqual(restBefore);
    }
    expect(bootValues(bigger)).toEqual(bootValues(fixture));
  });

  test("GIVEN a group whose profile is not in the plan THEN construction fails naming the group and the profile", () => {
    const plan: BootPlan = { ...PLAN, groups: [group("orphan", "no-such-profile", "02:6e:62:00:00:09")] };
    expect(() => synth({ plan })).toThrow("group orphan: its profile no-such-profile is not in the boot plan");
  });

  test("GIVEN two profiles or two groups of one name THEN construction throws, naming it (an instance would silently replace the other)", () => {
    expect(() => synth({ plan: { ...PLAN, profiles: [...PLAN.profiles, { ...RESCUE, args: ["other"] }] } })).toThrow("profile rescue: the boot plan has two profiles of this name");
    expect(() => synth({ plan: { ...PLAN, groups: [...PLAN.groups, group("fixture-cp-1", "rescue", "02:6e:62:00:00:07")] } })).toThrow(
      "group fixture-cp-1: the boot plan has two groups of this name",
    );
  });

  test("GIVEN no machine boots from the network THEN there is no group resource", () => {
    const none = synth({ plan: { ...PLAN, groups: [] } });
    expect(resourceTypes(none.json)).toEqual(["matchbox_profile"]);
    expect(none.construct.groups).toBeUndefined();
    expect(none.construct.groupAddress("fixture-cp-1")).toBeUndefined();
  });

  test("GIVEN profiles and groups THEN a moved block leads from each one's 0.1 address (its own resource at boot/profile-<name>, boot/group-<name>) to its instance", () => {
    // The 0.1 layout, built as 0.1 built it: cdktf names each resource after its construct path.
    const stack = new TerraformStack(Testing.app(), "stack");
    const boot = new Construct(stack, "boot");
    const former = (type: string, id: string) => {
      const element = type === "matchbox_profile" ? new Profile(boot, id, { name: "x", kernel: "k" }) : new Group(boot, id, { name: "x", profile: "p" });
      return `${type}.${element.friendlyUniqueId}`;
    };
    const expected = [
      ...PLAN.profiles.map((p) => ({ from: former("matchbox_profile", `profile-${p.name}`), to: `${profilesAddress(fixture)}[${JSON.stringify(p.name)}]` })),
      ...PLAN.groups.map((g) => ({ from: former("matchbox_group", `group-${g.name}`), to: `matchbox_group.${fixture.construct.groups!.friendlyUniqueId}[${JSON.stringify(g.name)}]` })),
    ];
    expect(fixture.json.moved).toEqual(expected);
    expect(fixture.construct.profileAddress("rescue")).toBe(`${profilesAddress(fixture)}["rescue"]`);
    // The probes that named the old addresses are gone again.
    expect(fixture.construct.node.children.map((c) => c.node.id).sort()).toEqual(["boot-values", "groups", "moved-from-0.1", "profiles"]);
  });

  test("logicalName strips exactly the content hash", () => {
    expect(logicalName("talos-cp-1-0123456789")).toBe("talos-cp-1");
    expect(logicalName("talos-cp-1")).toBe("talos-cp-1");
    expect(logicalName("talos-cp-1-012345678")).toBe("talos-cp-1-012345678");
    expect(logicalName("talos-cp-1-0123456789ab")).toBe("talos-cp-1-0123456789ab");
  });
});
