// A thousand machines, end to end through the real programs: the real entry
// point synthesizes them (as `cdktf synth` runs cdktf.json's app), and the real
// Terraform CLI validates the matchbox-config stack they produce. How fast is
// `npm run bench`'s business (timings fail on a loaded machine); this checks
// the result. In the terraform project, not the unit project: it takes seconds.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadNetbootSite } from "../../lib/input/site";
import { runApp } from "../support/app-run";
import { fixtureSiteValue } from "../support/site";
import { siteStubs } from "../support/terraform-app";
import { diagnostics, mustTerraform, providerlessStack, terraform, terraformMissing, writeStandIn } from "../support/terraform-standin";
import { repoTempDir } from "../support/files";

const MACHINES = 1000;
const missing = terraformMissing();

test(`${MACHINES} machines synthesize through the real entry point${missing ? "" : " and their matchbox-config stack is valid Terraform"}`, () => {
  const machines = Array.from({ length: MACHINES }, (_, i) => ({
    name: `scale-${i}`,
    mac: `02:5c:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
    role: i < 3 ? "controlplane" : "worker",
  }));
  // Inside the repository, as every data file a site names must be (lib/input/repo-files.ts).
  const dir = repoTempDir("scale");
  writeFileSync(join(dir, "machines.yaml"), stringify({ machines }));
  const siteValue = fixtureSiteValue();
  siteValue.matchbox.inventoryFile = join(dir, "machines.yaml");
  writeFileSync(join(dir, "site.yaml"), stringify(siteValue));

  const run = runApp({ SITE_CONFIG: join(dir, "site.yaml") });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const json = JSON.parse(readFileSync(join(run.outdir, "stacks/matchbox-config/cdk.tf.json"), "utf8"));
  // One for_each resource per kind, an instance per machine (docs/adr/0014).
  const instances = (section: Record<string, any>) => {
    expect(Object.keys(section)).toHaveLength(1);
    return Object.keys(Object.values<any>(section)[0].for_each);
  };
  expect(instances(json.resource.matchbox_group)).toHaveLength(MACHINES);
  expect(instances(json.data.talos_machine_configuration)).toHaveLength(MACHINES);
  // One profile per installing machine, plus the shared maintenance (and, when configured, rescue) profile.
  expect(instances(json.resource.matchbox_profile)).toHaveLength(MACHINES + (siteValue.rescue ? 2 : 1));
  // A moved block from each profile's and group's former address, none twice.
  const moved = (json.moved as { from: string; to: string }[]).map((m) => m.from);
  expect(new Set(moved).size).toBe(moved.length);
  expect(moved).toHaveLength(2 * MACHINES + (siteValue.rescue ? 2 : 1));

  if (missing) {
    if (process.env.REQUIRE_E2E) throw new Error(`terraform validate of the ${MACHINES}-machine stack needs the Terraform CLI: ${missing}`);
    process.stdout.write(`SKIPPED part: terraform validate of the ${MACHINES}-machine stack — ${missing}\n`);
    return;
  }
  const standIn = join(dir, "standin");
  writeStandIn(standIn, providerlessStack(json, { stub: siteStubs(loadNetbootSite(join(dir, "site.yaml"))) }));
  mustTerraform(standIn, ["init", "-backend=false", "-input=false", "-no-color"]);
  const validate = terraform(standIn, ["validate", "-json", "-no-color"]);
  expect(JSON.parse(validate.stdout).valid === true ? "valid" : diagnostics(`${validate.stdout}\n${validate.stderr}`)).toBe("valid");
}, 120_000);
