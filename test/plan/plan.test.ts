/**
 * Plan tests: run real Terraform against the synthesized stacks. They need the
 * Terraform registry (providers are downloaded), so they only run when
 * PLAN_TESTS=1 (the pull-request workflow sets it); otherwise every test is
 * skipped with the reason in its title.
 *
 * - `terraform validate` of every stack in a fresh synth of the tests' fixture site;
 * - `terraform plan` of `network` and `gke` with a placeholder access token and
 *   local state (gke reads a stand-in network state, since nothing is applied);
 * - `terraform providers schema -json` of poseidon/matchbox ~> 0.5 must equal
 *   provider-schemas/matchbox.json, from which the offline bindings in .gen/
 *   are generated (`npm run get`): a difference means the bindings lie.
 * - siderolabs/talos at the exact pin of scripts/get-providers.ts:
 *   provider-schemas/talos.json holds only the subset we use, so every
 *   provider setting, resource, data source and attribute in it (nested ones
 *   too) must exist in the real schema with the same type, nesting and
 *   required/optional/computed/sensitive flags, and no required argument of
 *   the real schema may be missing from it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { REPO_ROOT } from "../../lib/input/settings";
import { FIXTURE_SITE_FILE } from "../support/site";
import { loadNetbootSite } from "../../lib/input/site";
import { mustTerraform, terraform, type TerraformOptions } from "../support/terraform-standin";
import { addNetbootStacks } from "../../stacks";
import { OFFLINE_PROVIDERS } from "../../scripts/get-providers";

const ENABLED = process.env.PLAN_TESTS === "1";
const WHY = "SKIPPED: PLAN_TESTS is not set:";
const REGISTRY = "needs the Terraform registry, which this machine cannot reach";

const MATCHBOX_FQN = "registry.terraform.io/poseidon/matchbox";
const MATCHBOX_CONSTRAINT = "~> 0.5";
const TALOS_FQN = "registry.terraform.io/siderolabs/talos";
const TALOS_SCHEMA_FILE = "provider-schemas/talos.json";
/** The exact pin the bindings were generated for, e.g. { constraint: "siderolabs/talos@= 0.11.0", version: "0.11.0" }. */
const TALOS = OFFLINE_PROVIDERS.find((p) => p.schemaFile === TALOS_SCHEMA_FILE);
const TALOS_CONSTRAINT = TALOS?.constraint.split("@")[1] ?? "(missing from OFFLINE_PROVIDERS)";
// Provider downloads dominate; init of the google provider alone can take a minute.
const SLOW = 15 * 60 * 1000;

/** Shared plugin cache, so the google provider is downloaded once for all stacks. */
const pluginCache = process.env.TF_PLUGIN_CACHE_DIR ?? join(homedir(), ".terraform.d", "plugin-cache");

/** The shared Terraform runner, with provider downloads allowed: the plugin cache, the runner's own CLI config, a long bound. */
const online = (extraEnv: NodeJS.ProcessEnv = {}): TerraformOptions => ({
  env: { TF_PLUGIN_CACHE_DIR: pluginCache, TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE, ...extraEnv },
  timeoutMs: SLOW,
});

/**
 * Paths where two JSON values differ, e.g. `resource_schemas.matchbox_group.block.attributes.name.required: true != undefined`.
 * A plain toEqual() on two large schemas prints a diff too long to read.
 */
function jsonDifferences(a: unknown, b: unknown, path = ""): string[] {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path || "(root)"}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].sort().flatMap((k) => jsonDifferences((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k));
}

/**
 * The parts of a provider schema that the generated bindings come from. Newer
 * Terraform releases add sections (functions, identities, ...) that matchbox
 * does not have; an empty section and a missing one mean the same.
 */
function bindingRelevant(schema: any): Record<string, unknown> {
  return {
    provider: schema?.provider,
    resource_schemas: schema?.resource_schemas ?? {},
    data_source_schemas: schema?.data_source_schemas ?? {},
  };
}

/** The attribute facts the bindings and Terraform's validation depend on; descriptions are left out. */
const ATTRIBUTE_FLAGS = ["required", "optional", "computed", "sensitive", "write_only"] as const;

