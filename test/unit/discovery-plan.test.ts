// Discovery (site discovery.enabled, docs/adr/0019) in the boot plan, the
// synthesized matchbox-config stack and Matchbox's selection as the project
// models it. The Go stand-in (test/terraform/stacks.test.ts) and the firmware
// test (test/e2e/firmware-boot.test.ts) check the same precedence against
// Matchbox v0.11.0's own rules and real iPXE.
import { Testing } from "cdktf";
import type { NetbootSite } from "../../lib/input/site";
import { BOOT_REPORT_MAC_ARG } from "../../lib/model/boot-reports";
import { ABSENT_PROFILE, bootPlan, DISCOVERY_GROUP, PROFILE_NAMES } from "../../lib/model/matchbox/boot-plan";
import { formatPreview, plannedMatchboxStore, previewBoot } from "../../lib/model/matchbox/preview";
import { selectGroup } from "../../lib/model/matchbox/selection";
import { addNetbootStacks } from "../../stacks";
import { bootView, diffBootViews } from "../../lib/commands/boot-diff";
import { fixtureSiteFrom } from "../support/site";
import { resources, synthJson } from "../support/synth";

const off = fixtureSiteFrom();
const explicitlyOff = fixtureSiteFrom((s) => (s.discovery = { enabled: false }));
const on = fixtureSiteFrom((s) => (s.discovery = { enabled: true }));
const stackText = (site: NetbootSite) => JSON.stringify(synthJson(addNetbootStacks(Testing.app(), site).matchboxConfig), null, 2);
const groupsOf = (site: NetbootSite) => {
  const all = Object.values<any>(resources(JSON.parse(stackText(site)), "matchbox_group"));
  expect(all).toHaveLength(1);
  return all[0];
};
const UNKNOWN = "02:6e:62:00:00:99";

describe("discovery off (the default)", () => {
  test("the synthesized matchbox-config stack is byte for byte the same with discovery absent or enabled: false (and the snapshot in matchbox-config.test.ts is today's)", () => {
    expect(off.settings.discovery.enabled).toBe(false);
    expect(stackText(explicitlyOff)).toBe(stackText(off));
  });

  test("no catch-all, no group for a disk machine: an unknown MAC and a disk machine get 404", () => {
    const plan = bootPlan(off.settings, off.machines);
    expect(plan.groups.map((g) => g.name)).not.toContain(DISCOVERY_GROUP);
    expect(plan.groups.map((g) => g.name)).not.toContain("fixture-disk");
    const store = plannedMatchboxStore(off);
    expect(selectGroup(store.groups, { mac: UNKNOWN })).toBeUndefined();
    expect(previewBoot(off, store, UNKNOWN)).toMatchObject({ kind: "not-found", reason: expect.stringMatching(/no catch-all group: Matchbox answers 404/) });
  });
});

