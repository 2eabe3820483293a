// Upgrading a deployment from the one-resource-per-profile layout (netboot 0.1)
// to one for_each resource per kind (docs/adr/0014): the real Terraform CLI
// applies the fixture site's matchbox-config stack as 0.1 synthesized it
// (test/fixtures/migration/matchbox-config-0.1.json, written by 0.1's code),
// then plans today's stack from that state. Every profile and group must move
// to its instance and none be destroyed: a destroyed profile or group deletes
// the file Matchbox serves, and the machine gets a 404 until the next apply.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadNetbootSite } from "../../lib/input/site";
import { BOOT_REPORT_MAC_ARG, bootReportKernelArgs } from "../../lib/model/boot-reports";
import { PROFILE_NAMES } from "../../lib/model/matchbox/boot-plan";
import { FIXTURES } from "../support/site";
import { applyApp, FIXTURE_SITE_FILE, matchboxStoreFromEvaluated, siteStubs, type AppliedApp } from "../support/terraform-app";
import { evaluatedValues, mustTerraform, providerlessStack, terraformMissing, writeStandIn, type StackJson } from "../support/terraform-standin";

const missing = terraformMissing();
const SLOW = 240_000;
const STACK = "matchbox-config";
const MATCHBOX_TYPES = ["matchbox_profile", "matchbox_group"];

interface Change {
  readonly address: string;
  readonly previous_address?: string;
  readonly type: string;
  readonly change: { readonly actions: string[] };
}

if (missing) {
  if (process.env.REQUIRE_E2E) {
    test("the Terraform CLI is required (REQUIRE_E2E is set)", () => {
      throw new Error(`the migration test needs the Terraform CLI: ${missing}`);
    });
  } else {
    test.skip(`SKIPPED: ${missing} — upgrading from the 0.1 layout moves every Matchbox profile and group`, () => {});
  }
} else {
  describe("upgrading a deployment of the 0.1 layout (one resource per profile and group)", () => {
    const site = loadNetbootSite(FIXTURE_SITE_FILE);
    const old: StackJson = JSON.parse(readFileSync(join(FIXTURES, "migration/matchbox-config-0.1.json"), "utf8"));
    let app: AppliedApp;
    let current: StackJson;

    /** The stand-in's planned changes to Matchbox objects when `config` is planned from the 0.1 state. */
    const planFrom = (config: StackJson, name: string): Change[] => {
      writeStandIn(app.dir(STACK), providerlessStack(config, { stateDir: join(app.root, "state"), stub: siteStubs(site) }));
      mustTerraform(app.dir(STACK), ["plan", "-input=false", "-lock=false", "-no-color", `-out=${name}`]);
      const plan = JSON.parse(mustTerraform(app.dir(STACK), ["show", "-json", "-no-color", name]));
      // The stand-in names a resource terraform_data.<type>__<name>.
      return (plan.resource_changes as any[])
        .map((c) => ({ ...c, type: String(c.name).split("__")[0] }))
        .filter((c) => MATCHBOX_TYPES.includes(c.type));
    };

    beforeAll(() => {
      app = applyApp(site, { edit: (stack, json) => (stack === STACK ? old : json) });
      current = app.synthesized[STACK];
    }, SLOW);

    test("the 0.1 stack applied: its profiles and groups are in state under their per-profile addresses", () => {
      for (const type of MATCHBOX_TYPES) expect(Object.keys(app.evaluated[STACK].resource[type]).length).toBe(Object.keys(old.resource[type]).length);
    });

    test("without moved blocks the plan would destroy every 0.1 profile and group (what the moved blocks prevent)", () => {
      const { moved: _moved, ...withoutMoves } = current;
      const changes = planFrom(withoutMoves, "without-moves.plan");
      const deleted = changes.filter((c) => c.change.actions.includes("delete"));
      expect(deleted).toHaveLength(Object.keys(old.resource.matchbox_profile).length + Object.keys(old.resource.matchbox_group).length);
    }, SLOW);

    test("today's stack moves every profile and group to its instance and destroys or creates none", () => {
      const changes = planFrom(current, "upgrade.plan");
      const expected = MATCHBOX_TYPES.flatMap((type) => Object.keys(old.resource[type]).map((name) => `terraform_data.${type}__${name}`)).sort();
      expect(changes.map((c) => c.previous_address).sort()).toEqual(expected);
      // The stand-in plans an update where values are unknown until apply: its
      // Talos data sources are terraform_data resources at new addresses, where
      // real data sources are read during the plan. The real provider replaces
      // on any change (every attribute forces replacement), so the next test
      // checks after apply that every value is the same.
      for (const c of changes) expect({ address: c.address, actions: c.change.actions }).toEqual({ address: c.address, actions: [expect.stringMatching(/^(no-op|update)$/)] });
    }, SLOW);

    test("after the upgrade Matchbox holds every profile and group as before, plus only the boot-report arguments and documents added since 0.1 (names hash all of their content)", () => {
      const before = matchboxStoreFromEvaluated(app.evaluated[STACK]);
      mustTerraform(app.dir(STACK), ["apply", "-auto-approve", "-input=false", "-lock=false", "-no-color", "upgrade.plan"]);
      const after = matchboxStoreFromEvaluated(evaluatedValues(app.dir(STACK), current));
      const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
      expect(before.profiles).toHaveLength(Object.keys(old.resource.matchbox_profile).length);
      // What 0.1 did not have (issue 22): every Talos profile's two report arguments and each config's
      // EventSinkConfig and KmsgLogConfig documents; (issue 23) the maintenance profile's MAC argument,
      // last. Without them, and without the content-hash suffix of the names they change, everything
      // is exactly as before.
      const reportArgs = bootReportKernelArgs(site.settings);
      for (const p of after.profiles.filter((p: any) => p.name.startsWith("talos-"))) expect(p.args.filter((a: string) => reportArgs.includes(a))).toEqual(reportArgs);
      const maintenance = after.profiles.filter((p: any) => p.name.startsWith(`${PROFILE_NAMES.maintenance}-`));
      expect(maintenance.map((p: any) => p.args.at(-1))).toEqual([BOOT_REPORT_MAC_ARG]);
      const added = [...reportArgs, BOOT_REPORT_MAC_ARG];
      const unhashed = (name: string) => name.replace(/-[0-9a-f]{10}$/, "");
      const withoutReports = (p: any) => ({
        ...p,
        name: unhashed(p.name),
        args: p.args.filter((a: string) => !added.includes(a)),
        ...(typeof p.generic_config === "string"
          ? { generic_config: p.generic_config.replace(/\n---\napiVersion: v1alpha1\nkind: EventSinkConfig\nendpoint: [^\n]+\n---\napiVersion: v1alpha1\nkind: KmsgLogConfig\nname: netboot-boot-reports\nurl: [^\n]+/, "") }
          : {}),
      });
      const group = (g: any) => ({ ...g, name: unhashed(g.name), profile: unhashed(g.profile) });
      expect(byName(after.profiles.map(withoutReports))).toEqual(byName(before.profiles.map((p: any) => ({ ...p, name: unhashed(p.name) }))));
      expect(byName(after.groups.map(group))).toEqual(byName(before.groups.map(group)));
    }, SLOW);
  });
}