/** Where the attributes of `ours` (a subset) disagree with `live`, e.g. `...talos_machine_secrets.block.attributes.id.computed: true != undefined`. */
function attributeSubsetDifferences(live: Record<string, any> | undefined, ours: Record<string, any> | undefined, path: string): string[] {
  const out: string[] = [];
  for (const [name, mine] of Object.entries(ours ?? {})) {
    const p = `${path}.${name}`;
    const real = live?.[name];
    if (real === undefined) {
      out.push(`${p}: missing from the real schema`);
      continue;
    }
    if (JSON.stringify(real.type) !== JSON.stringify(mine.type)) out.push(`${p}.type: ${JSON.stringify(real.type)} != ${JSON.stringify(mine.type)}`);
    for (const flag of ATTRIBUTE_FLAGS) {
      if (!!real[flag] !== !!mine[flag]) out.push(`${p}.${flag}: ${JSON.stringify(real[flag])} != ${JSON.stringify(mine[flag])}`);
    }
    if (real.nested_type?.nesting_mode !== mine.nested_type?.nesting_mode) {
      out.push(`${p}.nested_type.nesting_mode: ${JSON.stringify(real.nested_type?.nesting_mode)} != ${JSON.stringify(mine.nested_type?.nesting_mode)}`);
    } else if (mine.nested_type) {
      out.push(...attributeSubsetDifferences(real.nested_type.attributes, mine.nested_type.attributes, `${p}.nested_type.attributes`));
    }
  }
  // An argument the real schema requires but ours lacks: the bindings would let us omit it.
  for (const [name, real] of Object.entries(live ?? {})) {
    if (real?.required && !(name in (ours ?? {}))) out.push(`${path}.${name}: required in the real schema, missing from ours`);
  }
  return out;
}

function blockSubsetDifferences(live: any, ours: any, path: string): string[] {
  const out = attributeSubsetDifferences(live?.attributes, ours?.attributes, `${path}.attributes`);
  for (const [name, mine] of Object.entries<any>(ours?.block_types ?? {})) {
    const p = `${path}.block_types.${name}`;
    const real = live?.block_types?.[name];
    if (real === undefined) {
      out.push(`${p}: missing from the real schema`);
      continue;
    }
    for (const key of ["nesting_mode", "min_items", "max_items"]) {
      if (real[key] !== mine[key]) out.push(`${p}.${key}: ${JSON.stringify(real[key])} != ${JSON.stringify(mine[key])}`);
    }
    out.push(...blockSubsetDifferences(real.block, mine.block, `${p}.block`));
  }
  for (const [name, real] of Object.entries<any>(live?.block_types ?? {})) {
    if ((real?.min_items ?? 0) > 0 && !(name in (ours?.block_types ?? {}))) out.push(`${path}.block_types.${name}: required in the real schema, missing from ours`);
  }
  return out;
}

/**
 * Where a checked-in subset of a provider schema disagrees with the real one:
 * the provider block, and every resource and data source in ours (schema
 * version included). Resources, data sources and optional attributes that
 * ours leaves out are fine; ephemeral resources and functions are ignored
 * (cdktf 0.21 cannot use them).
 */
function schemaSubsetDifferences(live: any, ours: any): string[] {
  const out = blockSubsetDifferences(live?.provider?.block, ours?.provider?.block, "provider.block");
  for (const section of ["resource_schemas", "data_source_schemas"] as const) {
    for (const [type, mine] of Object.entries<any>(ours?.[section] ?? {})) {
      const real = live?.[section]?.[type];
      if (real === undefined) {
        out.push(`${section}.${type}: missing from the real schema`);
        continue;
      }
      if (real.version !== mine.version) out.push(`${section}.${type}.version: ${real.version} != ${mine.version}`);
      out.push(...blockSubsetDifferences(real.block, mine.block, `${section}.${type}.block`));
    }
  }
  return out;
}

