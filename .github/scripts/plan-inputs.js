// node .github/scripts/plan-inputs.js <cdktf.out/stacks/<stack>>
//
// Whether the state a stack's plan reads exists yet. A stack reads the outputs
// of the stacks before it through terraform_remote_state (cdktf's cross-stack
// references); before the first deploy those state objects do not exist, the
// plan fails on the missing outputs, and the pull request's `diff` check went
// red although nothing is wrong (issue 25). The remote states are taken from
// the synthesized stack itself (cdk.tf.json), so the check reads exactly the
// objects the plan would: GCS, workspace `default` (CI's), object
// `<prefix>/default.tfstate` (cdktf's GcsBackend, one prefix per stack).
//
// Exit status: 0 every input exists (plan the stack); 10 one is missing (not
// yet deployed: the reason, one line, on stdout; skip the plan); 1 the check
// itself failed (gcloud's message on stderr: a denied or broken read is an
// error, never a skip). Uses `gcloud storage objects describe`, with the
// identity the job is logged in as.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const MISSING = 10;
/** What gcloud prints for an object that does not exist (HTTP 404). */
const NOT_FOUND = /NotFoundError|404|not found|matched no objects/i;

/** `{ stack, url }` for every remote state `stackDir`'s configuration reads. */
function remoteStates(stackDir) {
  const stack = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  return Object.values(stack.data?.terraform_remote_state ?? {}).map((rs) => {
    if (rs.backend !== "gcs") throw new Error(`${stackDir}: a remote state with backend ${JSON.stringify(rs.backend)}; the diff job plans GCS state only`);
    const { bucket, prefix } = rs.config ?? {};
    if (!bucket || !prefix) throw new Error(`${stackDir}: a GCS remote state without bucket and prefix: ${JSON.stringify(rs.config)}`);
    return { stack: prefix.split("/").pop(), url: `gs://${bucket}/${prefix}/default.tfstate` };
  });
}

function main(argv) {
  const [stackDir] = argv;
  if (!stackDir) {
    process.stderr.write("usage: plan-inputs.js <cdktf.out/stacks/<stack>>\n");
    return 2;
  }
  let inputs;
  try {
    inputs = remoteStates(stackDir);
  } catch (err) {
    process.stderr.write(`plan-inputs: ${err.message}\n`);
    return 1;
  }
  const missing = [];
  for (const input of inputs) {
    const r = spawnSync("gcloud", ["storage", "objects", "describe", input.url, "--format=value(name)"], { encoding: "utf8", timeout: 120_000 });
    if (r.error) {
      process.stderr.write(`plan-inputs: cannot run gcloud: ${r.error.message}\n`);
      return 1;
    }
    if (r.status === 0) continue;
    if (NOT_FOUND.test(r.stderr) && !/403|permission|denied/i.test(r.stderr)) {
      missing.push(input);
      continue;
    }
    process.stderr.write(`plan-inputs: cannot tell whether ${input.url} exists (gcloud exit ${r.status}):\n${r.stderr}`);
    return 1;
  }
  if (missing.length === 0) return 0;
  const names = missing.map((m) => `\`${m.stack}\``).join(", ");
  const urls = missing.map((m) => m.url).join(", ");
  process.stdout.write(
    `not planned: ${names} ${missing.length === 1 ? "has" : "have"} no state yet (${urls} does not exist), and this stack's plan reads ${missing.length === 1 ? "its" : "their"} outputs; expected before the first deploy, which creates ${missing.length === 1 ? "it" : "them"} (docs/first-deploy-checks.md)\n`,
  );
  return MISSING;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
module.exports = { remoteStates, main, MISSING };