describe("discovery on", () => {
  const planOff = bootPlan(off.settings, off.machines);
  const plan = bootPlan(on.settings, on.machines);
  const store = plannedMatchboxStore(on);

  test("adds exactly the catch-all (no selector, the maintenance profile, no metadata) and a group for the disk machine naming no profile; profiles and Talos configs are unchanged", () => {
    expect(plan.profiles).toEqual(planOff.profiles);
    expect(plan.talosConfigs).toEqual(planOff.talosConfigs);
    const added = plan.groups.filter((g) => !planOff.groups.some((o) => o.name === g.name));
    expect(added).toEqual([
      { name: "fixture-disk", profile: ABSENT_PROFILE, selector: { mac: "02:6e:62:00:00:05" }, metadata: { name: "fixture-disk", mac: "02:6e:62:00:00:05" } },
      { name: DISCOVERY_GROUP, profile: PROFILE_NAMES.maintenance, selector: {}, metadata: {} },
    ]);
    expect(plan.groups.filter((g) => planOff.groups.some((o) => o.name === g.name))).toEqual(planOff.groups);
    // No profile is (or could be) called ABSENT_PROFILE: every Matchbox profile name ends in a content hash.
    expect(plan.profiles.map((p) => p.name)).not.toContain(ABSENT_PROFILE);
    expect(ABSENT_PROFILE).not.toMatch(/-[0-9a-f]{10}$/);
  });

  test("the maintenance profile the catch-all boots has no talos.config and serves no machine config", () => {
    const maintenance = plan.profiles.find((p) => p.name === PROFILE_NAMES.maintenance)!;
    expect(maintenance.machine).toBeUndefined();
    expect(maintenance.args.filter((a) => a.startsWith("talos.config="))).toEqual([]);
    // The same Talos arguments as an installing machine's profile, less its config URL and its own
    // arguments, and with the MAC argument the receiver reads instead of the config URL's ?mac=.
    const cp2 = plan.profiles.find((p) => p.name === "talos-fixture-cp-2")!;
    expect(maintenance.args).toEqual([...cp2.args.filter((a) => !a.startsWith("talos.config=")), BOOT_REPORT_MAC_ARG]);
  });

  test("the receiver learns a discovered machine's MAC from the maintenance command line as the kernel prints it", () => {
    // What the receiver gets in the kernel log: iPXE expands ${mac:hexhyp} on the kernel line, Linux prints the line.
    const { logFacts } = require("../../constructs/boot-report-receiver/receiver.js") as { logFacts(line: string): { mac?: string } };
    const printed = (args: readonly string[], mac: string) => `Kernel command line: ${args.join(" ").replace(/\$\{mac:hexhyp\}/g, mac.replace(/:/g, "-"))}`;
    const maintenance = plan.profiles.find((p) => p.name === PROFILE_NAMES.maintenance)!;
    expect(logFacts(printed(maintenance.args, "52:54:00:0a:bc:de")).mac).toBe("52:54:00:0a:bc:de");
    // An installing profile's MAC, from its talos.config URL, as before.
    const cp2 = plan.profiles.find((p) => p.name === "talos-fixture-cp-2")!;
    expect(logFacts(printed(cp2.args, "52:54:00:00:00:02")).mac).toBe("52:54:00:00:00:02");
    // Only netboot's own key counts: a look-alike argument names no MAC.
    expect(logFacts("Kernel command line: talos.platform=metal xnetboot.mac=52-54-00-00-00-03").mac).toBeUndefined();
  });

  test("precedence (Matchbox: more selector pairs first): a listed MAC keeps its own group, a disk machine its profile-less group, only an unknown MAC reaches the catch-all", () => {
    const pick = (mac: string) => {
      const g = selectGroup(store.groups, { mac, uuid: "", hostname: "" });
      return g && { group: g.name, profile: g.profile };
    };
    expect(pick("02:6e:62:00:00:01")).toEqual({ group: "fixture-cp-1", profile: "talos-fixture-cp-1" });
    expect(pick("02:6e:62:00:00:03")).toEqual({ group: "fixture-maintenance", profile: PROFILE_NAMES.maintenance });
    expect(pick("02:6e:62:00:00:05")).toEqual({ group: "fixture-disk", profile: ABSENT_PROFILE });
    expect(pick(UNKNOWN)).toEqual({ group: DISCOVERY_GROUP, profile: PROFILE_NAMES.maintenance });
    // Group order does not matter (Matchbox sorts them).
    expect(selectGroup([...store.groups].reverse(), { mac: "02:6e:62:00:00:05" })?.name).toBe("fixture-disk");
  });

  test("boot-preview: an unknown MAC boots maintenance through the catch-all; the disk machine still gets 404, with why", () => {
    const unknown = previewBoot(on, store, UNKNOWN);
    expect(unknown).toMatchObject({ kind: "boot", group: { name: DISCOVERY_GROUP }, profile: { name: PROFILE_NAMES.maintenance, hasGenericConfig: false } });
    const text = formatPreview(unknown, "http://10.99.0.1:8080");
    expect(text).toMatch(/^group {4}_discovery {2}\(no selector: discovery's catch-all, for every MAC no inventory entry has\)$/m);
    expect(text).not.toContain("talos.config=");
    const disk = previewBoot(on, store, "02:6e:62:00:00:05");
    expect(disk).toEqual({ kind: "not-found", mac: "02:6e:62:00:00:05", reason: expect.stringMatching(/^machine "fixture-disk" has boot: disk; with discovery on it has a group that names no profile .*Matchbox answers 404/) });
  });

  test("the stack: the catch-all instance has an empty selector; the disk group names the absent profile literally, the others their profile's Matchbox name", () => {
    const groups = groupsOf(on);
    expect(groups.for_each[DISCOVERY_GROUP]).toMatchObject({ profile: PROFILE_NAMES.maintenance, selector: {}, metadata: {} });
    expect(groups.for_each["fixture-disk"]).toMatchObject({ profile: ABSENT_PROFILE, selector: { mac: "02:6e:62:00:00:05" } });
    expect(groups.profile).toMatch(new RegExp(`^\\$\\{each\\.value\\.profile == "${ABSENT_PROFILE}" \\? "${ABSENT_PROFILE}" : matchbox_profile\\.[^[]+\\[each\\.value\\.profile\\]\\.name\\}$`));
    expect(groupsOf(off).profile).toMatch(/^\$\{matchbox_profile\.[^[]+\[each\.value\.profile\]\.name\}$/);
  });

  test("no moved block for the groups only discovery creates (they had no 0.1 address)", () => {
    const text = stackText(on);
    const moved = (JSON.parse(text).moved ?? []) as { from: string; to: string }[];
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((m) => m.to.includes(DISCOVERY_GROUP) || m.to.includes('"fixture-disk"'))).toEqual([]);
  });
});

describe("boot-diff sees discovery", () => {
  test("turning discovery on is one visible settings change; the disk machine still reads profile disk, and no machine changes", () => {
    const changes = diffBootViews(bootView(off.settings, off.machines), bootView(on.settings, on.machines));
    expect(changes).toEqual([{ kind: "talos", field: "discovery", from: "off", to: "on" }]);
    expect(bootView(on.settings, on.machines).machines.get("fixture-disk")?.profile).toBe("disk");
  });
});
