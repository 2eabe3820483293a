// Synthesizes the whole app for a site and runs the real Terraform CLI on each
// stack's provider-less stand-in (terraform-standin.ts), in deploy order, with
// local state in a temporary directory, so each stack reads the previous
// stacks' outputs through terraform_remote_state as in production. What comes
// back is what Terraform evaluated: the arguments each provider would receive.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import type { NetbootSite } from "../../lib/input/site";
import { terraformLiteral } from "../../lib/model/terraform-strings";
import { addNetbootStacks, STACK_ORDER } from "../../stacks";
import { FIXTURES } from "./site";
import { evaluatedValues, mustTerraform, providerlessStack, terraform, writeStandIn, type Evaluated, type StackJson, type StubFor } from "./terraform-standin";

export { FIXTURE_SITE_FILE } from "./site";

/** Talos configs shaped like `talosctl gen config` output of the site's Talos version (test/fixtures/talos). */
export const talosConfigFixture = (role: "controlplane" | "worker", variant: "" | "edge-cases" = ""): string =>
  readFileSync(join(FIXTURES, "talos", variant, `${role}.yaml`), "utf8");

/**
 * Stubs for what this project's data sources return. The Talos provider's
 * generated config is the role's edge-case fixture (`{{ }}` in quoted and plain
 * strings, 0o644, a quoted "on"), then each of the machine's config patches as
 * a further document: the real provider merges them into the config with
 * Talos's own code, which only GitHub Actions can run (`talosctl validate`).
 * The configs are one data source with an instance per machine, so the stub is
 * a Terraform template that Terraform evaluates per instance.
 */
export function siteStubs(_site: NetbootSite): StubFor {
  return (kind, type, _name, path, args) => {
    if (kind === "data" && type === "talos_machine_configuration" && path.join(".") === "machine_configuration") {
      const fixture = (role: "controlplane" | "worker") => terraformLiteral(talosConfigFixture(role, "edge-cases").replace(/\n$/, ""));
      // One data source per machine (the 0.1 layout, for the migration test): its arguments are templates already.
      if (args.machine_type === "controlplane" || args.machine_type === "worker") {
        return fixture(args.machine_type) + (args.config_patches as string[]).map((patch) => `\n---\n${patch.replace(/\n$/, "")}`).join("") + "\n";
      }
      return (
        `%{ if each.value.machine_type == "controlplane" }${fixture("controlplane")}%{ else }${fixture("worker")}%{ endif }` +
        '${join("", [for patch in each.value.config_patches : "\\n---\\n${trimsuffix(patch, "\\n")}"])}\n'
      );
    }
    return undefined;
  };
}

/** The evaluated instance of a for_each resource or data source (`name["key"]`) for `key`. */
export function instance(section: Record<string, any> | undefined, key: string): any {
  const found = Object.entries(section ?? {}).filter(([address]) => address.endsWith(`[${JSON.stringify(key)}]`));
  if (found.length !== 1) throw new Error(`expected one instance with key ${key}, found ${found.map(([a]) => a).join(", ") || "none"}`);
  return found[0][1];
}

/** Synthesizes every stack of `site` into `root/cdktf.out` and returns each stack's JSON. */
export function synthesizeApp(site: NetbootSite, root: string): Record<string, StackJson> {
  const outdir = join(root, "cdktf.out");
  const app = new App({ outdir, skipValidation: false });
  addNetbootStacks(app, site);
  app.synth();
  return Object.fromEntries(STACK_ORDER.map((stack) => [stack, JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"))]));
}

export interface AppliedApp {
  readonly root: string;
  readonly synthesized: Record<string, StackJson>;
  readonly evaluated: Record<string, Evaluated>;
  /** Stand-in directory of a stack. */
  readonly dir: (stack: string) => string;
}

/**
 * init + validate + apply of every stack in deploy order. Throws with
 * Terraform's own output when a step fails (e.g. an unescaped `${` in an
 * embedded file: "Extra characters after interpolation expression").
 */
export function applyApp(site: NetbootSite, options: { root?: string; edit?: (stack: string, json: StackJson) => StackJson } = {}): AppliedApp {
  const root = options.root ?? mkdtempSync(join(tmpdir(), "netboot-terraform-"));
  const synthesized = synthesizeApp(site, root);
  const stateDir = join(root, "state");
  mkdirSync(stateDir, { recursive: true });
  const dir = (stack: string) => join(root, "standin", stack);
  const evaluated: Record<string, Evaluated> = {};
  for (const stack of STACK_ORDER) {
    const json = options.edit ? options.edit(stack, synthesized[stack]) : synthesized[stack];
    writeStandIn(dir(stack), providerlessStack(json, { stateDir, stub: siteStubs(site) }));
    mustTerraform(dir(stack), ["init", "-input=false", "-no-color"]);
    mustTerraform(dir(stack), ["validate", "-no-color"]);
    mustTerraform(dir(stack), ["apply", "-auto-approve", "-input=false", "-lock=false", "-no-color"]);
    evaluated[stack] = evaluatedValues(dir(stack), json);
  }
  return { root, synthesized, evaluated, dir };
}

/** `terraform validate` of every stack with the backend left as synthesized (gcs), without initializing it. */
export function validateWithoutBackend(site: NetbootSite): Record<string, { valid: boolean; output: string }> {
  const root = mkdtempSync(join(tmpdir(), "netboot-terraform-gcs-"));
  const synthesized = synthesizeApp(site, root);
  return Object.fromEntries(
    STACK_ORDER.map((stack) => {
      const d = join(root, "standin", stack);
      writeStandIn(d, providerlessStack(synthesized[stack], { stub: siteStubs(site) }));
      mustTerraform(d, ["init", "-backend=false", "-input=false", "-no-color"]);
      const r = terraform(d, ["validate", "-json", "-no-color"]);
      const result = JSON.parse(r.stdout);
      return [stack, { valid: result.valid === true && r.status === 0, output: `${r.stdout}\n${r.stderr}` }];
    }),
  );
}

/** A profile or group as the Matchbox provider sends it to Matchbox (the Go stand-in's store file). */
export interface EvaluatedMatchboxStore {
  readonly profiles: { name: string; kernel: string; initrd: string[]; args: string[]; generic_config: string | null }[];
  readonly groups: { name: string; profile: string; selector: Record<string, string>; metadata: Record<string, string> }[];
}

/** Matchbox's profiles and groups as Terraform evaluated them for the matchbox-config stack. */
export function matchboxStoreFromEvaluated(evaluated: Evaluated): EvaluatedMatchboxStore {
  const profiles = Object.values<any>(evaluated.resource.matchbox_profile ?? {}).map((p) => ({
    name: p.name,
    kernel: p.kernel ?? "",
    initrd: p.initrd ?? [],
    args: p.args ?? [],
    generic_config: p.generic_config ?? null,
  }));
  const groups = Object.values<any>(evaluated.resource.matchbox_group ?? {}).map((g) => ({ name: g.name, profile: g.profile, selector: g.selector ?? {}, metadata: g.metadata ?? {} }));
  return { profiles, groups };
}

export function writeMatchboxStore(file: string, store: EvaluatedMatchboxStore): string {
  writeFileSync(file, JSON.stringify(store, null, 2));
  return file;
}