if (!ENABLED) {
  test.skip(`${WHY} terraform validate of every synthesized stack ${REGISTRY}`, () => {});
  test.skip(`${WHY} terraform plan of network and gke ${REGISTRY}`, () => {});
  test.skip(`${WHY} comparing poseidon/matchbox ${MATCHBOX_CONSTRAINT} with provider-schemas/matchbox.json ${REGISTRY}`, () => {});
  test.skip(`${WHY} comparing siderolabs/talos ${TALOS_CONSTRAINT} with ${TALOS_SCHEMA_FILE} (subset) ${REGISTRY}`, () => {});
} else {
  describe("plan tests (PLAN_TESTS=1)", () => {
    let root: string;
    let outdir: string;
    let stacks: string[];

    beforeAll(() => {
      mkdirSync(pluginCache, { recursive: true });
      root = mkdtempSync(join(tmpdir(), "netboot-plan-"));
      // The local backend path is ../../../terraform.<stack>.tfstate from
      // cdktf.out/stacks/<stack>, so state lands in `root`, never in the repo.
      outdir = join(root, "cdktf.out");
      const app = new App({ outdir });
      addNetbootStacks(app, loadNetbootSite(FIXTURE_SITE_FILE));
      app.synth();
      stacks = readdirSync(join(outdir, "stacks")).sort();
    });

    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    const stackDir = (stack: string) => join(outdir, "stacks", stack);
    const stackJson = (stack: string) => JSON.parse(readFileSync(join(stackDir(stack), "cdk.tf.json"), "utf8"));

    test(
      "terraform validate accepts every synthesized stack",
      () => {
        expect(stacks).toEqual(expect.arrayContaining(["gke", "network"]));
        const failures: string[] = [];
        for (const stack of stacks) {
          mustTerraform(stackDir(stack), ["init", "-input=false", "-backend=false", "-no-color"], online());
          const r = terraform(stackDir(stack), ["validate", "-json", "-no-color"], online());
          const result = JSON.parse(r.stdout);
          if (!result.valid) failures.push(`${stack}: ${JSON.stringify(result.diagnostics, null, 2)}`);
        }
        expect(failures).toEqual([]);
      },
      SLOW,
    );

    // A token the provider accepts at configure time; creating resources is
    // planned without API calls, and -refresh=false skips reading anything.
    const placeholderCredentials = { GOOGLE_OAUTH_ACCESS_TOKEN: "placeholder-not-a-real-token", GOOGLE_APPLICATION_CREDENTIALS: undefined };

    const planCreates = (stack: string) => {
      mustTerraform(stackDir(stack), ["init", "-input=false", "-no-color"], online(placeholderCredentials));
      const out = mustTerraform(stackDir(stack), ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"], online(placeholderCredentials));
      const m = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(out);
      expect(m).not.toBeNull();
      const expected = Object.values(stackJson(stack).resource ?? {}).reduce<number>((n, byId) => n + Object.keys(byId as object).length, 0);
      // Fresh state: every synthesized resource is created, nothing else happens.
      expect({ add: Number(m![1]), change: Number(m![2]), destroy: Number(m![3]) }).toEqual({ add: expected, change: 0, destroy: 0 });
    };

    test("terraform plan of network creates every resource", () => planCreates("network"), SLOW);

    test(
      "terraform plan of gke, against a stand-in network state",
      () => {
        // gke reads network's outputs through terraform_remote_state; nothing
        // is applied here, so write a state holding placeholder outputs.
        const outputs = Object.keys(stackJson("network").output ?? {});
        const state = {
          version: 4,
          terraform_version: "1.0.0",
          serial: 1,
          lineage: "00000000-0000-0000-0000-000000000000",
          outputs: Object.fromEntries(outputs.map((name) => [name, { value: `projects/placeholder/${name}`, type: "string", sensitive: name.startsWith("cross-stack-output-") }])),
          resources: [],
        };
        writeFileSync(join(root, "terraform.network.tfstate"), JSON.stringify(state));
        planCreates("gke");
      },
      SLOW,
    );

    test(
      `poseidon/matchbox ${MATCHBOX_CONSTRAINT} has exactly the schema in provider-schemas/matchbox.json`,
      () => {
        const dir = join(root, "matchbox-schema");
        mkdirSync(dir);
        writeFileSync(
          join(dir, "main.tf.json"),
          JSON.stringify({ terraform: { required_providers: { matchbox: { source: "poseidon/matchbox", version: MATCHBOX_CONSTRAINT } } } }),
        );
        mustTerraform(dir, ["init", "-input=false", "-no-color"], online());
        const live = JSON.parse(mustTerraform(dir, ["providers", "schema", "-json"], online()));
        const selected = JSON.parse(mustTerraform(dir, ["version", "-json"], online())).provider_selections?.[MATCHBOX_FQN];
        const checkedInFile = join(REPO_ROOT, "provider-schemas/matchbox.json");
        expect(existsSync(checkedInFile)).toBe(true);
        const checkedIn = JSON.parse(readFileSync(checkedInFile, "utf8"));
        expect(Object.keys(checkedIn.provider_schemas)).toEqual([MATCHBOX_FQN]);
        const differences = jsonDifferences(bindingRelevant(live.provider_schemas?.[MATCHBOX_FQN]), bindingRelevant(checkedIn.provider_schemas[MATCHBOX_FQN]));
        // Name the version so a new provider release is obvious; then run
        // `terraform providers schema -json` yourself, update the file and `npm run get`.
        expect({ selected, differences }).toEqual({ selected, differences: [] });
      },
      SLOW,
    );

    test(
      `siderolabs/talos ${TALOS_CONSTRAINT} has every attribute of ${TALOS_SCHEMA_FILE}, with the same type and flags`,
      () => {
        expect(TALOS).toBeDefined();
        const dir = join(root, "talos-schema");
        mkdirSync(dir);
        writeFileSync(
          join(dir, "main.tf.json"),
          JSON.stringify({ terraform: { required_providers: { talos: { source: "siderolabs/talos", version: TALOS_CONSTRAINT } } } }),
        );
        mustTerraform(dir, ["init", "-input=false", "-no-color"], online());
        const live = JSON.parse(mustTerraform(dir, ["providers", "schema", "-json"], online()));
        const selected = JSON.parse(mustTerraform(dir, ["version", "-json"], online())).provider_selections?.[TALOS_FQN];
        const checkedIn = JSON.parse(readFileSync(join(REPO_ROOT, TALOS_SCHEMA_FILE), "utf8"));
        expect(Object.keys(checkedIn.provider_schemas)).toEqual([TALOS_FQN]);
        const differences = schemaSubsetDifferences(live.provider_schemas?.[TALOS_FQN], checkedIn.provider_schemas[TALOS_FQN]);
        // The pin is exact, so `selected` is the version the bindings were generated for.
        expect({ selected, differences }).toEqual({ selected: TALOS?.version, differences: [] });
      },
      SLOW,
    );
  });
}
