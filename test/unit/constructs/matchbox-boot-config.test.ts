import { createHash } from "node:crypto";
import { logicalName, MatchboxBootConfig, NAME_HASH_LENGTH, type MatchboxBootConfigProps } from "../../../constructs/matchbox-boot-config";
import type { BootPlan, GroupSpec, ProfileSpec } from "../../../lib/model/matchbox/boot-plan";
import { build, ref, resourceTypes, resourcesOf, type Built, type Json } from "./support";

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
// What TalosMachineConfigs hands over: a Terraform expression per installing machine.
const GENERIC = { "fixture-cp-1": '${replace(data.talos_machine_configuration.cp1.machine_configuration, "{{", "{{\\"{{\\"}}")}' };

const synth = (props: Partial<MatchboxBootConfigProps> = {}): Built<MatchboxBootConfig> =>
  build((scope) => new MatchboxBootConfig(scope, "boot", { plan: PLAN, genericConfigs: GENERIC, ...props }));

const hash10 = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, NAME_HASH_LENGTH);
const profileJson = (built: Built<MatchboxBootConfig>, name: string) => built.json.resource.matchbox_profile[built.construct.profiles[name].friendlyUniqueId];
const groupJson = (built: Built<MatchboxBootConfig>, name: string) => built.json.resource.matchbox_group[built.construct.groups[name].friendlyUniqueId];

