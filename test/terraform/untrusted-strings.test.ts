// Issue 26: a secretsFile with Terraform template syntax was written unescaped
// into the import block's id, and the real Terraform CLI evaluated it
// (`/tmp/a${path.root}b` became `/tmp/a.b`; `${file(...)}` would read files
// into the plan). Here the real CLI evaluates the synthesized id, as a
// string of the same JSON configuration, and gets the path back unchanged.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, synthJson } from "../support/synth";
import { mustTerraform, terraformMissing } from "../support/terraform-standin";

const missing = terraformMissing();
const SECRETS_FILE = "/tmp/a${path.root}b%{ if true }c%{ endif }";

(missing ? test.skip : test)(`the talos secrets import id reaches Terraform as the literal path${missing ? ` (SKIPPED: ${missing})` : ""}`, () => {
  const site = fixtureSiteFrom((v) => {
    v.talos.cluster.existing = true;
    v.talos.cluster.secretsFile = SECRETS_FILE;
  });
  const stack = Object.values(buildStacks(site)).map((s) => synthJson(s as never)).find((json) => json.import !== undefined);
  expect(stack?.import).toHaveLength(1);
  const id: string = stack!.import[0].id;
  // The same string as an output of a provider-less configuration: Terraform reads both as templates.
  const dir = mkdtempSync(join(tmpdir(), "netboot-import-id-"));
  writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ output: { id: { value: id } } }));
  mustTerraform(dir, ["init", "-backend=false", "-input=false"]);
  mustTerraform(dir, ["apply", "-auto-approve", "-input=false"]);
  expect(mustTerraform(dir, ["output", "-raw", "id"])).toBe(SECRETS_FILE);
});
