// The cdktf CLI the workflows run (deploy.yml: `cdktf deploy <stack>
// --auto-approve --skip-synth`; pull-request.yml and drift.yml: `cdktf diff
// <stack> --skip-synth`), on the Node running the tests, against a one-resource
// app on Terraform's built-in terraform_data and a local backend (offline).
// `deploy` runs `terraform init` and `terraform apply` through what cdktf-cli
// takes for a PTY (scripts/cdktf-pty-pipe), `diff` runs init through it and plan
// directly. The pull-request workflow's test job runs this on Node 20.9.0, 22
// and 24; scripts/check-node-line.sh (from .ci/run) runs it on every line too.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraformMissing } from "../support/terraform-standin";

const REPO = join(__dirname, "..", "..");
const CDKTF = join(REPO, "node_modules/.bin/cdktf");
const missing = terraformMissing();
const SLOW = 180_000;

const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");

function cdktf(dir: string, args: string[]) {
  const r = spawnSync(CDKTF, args, {
    cwd: dir,
    encoding: "utf8",
    timeout: SLOW,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", DISABLE_VERSION_CHECK: "1", CI: "1", TF_IN_AUTOMATION: "1" },
  });
  return { status: r.status, output: strip(`${r.stdout}${r.stderr}`) };
}

if (missing) {
  if (process.env.REQUIRE_E2E) {
    test("the Terraform CLI is required (REQUIRE_E2E is set)", () => {
      throw new Error(`the cdktf CLI test needs the Terraform CLI: ${missing}`);
    });
  } else {
    test.skip(`SKIPPED: ${missing} — cdktf deploy and diff on Node ${process.versions.node}`, () => {});
  }
} else {
  describe(`the cdktf CLI on Node ${process.versions.node}`, () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "netboot-cdktf-cli-"));
      writeFileSync(
        join(dir, "cdktf.json"),
        JSON.stringify({ language: "typescript", app: "node app.js", projectId: "netboot-cdktf-cli-test", sendCrashReports: "false", terraformProviders: [], terraformModules: [], context: {} }),
      );
      writeFileSync(
        join(dir, "app.js"),
        `const { App, LocalBackend, TerraformOutput, TerraformResource, TerraformStack } = require(${JSON.stringify(join(REPO, "node_modules/cdktf"))});
const app = new App();
const stack = new TerraformStack(app, "pipes");
new LocalBackend(stack, { path: "pipes.tfstate" });
const data = new TerraformResource(stack, "marker", { terraformResourceType: "terraform_data" });
data.addOverride("input", "node ${process.versions.node}");
new TerraformOutput(stack, "value", { value: "\${terraform_data.marker.output}" });
app.synth();
`,
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test(
      "deploy --auto-approve initializes and applies (init and apply run through scripts/cdktf-pty-pipe)",
      () => {
        const r = cdktf(dir, ["deploy", "pipes", "--auto-approve"]);
        expect(r.output).not.toMatch(/ERR_DLOPEN_FAILED|pty\.node|Cannot find module/);
        expect(r.output).toContain("Terraform has been successfully initialized");
        expect(r.output).toContain("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
        expect(r.status).toBe(0);
        const state = JSON.parse(readFileSync(join(dir, "cdktf.out/stacks/pipes/pipes.tfstate"), "utf8"));
        expect(state.outputs.value.value).toBe(`node ${process.versions.node}`);
      },
      SLOW,
    );

    test(
      "diff --skip-synth of the deployed stack plans no changes",
      () => {
        const r = cdktf(dir, ["diff", "pipes", "--skip-synth"]);
        expect(r.output).toContain("No changes. Your infrastructure matches the configuration.");
        expect(r.status).toBe(0);
      },
      SLOW,
    );

    test(
      "a failing terraform init fails the command with terraform's own message",
      () => {
        const file = join(dir, "cdktf.out/stacks/pipes/cdk.tf.json");
        const stack = JSON.parse(readFileSync(file, "utf8"));
        stack.terraform.backend = { no_such_backend: {} };
        writeFileSync(file, JSON.stringify(stack));
        const r = cdktf(dir, ["diff", "pipes", "--skip-synth"]);
        expect(r.output).toMatch(/Unsupported backend type|no_such_backend/);
        expect(r.output).toContain("terraform init failed with exit code 1");
        expect(r.status).not.toBe(0);
      },
      SLOW,
    );
  });
}