describe("MatchboxBootConfig", () => {
  let fixture: Built<MatchboxBootConfig>;
  beforeAll(() => {
    fixture = synth();
  });

  test("GIVEN a plan THEN one Matchbox profile per plan profile and one group per plan group, and nothing else", () => {
    expect(resourceTypes(fixture.json)).toEqual(["matchbox_group", "matchbox_profile"]);
    expect(Object.keys(fixture.construct.profiles)).toEqual(["talos-fixture-cp-1", "talos-maintenance", "rescue"]);
    expect(Object.keys(fixture.construct.groups)).toEqual(["fixture-cp-1", "fixture-maintenance", "fixture-rescue"]);
    expect(resourcesOf(fixture.json, "matchbox_profile")).toHaveLength(3);
    expect(resourcesOf(fixture.json, "matchbox_group")).toHaveLength(3);
  });

  test("GIVEN a profile without a machine THEN its name is <name>-<hash of kernel, initrd, args>, and its values are escaped for Terraform", () => {
    expect(profileJson(fixture, "rescue")).toEqual({
      name: `rescue-${hash10([RESCUE.kernel, RESCUE.initrd, RESCUE.args])}`,
      kernel: "/assets/rescue/vmlinuz",
      initrd: ["/assets/rescue/initrd.img"],
      // Terraform reads $${ as a literal ${ and %%{ as %{: Matchbox gets the arguments as written.
      args: ["initrd=initrd.img", "boot=live", "netboot.mac=$${net0/mac:hexhyp}", "netboot.literal=%%{not_a_directive}"],
      lifecycle: { create_before_destroy: true },
    });
    const maintenance = profileJson(fixture, "talos-maintenance");
    expect(maintenance.name).toBe(`talos-maintenance-${hash10([KERNEL, INITRD, TALOS_ARGS])}`);
    expect(maintenance.generic_config).toBeUndefined();
    expect(logicalName(maintenance.name)).toBe("talos-maintenance");
  });

  test("GIVEN genericConfigs for a machine's profile THEN it serves that config, and its name hashes boot values and config at apply time", () => {
    const boot = hash10([CP1.kernel, CP1.initrd, CP1.args]);
    expect(profileJson(fixture, "talos-fixture-cp-1")).toEqual({
      name: `talos-fixture-cp-1-\${substr(nonsensitive(sha256("${boot}\\n${GENERIC["fixture-cp-1"]}")), 0, 10)}`,
      kernel: KERNEL,
      initrd: INITRD,
      args: [...TALOS_ARGS, "console=ttyS1,115200n8", "talos.config=http://10.99.0.1:8080/generic?mac=$${mac:hexhyp}"],
      generic_config: GENERIC["fixture-cp-1"],
      lifecycle: { create_before_destroy: true },
    });
  });

  test("GIVEN a machine's profile without its genericConfigs entry THEN construction throws, naming profile and machine", () => {
    expect(() => synth({ genericConfigs: {} })).toThrow("profile talos-fixture-cp-1: no Talos config for machine fixture-cp-1");
    expect(() => synth({ genericConfigs: { "fixture-cp-2": "${x}" } })).toThrow("profile talos-fixture-cp-1: no Talos config for machine fixture-cp-1");
  });

  test("GIVEN groups THEN each selects its MAC, points at its profile's name, carries its metadata, and is named <name>-<hash>", () => {
    const profile = fixture.construct.profiles["talos-fixture-cp-1"];
    const profileName = ref(profile, "name");
    expect(groupJson(fixture, "fixture-cp-1")).toEqual({
      name: `fixture-cp-1-\${substr(sha256("${profileName}\\n${hash10([{ mac: "02:6e:62:00:00:01" }, { name: "fixture-cp-1", mac: "02:6e:62:00:00:01" }])}"), 0, 10)}`,
      profile: profileName,
      selector: { mac: "02:6e:62:00:00:01" },
      metadata: { name: "fixture-cp-1", mac: "02:6e:62:00:00:01" },
      lifecycle: { create_before_destroy: true },
    });
    expect(groupJson(fixture, "fixture-rescue").profile).toBe(ref(fixture.construct.profiles.rescue, "name"));
    expect(groupJson(fixture, "fixture-maintenance").profile).toBe(ref(fixture.construct.profiles["talos-maintenance"], "name"));
  });

  test("GIVEN metadata with template syntax THEN it is escaped for Terraform", () => {
    const plan: BootPlan = { ...PLAN, groups: [{ name: "m", profile: "rescue", selector: { mac: "02:6e:62:00:00:06" }, metadata: { note: "${x} %{y}" } }] };
    expect(resourcesOf(synth({ plan }).json, "matchbox_group")[0].metadata).toEqual({ note: "$${x} %%{y}" });
  });

  test("GIVEN changed kernel arguments THEN the profile gets a new name (Matchbox stores by name; created before the old one is destroyed)", () => {
    const changed = synth({ plan: { ...PLAN, profiles: [CP1, MAINTENANCE, { ...RESCUE, args: [...RESCUE.args, "quiet"] }] } });
    expect(profileJson(changed, "rescue").name).not.toBe(profileJson(fixture, "rescue").name);
    expect(profileJson(changed, "rescue").name).toBe(`rescue-${hash10([RESCUE.kernel, RESCUE.initrd, [...RESCUE.args, "quiet"]])}`);
    // The same content gives the same name: re-synthesizing changes nothing.
    expect(profileJson(synth(), "rescue").name).toBe(profileJson(fixture, "rescue").name);
  });

  test("GIVEN one more machine THEN exactly its profile and group are added; every existing resource is unchanged", () => {
    const cp2: ProfileSpec = { ...CP1, name: "talos-fixture-cp-2", machine: "fixture-cp-2" };
    const bigger = synth({
      plan: { ...PLAN, profiles: [...PLAN.profiles, cp2], groups: [...PLAN.groups, group("fixture-cp-2", "talos-fixture-cp-2", "02:6e:62:00:00:02")] },
      genericConfigs: { ...GENERIC, "fixture-cp-2": "${data.x.cp2}" },
    });
    const entries = (json: Json, type: string) => json.resource[type] as Record<string, unknown>;
    for (const type of ["matchbox_profile", "matchbox_group"]) {
      const before = entries(fixture.json, type);
      const after = entries(bigger.json, type);
      expect(Object.keys(after).filter((id) => !(id in before))).toHaveLength(1);
      for (const [id, value] of Object.entries(before)) expect(after[id]).toEqual(value);
    }
  });

  test("GIVEN a group whose profile is not in the plan THEN construction fails naming the group and the profile", () => {
    const plan: BootPlan = { ...PLAN, groups: [group("orphan", "no-such-profile", "02:6e:62:00:00:09")] };
    expect(() => synth({ plan })).toThrow("group orphan: its profile no-such-profile is not in the boot plan");
  });

  test("logicalName strips exactly the content hash", () => {
    expect(logicalName("talos-cp-1-0123456789")).toBe("talos-cp-1");
    expect(logicalName("talos-cp-1")).toBe("talos-cp-1");
    expect(logicalName("talos-cp-1-012345678")).toBe("talos-cp-1-012345678");
    expect(logicalName("talos-cp-1-0123456789ab")).toBe("talos-cp-1-0123456789ab");
  });
});
