import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { PLAN_STACKS, STACK_ORDER } from "../../stacks";
import { MATCHBOX_NAMESPACE } from "../../stacks/boot-server-stack";
import { MATCHBOX_RPC_PORT } from "../../lib/model/wireguard/render";
import { fixtureSiteFrom } from "../support/site";
import { synthesizeApp } from "../support/terraform-app";

// The workflows and their scripts are this project's code: these tests read
// them from .github/ and fail when a rule of docs/adr/0009-pull-request-trust-model.md is broken.
const REPO = join(__dirname, "../..");
const WORKFLOW_DIR = join(REPO, ".github/workflows");
const SCRIPT_DIR = join(REPO, ".github/scripts");
const FILES = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
const PORT_FORWARD_SCRIPT = ".github/scripts/port-forward-matchbox.sh";

/** The final stack ids in deploy order (stacks/index.ts STACK_ORDER grows into this). */
const DEPLOY_ORDER = ["network", "gke", "boot-server", "matchbox-config"];
/** What the pull-request `diff` job plans: everything but matchbox-config (its provider dials Matchbox). */
const PR_DIFF_STACKS = ["network", "gke", "boot-server"];
/** How a step names the stacks to plan: check-deployable's output, never a list in the YAML. */
const PLAN_STACKS_OUTPUT = "${{ steps.site.outputs.plan_stacks }}";

/** Every step of a job whose script reads $STACKS gets it from check-deployable's `plan_stacks` output, and the job names no other list. */
function expectStacksFromCheckDeployable(job: { env?: Record<string, string>; steps: Step[] }): void {
  expect(job.env?.STACKS).toBeUndefined();
  const site = job.steps.find((s) => s.id === "site");
  expect(site?.run).toContain("check-deployable -- --github-output");
  const readers = job.steps.filter((s) => s.run?.includes("$STACKS"));
  expect(readers.length).toBeGreaterThanOrEqual(3);
  for (const step of readers) expect({ step: step.name, STACKS: step.env?.STACKS }).toEqual({ step: step.name, STACKS: PLAN_STACKS_OUTPUT });
}
/**
 * What package.json's engines claim (`^20.9.0 || ^22.0.0 || ^24.0.0`): the `test` job runs the
 * floor exactly and every other claimed line; every other job runs the newest line.
 */
const CLAIMED_NODE = (require("../../package.json").engines.node as string).split("||").map((range) => range.trim().replace(/^\^/, ""));
const NODE_MATRIX = [CLAIMED_NODE[0], ...CLAIMED_NODE.slice(1).map((version) => version.split(".")[0])];
const NODE = NODE_MATRIX[NODE_MATRIX.length - 1];

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, any>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(join(WORKFLOW_DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const allSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);
const jobEntries = (file: string) => Object.entries(workflow(file).jobs).map(([id, job]) => ({ file, id, job }));
const usesOf = (job: Job, action: string) => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const runsOf = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const environmentName = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

interface PrReportModule {
  MAX_REPORT: number;
  summarize(output: string, exitCode?: number, skipReason?: string): { status: string; line: string; counts?: Record<string, number> };
  planReport(input: { stacks: { name: string; output: string; exitCode?: number; skipReason?: string }[]; site?: string; note?: string }): string;
  dataReport(input: {
    baseSha?: string;
    bootDiff?: { exitCode?: number; markdown?: string; stderr?: string };
    checks: { name: string; outcome?: string; log?: string }[];
    plannable?: boolean;
    planRefusal?: string;
    fork?: boolean;
  }): string;
  main(argv: string[], env: Record<string, string | undefined>): number;
}
// Plain JS so the workflow runs it with `node`, without a build step.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const prReport = require("../../.github/scripts/pr-report.js") as PrReportModule;

test("both workflows exist", () => {
  expect(FILES.sort()).toEqual(expect.arrayContaining(["deploy.yml", "pull-request.yml"]));
});

describe.each(FILES)("%s", (file) => {
  test("is valid against the GitHub workflow schema", () => {
    // The validator cannot check path globs and says so on console.warn; the
    // deploy's paths-ignore globs are checked below instead ("skips documentation-only pushes").
    const warn = jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
      if (!/Glob validation is not yet supported/.test(String(args[0]))) process.stderr.write(`${args.join(" ")}\n`);
    });
    try {
      expect(validateWorkflow(text(file)).errors).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  test("pins every action to a full commit SHA with its release tag in a comment", () => {
    const lines = text(file).split("\n").filter((l) => /^\s*(-\s+)?uses:/.test(l));
    const parsed = allSteps(workflow(file)).filter((s) => s.uses);
    // Same count both ways, so no `uses:` hides in a form the line scan misses.
    expect(lines).toHaveLength(parsed.length);
    expect(parsed.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
    }
  });

  test("run scripts take workflow values through env, never ${{ }} (no script injection)", () => {
    for (const step of allSteps(workflow(file)).filter((s) => s.run)) {
      expect({ step: step.name, run: step.run }).toEqual({ step: step.name, run: expect.not.stringContaining("${{") });
    }
  });

  test("uses no long-lived cloud key", () => {
    expect(text(file)).not.toMatch(/credentials_json|secrets\.GCP|GOOGLE_CREDENTIALS/);
  });

  test("takes the site from cdktf.json, not from a repository variable", () => {
    // One source for the pull-request jobs and the deploy: cdktf.json's context.site, changed in a pull request.
    expect(text(file)).not.toContain("SITE_CONFIG");
  });

  test.each(jobEntries(file))("job $id: every job that runs Node sets up Node 24 (the test job also the floor and every other line package.json claims)", ({ id, job }) => {
    const setups = usesOf(job, "actions/setup-node");
    const runsNode = /\b(npm|npx|node)\b/.test(runsOf(job));
    if (!runsNode) {
      expect(setups).toHaveLength(0);
      return;
    }
    expect(setups).toHaveLength(1);
    const version = String(setups[0].with?.["node-version"]);
    if (version === "${{ matrix.node }}") {
      expect(id).toBe("test");
      expect(job.strategy?.matrix?.node).toEqual(NODE_MATRIX);
    } else {
      expect(version).toBe(NODE);
    }
    // setup-node comes before the first command that needs it.
    const first = job.steps.findIndex((s) => /\b(npm|npx|node)\b/.test(s.run ?? ""));
    expect(job.steps.indexOf(setups[0])).toBeLessThan(first);
  });

  test.each(jobEntries(file))("job $id: an OIDC token only inside a protected environment", ({ job }) => {
    if (job.permissions?.["id-token"] === "write") {
      expect(environmentName(job)).toMatch(/^(plan|production)$/);
    }
    // And nothing can get one without asking for it.
    expect(workflow(file).permissions?.["id-token"]).toBeUndefined();
  });

  test("get-gke-credentials always uses the DNS-based endpoint", () => {
    for (const step of allSteps(workflow(file)).filter((s) => s.uses?.startsWith("google-github-actions/get-gke-credentials@"))) {
      expect(String(step.with?.use_dns_based_endpoint)).toBe("true");
      expect(step.with?.use_internal_ip).toBeUndefined();
    }
  });

  test("checkouts never leave the token in .git/config", () => {
    for (const step of allSteps(workflow(file)).filter((s) => s.uses?.startsWith("actions/checkout@"))) {
      expect(step.with?.["persist-credentials"]).toBe(false);
    }
  });
});

test("an action is pinned to the same SHA and tag in every workflow", () => {
  const pins = new Map<string, Set<string>>();
  for (const file of FILES) {
    for (const m of text(file).matchAll(/uses: ([\w.-]+\/[\w./-]+)@([0-9a-f]{40} # \S+)/g)) {
      pins.set(m[1], (pins.get(m[1]) ?? new Set()).add(m[2]));
    }
  }
  for (const [action, versions] of pins) expect({ action, versions: [...versions] }).toEqual({ action, versions: [expect.any(String)] });
});

test("the schema validator rejects a broken workflow (so the check above can fail)", () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    concurrency: { group: x, cancel-in-progress: maybe }\n    steps:\n      - run: true\n";
  expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
});

test("the README claims the Node versions package.json's engines claim (which the test job runs)", () => {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const floor = CLAIMED_NODE[0].split(".").slice(0, 2).join(".");
  const lines = NODE_MATRIX.map((version) => version.split(".")[0]);
  expect(readme).toContain(`Node ≥ ${floor}, on the ${lines.slice(0, -1).join(", ")} or ${lines[lines.length - 1]} line (\`engines\` in \`package.json\`)`);
});

/** GitHub's filter globs, as far as paths-ignore uses them: `**` crosses directories, `*` does not. */
function globToRegExp(glob: string): RegExp {
  const re = glob
    .split("**")
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]"))
    .join(".*");
  return new RegExp(`^${re}$`);
}

describe("deploy.yml", () => {
  const wf = workflow("deploy.yml");
  const job = wf.jobs.deploy;
  const ignored = (wf.on.push?.["paths-ignore"] ?? []) as string[];
  const isIgnored = (path: string) => ignored.some((g) => globToRegExp(g).test(path));

  test("runs on pushes to main and by hand", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.on.push.branches).toEqual(["main"]);
  });

  test("skips documentation-only pushes, but never a file the deploy reads", () => {
    expect(ignored).toEqual(expect.arrayContaining(["**.md", "docs/**"]));
    for (const doc of ["README.md", "docs/runbook.md", "docs/adr/0009-pull-request-trust-model.md", "test/fixtures/talos/README.md"]) {
      expect({ doc, ignored: isIgnored(doc) }).toEqual({ doc, ignored: true });
    }
    const read = [
      "cdktf.json",
      "package.json",
      "package-lock.json",
      "main.ts",
      "stacks/index.ts",
      "constructs/gke-cluster.ts",
      "lib/input/settings.ts",
      "sites/example.yaml",
      "sites/site.schema.json",
      "matchbox-config/machines.yaml",
      "wireguard/peers.yaml",
      "wireguard/gateway.pub",
      "wireguard/gateway.sh",
      "provider-schemas/matchbox.json",
      ".gen/providers/matchbox/group/index.ts",
      ".github/workflows/deploy.yml",
      PORT_FORWARD_SCRIPT,
    ];
    for (const file of read) expect({ file, ignored: isIgnored(file) }).toEqual({ file, ignored: false });
  });

  test("the glob check can fail", () => {
    expect(globToRegExp("docs/**").test("docs/adr/x.md")).toBe(true);
    expect(globToRegExp("**.md").test("sites/home.yaml")).toBe(false);
  });

  test("deploys from main only: other refs are refused before any environment or credential", () => {
    expect(job.if).toBe("github.ref == 'refs/heads/main'");
    const guards = Object.entries(wf.jobs).filter(([id]) => id !== "deploy");
    expect(guards).toHaveLength(1);
    const [, guard] = guards[0];
    expect(guard.if).toBe("github.ref != 'refs/heads/main'");
    expect(guard.permissions).toEqual({});
    expect(guard.environment).toBeUndefined();
    expect(runsOf(guard)).toMatch(/::error::[\s\S]*exit 1/);
  });

  test("deploys the stacks one by one in dependency order, auto-approved", () => {
    const deploys = job.steps.flatMap((s) => {
      const m = /cdktf deploy (\S+)(.*)/.exec(s.run ?? "");
      return m ? [{ stack: m[1], flags: m[2] }] : [];
    });
    expect(deploys.map((d) => d.stack)).toEqual(DEPLOY_ORDER);
    for (const d of deploys) expect(d.flags).toContain("--auto-approve");
    // The stacks defined so far must be a prefix of the final order.
    expect(DEPLOY_ORDER.slice(0, STACK_ORDER.length)).toEqual([...STACK_ORDER]);
  });

  test("refuses example/local sites and validates the selected site's inventory before any credential is requested", () => {
    const names = job.steps.map((s) => s.run ?? s.uses ?? "");
    const check = names.findIndex((n) => n.includes("check-deployable"));
    const validate = names.findIndex((n) => n.startsWith("npm run validate"));
    const auth = names.findIndex((n) => n.startsWith("google-github-actions/auth@"));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(validate).toBeGreaterThanOrEqual(0);
    expect(auth).toBeGreaterThan(Math.max(check, validate));
    // No hard-coded inventory: `validate` checks the inventory the selected site names.
    expect(names[validate].trim()).toBe("npm run validate");
  });

  test("queues without cancelling a running deploy, behind the production environment", () => {
    expect(job.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(job.concurrency?.group).not.toContain("${{");
    expect(job.environment).toBe("production");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  test("uses the deploy identity, not the plan identity, and no dependency cache", () => {
    const auth = usesOf(job, "google-github-actions/auth");
    expect(auth.map((s) => s.with?.service_account)).toEqual(["${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}"]);
    expect(usesOf(job, "actions/setup-node")[0].with?.["package-manager-cache"]).toBe(false);
  });

  test("gets cluster credentials after the gke stack, through the DNS-based endpoint", () => {
    const names = job.steps.map((s) => s.run ?? s.uses ?? "");
    const creds = names.findIndex((n) => n.startsWith("google-github-actions/get-gke-credentials@"));
    expect(creds).toBeGreaterThan(names.findIndex((n) => n.includes("cdktf deploy gke")));
    expect(creds).toBeLessThan(names.findIndex((n) => n.includes("cdktf deploy boot-server")));
    expect(job.steps[creds].with?.use_dns_based_endpoint).toBe(true);
  });

  test("reaches Matchbox through the one port-forward script, between boot-server and matchbox-config", () => {
    const runs = job.steps.map((s) => s.run ?? "");
    const forward = runs.findIndex((r) => r.includes(PORT_FORWARD_SCRIPT));
    expect(runs[forward].trim()).toBe(`bash ${PORT_FORWARD_SCRIPT}`);
    expect(forward).toBeGreaterThan(runs.findIndex((r) => r.includes("cdktf deploy boot-server")));
    expect(runs.findIndex((r) => r.includes("cdktf deploy matchbox-config"))).toBeGreaterThan(forward);
    // No second copy of the retry loop inline.
    expect(runs.filter((r) => r.includes("kubectl port-forward"))).toEqual([]);
    // The script's namespace is the boot-server stack's.
    // One owner: the stack's constant, passed on by check-deployable --github-output, never written here.
    expect(job.env?.MATCHBOX_NAMESPACE).toBeUndefined();
    const forwardStep = job.steps.find((s) => s.run?.includes("port-forward-matchbox.sh"));
    expect(forwardStep?.env?.MATCHBOX_NAMESPACE).toBe("${{ steps.site.outputs.matchbox_namespace }}");
    expect(MATCHBOX_NAMESPACE).toBe("netboot-matchbox");
  });
});

describe("pull-request.yml", () => {
  const wf = workflow("pull-request.yml");
  const { test: testJob, data, comment, diff } = wf.jobs;
  const SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository";

  test("talos-real: the real Talos provider and a checksum-verified talosctl, without credentials", () => {
    const job = wf.jobs["talos-real"];
    expect(job.permissions).toEqual({ contents: "read" });
    expect(usesOf(job, "google-github-actions/auth")).toEqual([]);
    const runs = runsOf(job);
    expect(runs).toContain("sha256sum -c");
    expect(runs).toContain("npx jest test/plan/talos-real.test.ts --selectProjects plan");
    expect(job.steps.find((s) => s.run?.includes("talos-real.test.ts"))?.env?.TALOS_REAL).toBe("1");
    // talosctl of the fixture site's Talos release.
    const site = parse(readFileSync(join(REPO, "test/fixtures/site/site.yaml"), "utf8"));
    expect(job.env?.TALOS_VERSION).toBe(site.talos.version);
  });

  test("talos-reports-real: a real Talos VM reporting to the receiver, with a checksum-verified talosctl, kernel and initramfs, without credentials", () => {
    const job = wf.jobs["talos-reports-real"];
    expect(job.permissions).toEqual({ contents: "read" });
    expect(usesOf(job, "google-github-actions/auth")).toEqual([]);
    const runs = runsOf(job);
    expect(runs).toContain("sha256sum -c");
    expect(runs).toMatch(/talosctl-linux-amd64\|vmlinuz-amd64\|initramfs-amd64/);
    expect(runs).toContain("npx jest test/plan/talos-reports-real.test.ts --selectProjects plan");
    expect(job.steps.find((s) => s.run?.includes("talos-reports-real.test.ts"))?.env?.TALOS_REPORTS_REAL).toBe("1");
    const site = parse(readFileSync(join(REPO, "test/fixtures/site/site.yaml"), "utf8"));
    expect(job.env?.TALOS_VERSION).toBe(site.talos.version);
  });

  test("has exactly the jobs of the trust model", () => {
    expect(Object.keys(wf.jobs).sort()).toEqual(["comment", "data", "diff", "matchbox-real", "talos-real", "talos-reports-real", "test"]);
    expect(wf.on).toEqual({ pull_request: null });
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  test("test: the tests on fixtures and the plan tests, on every Node line package.json claims (from the floor), without credentials", () => {
    const runs = runsOf(testJob);
    expect(runs).toContain("npm ci");
    expect(runs).toContain("npm test");
    // The quick start and the cdktf CLI on each line (issue 25: the CLI did not start on Node 24).
    expect(runs).toMatch(/^scripts\/check-node-line\.sh$/m);
    const plan = testJob.steps.find((s) => s.run?.includes("--selectProjects plan"));
    expect(plan?.env?.PLAN_TESTS).toBe("1");
    expect(testJob.permissions).toBeUndefined();
    expect(testJob.strategy?.matrix?.node).toEqual(NODE_MATRIX);
    expect(usesOf(testJob, "google-github-actions/auth")).toEqual([]);
    // The user's data is the data job's business, not the tests'.
    expect(runs).not.toContain("npm run validate");
  });

  test("data: validate, synth and boot-diff of the selected site, for every pull request, without credentials", () => {
    expect(data.if).toBeUndefined();
    expect(data.permissions).toEqual({ contents: "read" });
    expect(data.environment).toBeUndefined();
    expect(usesOf(data, "google-github-actions/auth")).toEqual([]);
    const checkout = usesOf(data, "actions/checkout");
    expect(checkout).toHaveLength(1);
    expect(checkout[0].with?.["fetch-depth"]).toBe(0);
    const runs = runsOf(data);
    expect(runs).toMatch(/^npm run --silent validate 2>&1 \| tee /m);
    expect(runs).toContain("npm run synth");
    const bootDiff = data.steps.find((s) => s.run?.includes("boot-diff"));
    expect(bootDiff?.run).toContain('npm run --silent boot-diff -- --base "$BASE_SHA" --markdown');
    expect(bootDiff?.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
    expect(runs).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  test("data: uploads the report as an artifact named with the pull request's number, which the comment job downloads", () => {
    const [upload] = usesOf(data, "actions/upload-artifact");
    const [download] = usesOf(comment, "actions/download-artifact");
    expect(upload.with?.name).toBe("pull-request-report-${{ github.event.pull_request.number }}");
    expect(download.with?.name).toBe(upload.with?.name);
    expect(String(upload.with?.path)).toContain("report.md");
    expect(String(upload.with?.path)).toContain("pr-number");
    const write = data.steps.find((s) => s.run?.includes("pr-number"));
    expect(write?.env?.PR_NUMBER).toBe("${{ github.event.pull_request.number }}");
  });

  test("comment: no checkout, no run step, no branch code; only pull-requests: write; same-repository pull requests only", () => {
    expect(comment.needs).toBe("data");
    expect(comment.if).toContain(SAME_REPO);
    expect(comment.if).toContain("!cancelled()");
    expect(comment.permissions).toEqual({ "pull-requests": "write" });
    expect(comment.steps.every((s) => s.uses !== undefined && s.run === undefined)).toBe(true);
    expect(comment.steps.map((s) => s.uses!.split("@")[0]).sort()).toEqual(["actions/download-artifact", "actions/github-script"]);
    const script = String(usesOf(comment, "actions/github-script")[0].with?.script);
    // Nothing from the workspace (there is none) and nothing the artifact says is executed.
    expect(script).not.toMatch(/GITHUB_WORKSPACE|\.github\/scripts|child_process|\beval\s*\(|new Function|\bexec\(|\$\{\{/);
  });

  test("diff: cdktf diff of network, gke and boot-server, only in the plan environment, only for this repository's branches", () => {
    expect(diff.environment).toBe("plan");
    expect(diff.needs).toBe("data");
    expect(diff.if).toBe(`${SAME_REPO} && needs.data.outputs.plannable == 'true'`);
    expect(diff.permissions).toEqual({ contents: "read", "id-token": "write" });
    expectStacksFromCheckDeployable(diff);
    expect(PLAN_STACKS).toEqual(PR_DIFF_STACKS);
    expect(runsOf(diff)).toContain('cdktf diff "$stack"');
    const auth = usesOf(diff, "google-github-actions/auth");
    expect(auth.map((s) => s.with?.service_account)).toEqual(["${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}"]);
    expect(usesOf(diff, "actions/setup-node")[0].with?.["package-manager-cache"]).toBe(false);
  });

  test("diff: leaves matchbox-config out and opens no port-forward", () => {
    const job = JSON.stringify(diff);
    expect(job).not.toContain("matchbox-config");
    expect(job).not.toMatch(/port-forward|kubectl/);
    expect(usesOf(diff, "google-github-actions/get-gke-credentials")).toEqual([]);
    expect(text("pull-request.yml")).not.toContain(PORT_FORWARD_SCRIPT);
  });

  test("no job that runs the branch's code can write to the pull request", () => {
    for (const [id, job] of Object.entries(wf.jobs)) {
      const runsBranchCode = usesOf(job, "actions/checkout").length > 0;
      if (runsBranchCode) expect({ id, prWrite: job.permissions?.["pull-requests"] }).toEqual({ id, prWrite: undefined });
    }
  });
});

describe("comment job script (run with a fake GitHub API)", () => {
  const script = String(usesOf(workflow("pull-request.yml").jobs.comment, "actions/github-script")[0].with?.script);
  const MARKER = "<!-- netboot:pull-request-report -->";
  // The signature actions/github-script gives the script (the arguments it uses).
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const context = {
    repo: { owner: "o", repo: "r" },
    serverUrl: "https://github.com",
    runId: 99,
    payload: { pull_request: { number: 7, head: { sha: "a".repeat(40) }, base: { sha: "b".repeat(40) } } },
  };
  const comment = (id: number, login: string, type: string, body: string) => ({ id, user: { login, type }, body });

  async function run(files: Record<string, string | Buffer>, existing: unknown[] = []) {
    const dir = mkdtempSync(join(tmpdir(), "netboot-comment-"));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const calls: { op: string; id?: number; body: string }[] = [];
    const github = {
      paginate: async () => existing,
      rest: {
        issues: {
          listComments: () => undefined,
          updateComment: async (a: { comment_id: number; body: string }) => void calls.push({ op: "update", id: a.comment_id, body: a.body }),
          createComment: async (a: { issue_number: number; body: string }) => void calls.push({ op: "create", id: a.issue_number, body: a.body }),
        },
      },
    };
    const saved = process.env.REPORT_DIR;
    process.env.REPORT_DIR = dir;
    try {
      await new AsyncFunction("github", "context", "core", "require", script)(github, context, { info: () => undefined }, require);
    } finally {
      if (saved === undefined) delete process.env.REPORT_DIR;
      else process.env.REPORT_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
    return calls;
  }

  test("posts the report once, marker first, with the commit and base from the event", async () => {
    const calls = await run({ "report.md": "#### Boot changes\n\n+ node-1 boots install\n", "pr-number": "7\n" });
    expect(calls).toHaveLength(1);
    expect(calls[0].op).toBe("create");
    expect(calls[0].id).toBe(7);
    expect(calls[0].body.startsWith(MARKER)).toBe(true);
    expect(calls[0].body).toContain("Commit `aaaaaaaaaaaa` against base `bbbbbbbbbbbb`");
    expect(calls[0].body).toContain("+ node-1 boots install");
    expect(calls[0].body).toContain("/actions/runs/99");
  });

  test("updates its own earlier comment (also the old cdktf-diff one), never someone else's", async () => {
    const someoneQuoting = comment(41, "alice", "User", `${MARKER} quoted`);
    const otherBot = comment(42, "renovate[bot]", "Bot", `${MARKER}\nnot ours`);
    const ours = comment(43, "github-actions[bot]", "Bot", `${MARKER}\nold`);
    const files = { "report.md": "new", "pr-number": "7" };
    expect((await run(files, [someoneQuoting, otherBot, ours])).map((c) => `${c.op} ${c.id}`)).toEqual(["update 43"]);
    const legacy = comment(44, "github-actions[bot]", "Bot", "<!-- netboot:cdktf-diff -->\nold plan");
    expect((await run(files, [legacy])).map((c) => `${c.op} ${c.id}`)).toEqual(["update 44"]);
    expect((await run(files, [someoneQuoting, otherBot])).map((c) => c.op)).toEqual(["create"]);
  });

  test("the report cannot add a second marker", async () => {
    const [call] = await run({ "report.md": `${MARKER}\n<!-- netboot:cdktf-diff -->\nhello ${MARKER}`, "pr-number": "7" });
    expect(call.body.split(MARKER)).toHaveLength(2);
    expect(call.body).not.toContain("netboot:cdktf-diff");
  });

  test("a huge report is cut below GitHub's comment limit", async () => {
    const huge = `${"line of boot changes\n".repeat(100_000)}`;
    const [call] = await run({ "report.md": huge, "pr-number": "7" });
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(call.body.length).toBeLessThanOrEqual(65536);
    expect(call.body).toContain("[report cut at");
  });

  test("refuses a report for another pull request, and posts nothing", async () => {
    await expect(run({ "report.md": "x", "pr-number": "8" })).rejects.toThrow(/names pull request "8", not #7/);
    await expect(run({ "report.md": "x" })).rejects.toThrow(/not #7/);
  });

  test("without a report it says so instead of leaving an older one standing", async () => {
    const [call] = await run({});
    expect(call.body).toContain("No report: the data job ended before writing one");
  });
});

describe("pr-report.js", () => {
  const plan = "network  Plan: 3 to add, 1 to change, 0 to destroy.\n";

  test("summarizes add/change/destroy, no changes, imports and failures", () => {
    expect(prReport.summarize(plan, 0)).toMatchObject({ status: "changes", counts: { add: 3, change: 1, destroy: 0 } });
    expect(prReport.summarize("Plan: 1 to import, 0 to add, 0 to change, 2 to destroy.", 0).line).toBe("1 to import, 0 to add, 0 to change, 2 to destroy :warning:");
    expect(prReport.summarize("\u001b[1mNo changes.\u001b[0m Your infrastructure matches the configuration.", 0).status).toBe("no-changes");
    expect(prReport.summarize(plan, 1).status).toBe("failed");
    expect(prReport.summarize("", undefined).status).toBe("not-run");
    expect(prReport.summarize("", undefined, "no cluster yet").line).toBe("skipped: no cluster yet");
  });

  test("plan report: a summary line per stack, each plan folded in <details>", () => {
    const body = prReport.planReport({
      stacks: [
        { name: "network", output: plan, exitCode: 0 },
        { name: "gke", output: "No changes. Your infrastructure matches the configuration.", exitCode: 0 },
      ],
      site: "sites/home.yaml",
    });
    expect(body).toContain("| `network` | 3 to add, 1 to change, 0 to destroy |");
    expect(body).toContain("| `gke` | No changes |");
    expect(body.match(/<details>/g)).toHaveLength(2);
    expect(body).toContain("Site `sites/home.yaml`");
  });

  test("plan report stays under the limit and keeps the end of long plans", () => {
    const huge = `${"x".repeat(200_000)}\nPlan: 1 to add, 0 to change, 0 to destroy.`;
    const body = prReport.planReport({ stacks: PR_DIFF_STACKS.map((name) => ({ name, output: huge, exitCode: 0 })) });
    expect(body.length).toBeLessThanOrEqual(prReport.MAX_REPORT + 1000);
    expect(body.match(/Plan: 1 to add/g)?.length).toBeGreaterThanOrEqual(PR_DIFF_STACKS.length);
  });

  test("quoted output cannot close its code fence", () => {
    const body = prReport.planReport({ stacks: [{ name: "network", output: "a ``` b\nNo changes.", exitCode: 0 }] });
    expect(body).toContain("````text");
  });

  const checks = [
    { name: "npm run validate", outcome: "success" },
    { name: "npm run synth", outcome: "success" },
  ];

  test("data report: the boot changes, the checks, and that the diff waits for an approval", () => {
    const body = prReport.dataReport({
      baseSha: "0123456789abcdef0123",
      bootDiff: { exitCode: 0, markdown: "**node-1**: boots `install` (new)\n", stderr: "site: sites/home.yaml\n" },
      checks,
      plannable: true,
    });
    expect(body).toContain("#### Boot changes against base `0123456789ab` (site `sites/home.yaml`)");
    expect(body).toContain("**node-1**: boots `install` (new)");
    expect(body).toContain("| `npm run validate` | passed |");
    expect(body).toContain("approves the `plan` environment");
    expect(body).toContain("`package-lock.json`");
  });

  test("data report: boot-diff's errors and a failed check's output are quoted", () => {
    const body = prReport.dataReport({
      bootDiff: { exitCode: 2, stderr: "site: sites/home.yaml\nmatchbox-config/machines.yaml:3: machine \"a\": mac: bad ``` value\n" },
      checks: [{ name: "npm run validate", outcome: "failure", log: "matchbox-config/machines.yaml:3: bad" }, { name: "npm run synth", outcome: "skipped" }],
      plannable: false,
      planRefusal: "site: sites/example.yaml\nerror: refusing to deploy sites/example.yaml (1 problem):\n  - sites/example.yaml: example: true marks the built-in example site\n",
    });
    expect(body).toContain("**`npm run boot-diff` failed** (exit 2)");
    expect(body).toContain('machine "a": mac: bad ``` value');
    expect(body).toContain("````text");
    expect(body).toContain("| `npm run validate` | **failed** |");
    expect(body).toContain("<summary><code>npm run validate</code> output</summary>");
    expect(body).toContain("| `npm run synth` | skipped (an earlier step failed) |");
    // check-deployable's lines quote the pull request's data: fenced, never rendered as Markdown.
    expect(body).toContain("No `cdktf diff`: the site cannot be planned against real state:\n\n```text\n- sites/example.yaml: example: true marks");
  });

  test("data report for a fork says why there is no comment and no diff", () => {
    const body = prReport.dataReport({ bootDiff: { exitCode: 0, markdown: "none" }, checks, plannable: true, fork: true });
    expect(body).toContain("comes from a fork");
    expect(body).not.toContain("approves the `plan` environment");
  });

  test("data report stays under the limit however long boot-diff's output is", () => {
    const body = prReport.dataReport({ bootDiff: { exitCode: 0, markdown: "- change\n".repeat(50_000) }, checks, plannable: true });
    expect(body.length).toBeLessThanOrEqual(prReport.MAX_REPORT + 200);
    expect(body).toContain("characters omitted");
  });

  test("the command line refuses unknown usage", () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(prReport.main(["bogus"], {})).toBe(2);
      expect(prReport.main(["plan"], {})).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });

  test("plan without stacks (check-deployable refused the site, so it named none) shows why, from NOTE.md", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-pr-report-"));
    writeFileSync(join(dir, "NOTE.md"), "No diff: the site cannot be planned against real state:\n\n- talos.kernelSha256: is unset (null)\n");
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(prReport.main(["plan", dir], {})).toBe(0);
      const written = out.mock.calls.map((c) => String(c[0])).join("");
      expect(written).toContain("- talos.kernelSha256: is unset (null)");
      expect(written).not.toContain("| stack | plan |");
    } finally {
      out.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("port-forward-matchbox.sh", () => {
  const script = join(REPO, PORT_FORWARD_SCRIPT);
  const source = readFileSync(script, "utf8");

  test("forwards the Matchbox Service's gRPC port in the MATCHBOX_NAMESPACE namespace", () => {
    expect(source).toContain(`kubectl port-forward svc/matchbox ${MATCHBOX_RPC_PORT}:${MATCHBOX_RPC_PORT} -n "$MATCHBOX_NAMESPACE"`);
    expect(source).toContain(`/dev/tcp/127.0.0.1/${MATCHBOX_RPC_PORT}`);
    expect(source.startsWith("#!/usr/bin/env bash\n")).toBe(true);
  });

  /** Runs the script with a fake kubectl first on PATH; the fake records its arguments. */
  function withFakeKubectl(fake: string, env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "netboot-port-forward-"));
    const kubectl = join(dir, "kubectl");
    writeFileSync(kubectl, `#!/usr/bin/env bash\necho "$*" >> "${dir}/calls"\n${fake}\n`);
    chmodSync(kubectl, 0o755);
    const result = spawnSync("bash", [script], {
      encoding: "utf8",
      timeout: 30_000,
      env: { PATH: `${dir}:${process.env.PATH}`, PORT_FORWARD_LOG: join(dir, "log"), HOME: dir, ...env },
    });
    const calls = (() => {
      try {
        return readFileSync(join(dir, "calls"), "utf8").trim().split("\n");
      } catch {
        return [];
      }
    })();
    return { result, calls, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  // Something already listening on the port would (rightly) look like a working forward to the script.
  const portBusy = spawnSync("bash", ["-c", `(exec 3<>/dev/tcp/127.0.0.1/${MATCHBOX_RPC_PORT}) 2>/dev/null`]).status === 0;
  const portTest = portBusy ? test.skip : test;
  const busyNote = portBusy ? `SKIPPED: 127.0.0.1:${MATCHBOX_RPC_PORT} is in use on this machine, so ` : "";

  test("refuses to start without MATCHBOX_NAMESPACE", () => {
    const { result, calls, cleanup } = withFakeKubectl("exit 1", {});
    cleanup();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("MATCHBOX_NAMESPACE is not set");
    expect(calls).toEqual([]);
  });

  portTest(`${busyNote}gives up after a bounded number of attempts, showing kubectl's reason each time`, () => {
    const started = Date.now();
    const { result, calls, cleanup } = withFakeKubectl('echo "error: unable to forward port because pod is not running" >&2; exit 1', {
      MATCHBOX_NAMESPACE: "netboot-matchbox",
      PORT_FORWARD_ATTEMPTS: "3",
      PORT_FORWARD_WAIT_SECONDS: "2",
      PORT_FORWARD_BACKOFF_SECONDS: "0",
    });
    cleanup();
    expect(result.status).toBe(1);
    expect(calls).toEqual(Array(3).fill(`port-forward svc/matchbox ${MATCHBOX_RPC_PORT}:${MATCHBOX_RPC_PORT} -n netboot-matchbox`));
    expect(result.stderr.match(/pod is not running/g)).toHaveLength(3);
    expect(result.stderr).toContain("gave up after 3 attempts");
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  portTest(`${busyNote}succeeds as soon as the forwarded port answers, leaving the forward running`, () => {
    // A stand-in for kubectl that listens on the port, and ends by itself after 20 s at most.
    const listener = `exec node -e 'const s = require("net").createServer((c) => c.end()).listen(${MATCHBOX_RPC_PORT}, "127.0.0.1"); setTimeout(() => process.exit(0), 20000);'`;
    const { result, calls, cleanup } = withFakeKubectl(listener, {
      MATCHBOX_NAMESPACE: "netboot-matchbox",
      PORT_FORWARD_ATTEMPTS: "2",
      PORT_FORWARD_WAIT_SECONDS: "10",
      PORT_FORWARD_BACKOFF_SECONDS: "0",
    });
    try {
      expect(result.status).toBe(0);
      expect(calls).toHaveLength(1);
      const pid = Number(/port-forward ready: pid (\d+)/.exec(result.stdout)?.[1]);
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 0); // still running
      process.kill(pid);
    } finally {
      cleanup();
    }
  });
});

const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
const hasShellcheck = shellcheck.status === 0;

(hasShellcheck ? test : test.skip)(
  hasShellcheck
    ? "shellcheck finds nothing in the workflows' run scripts and .github/scripts/*.sh"
    : "SKIPPED: shellcheck not installed (Debian package shellcheck; .ci/run installs it), so the run: scripts and .github/scripts were not linted",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-shellcheck-"));
    try {
      const scripts: string[] = readdirSync(SCRIPT_DIR)
        .filter((f) => f.endsWith(".sh"))
        .map((f) => join(SCRIPT_DIR, f));
      expect(scripts).toContain(join(REPO, PORT_FORWARD_SCRIPT));
      for (const file of FILES) {
        allSteps(workflow(file)).forEach((step, i) => {
          if (!step.run) return;
          const path = join(dir, `${file}.${i}.sh`);
          // GitHub runs `run:` with `bash -e {0}`.
          writeFileSync(path, `#!/usr/bin/env bash\nset -e\n${step.run}`);
          scripts.push(path);
        });
      }
      const result = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", ...scripts], { encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

(hasShellcheck ? test : test.skip)("shellcheck's verdict can fail (a known-bad script is flagged)", () => {
  const dir = mkdtempSync(join(tmpdir(), "netboot-shellcheck-bad-"));
  try {
    const bad = join(dir, "bad.sh");
    writeFileSync(bad, '#!/usr/bin/env bash\nrm -rf $DIR/*\n');
    expect(spawnSync("shellcheck", ["--format=gcc", bad], { encoding: "utf8" }).status).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Issue #13: the Kubernetes provider authenticates with gke-gcloud-auth-plugin, installed explicitly.
const SETUP_GCLOUD = "google-github-actions/setup-gcloud";
const installsPlugin = (s: Step) =>
  s.uses?.startsWith(`${SETUP_GCLOUD}@`) === true && String(s.with?.install_components ?? "").split(",").map((c) => c.trim()).includes("gke-gcloud-auth-plugin");

describe("gke-gcloud-auth-plugin for the boot-server stack's Kubernetes provider", () => {
  const cases: { file: string; job: string; command: RegExp }[] = [
    { file: "deploy.yml", job: "deploy", command: /cdktf deploy boot-server/ },
    { file: "pull-request.yml", job: "diff", command: /cdktf diff "\$stack"/ },
    { file: "drift.yml", job: "drift", command: /cdktf diff "\$stack"/ },
  ];
  test.each(cases)("$file $job: installed (setup-gcloud, pinned SDK version) after the identity is assumed and before boot-server is planned or applied", ({ file, job, command }) => {
    const steps = workflow(file).jobs[job].steps;
    const install = steps.findIndex(installsPlugin);
    const auth = steps.findIndex((s) => s.uses?.startsWith("google-github-actions/auth@"));
    const runs = steps.findIndex((s) => command.test(s.run ?? ""));
    expect(install).toBeGreaterThan(auth);
    expect(runs).toBeGreaterThan(install);
    // A fixed SDK version, not "latest": the job holds a cloud identity.
    expect(String(steps[install].with?.version)).toMatch(/^\d+\.\d+\.\d+$/);
    expect(steps[install].with?.skip_install).toBeUndefined();
  });

  test("no workflow reads a token for Terraform from gcloud or passes one in the environment", () => {
    for (const file of FILES) expect({ file, token: /print-access-token|KUBE_TOKEN|access_token/.test(text(file)) }).toEqual({ file, token: false });
  });
});

describe("drift.yml", () => {
  const wf = workflow("drift.yml");
  const job = wf.jobs.drift;
  const failStep = job.steps.find((s) => s.name?.startsWith("Fail on drift"))!;

  test("runs weekly and by hand, from main only", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const crons = (wf.on.schedule as { cron: string }[]).map((s) => s.cron);
    expect(crons).toHaveLength(1);
    // minute hour * * weekday: once a week.
    expect(crons[0]).toMatch(/^\d{1,2} \d{1,2} \* \* [0-6]$/);
    expect(job.if).toBe("github.ref == 'refs/heads/main'");
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(job.concurrency).toBeUndefined();
    expect((wf as any).concurrency).toEqual({ group: "drift", "cancel-in-progress": false });
  });

  test("uses the read-only plan identity in the plan environment, no dependency cache", () => {
    expect(job.environment).toBe("plan");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(usesOf(job, "google-github-actions/auth").map((s) => s.with?.service_account)).toEqual(["${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}"]);
    expect(usesOf(job, "actions/setup-node")[0].with?.["package-manager-cache"]).toBe(false);
  });

  test("diffs network, gke and boot-server without the state lock; never matchbox-config, never a port-forward", () => {
    expectStacksFromCheckDeployable(job);
    const diff = job.steps.find((s) => s.run?.includes('cdktf diff "$stack"'))!;
    expect(diff.env?.TF_CLI_ARGS_plan).toBe("-lock=false");
    expect(diff.run).toContain("show -json plan");
    const all = JSON.stringify(job);
    expect(all).not.toContain("matchbox-config");
    expect(all).not.toMatch(/port-forward|kubectl/);
    expect(usesOf(job, "google-github-actions/get-gke-credentials")).toEqual([]);
  });

  /** Runs the failing step's script on plans written as cdktf diff would leave them. */
  function judge(plans: Record<string, unknown | "failed">, stacks = PR_DIFF_STACKS.join(" ")) {
    const dir = mkdtempSync(join(tmpdir(), "netboot-drift-"));
    try {
      for (const stack of PR_DIFF_STACKS) {
        const plan = plans[stack] ?? { resource_changes: [] };
        writeFileSync(join(dir, `${stack}.rc`), plan === "failed" ? "1\n" : "0\n");
        if (plan !== "failed") writeFileSync(join(dir, `${stack}.plan.json`), JSON.stringify(plan));
      }
      // As GitHub runs a `run:` step: bash --noprofile --norc -eo pipefail.
      const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", failStep.run!], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: dir, DIFF_DIR: dir, STACKS: stacks },
      });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const change = (type: string, name: string, actions: string[]) => ({ address: `${type}.${name}`, type, change: { actions } });
  const hasJq = spawnSync("jq", ["--version"]).status === 0;
  const jqTest = hasJq ? test : test.skip;
  const noJq = hasJq ? "" : "SKIPPED: jq not installed (GitHub's runners have it), so ";

  test("fails when check-deployable named no stacks (it refused the site): nothing checked is no pass", () => {
    const r = judge({}, "");
    expect(r.status).toBe(1);
    expect(r.out).toContain("no stacks to check: check-deployable did not name them");
  });

  jqTest(`${noJq}passes when every stack plans no change (reads are not changes)`, () => {
    const r = judge({ gke: { resource_changes: [change("google_container_cluster", "c", ["no-op"]), change("data.google_container_cluster", "e", ["read"])] } });
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  jqTest(`${noJq}fails loudly when a Matchbox certificate is due for renewal (the tls provider plans its replacement)`, () => {
    const r = judge({ "boot-server": { resource_changes: [change("tls_locally_signed_cert", "matchbox-tls_server-cert_B7E1D94D", ["delete", "create"])] } });
    expect(r.status).toBe(1);
    expect(r.out).toContain("::error title=Matchbox certificates due for renewal::boot-server: tls_locally_signed_cert.matchbox-tls_server-cert_B7E1D94D");
    expect(r.out).toContain("run the deploy workflow");
  });

  jqTest(`${noJq}fails loudly on drift, naming the stack and the change`, () => {
    const r = judge({ network: { resource_changes: [change("google_compute_router_nat", "nat", ["update"])] } });
    expect(r.status).toBe(1);
    expect(r.out).toContain("::error title=network has drifted::1 planned change(s): update google_compute_router_nat.nat");
  });

  jqTest(`${noJq}fails when a diff failed or left no plan, and warns about changes made outside Terraform`, () => {
    const failed = judge({ gke: "failed" });
    expect(failed.status).toBe(1);
    expect(failed.out).toContain("cdktf diff of gke failed or did not run");
    const outside = judge({ gke: { resource_changes: [], resource_drift: [{ address: "google_container_cluster.c" }] } });
    expect(outside.status).toBe(0);
    expect(outside.out).toContain("::warning title=gke changed outside Terraform::google_container_cluster.c");
  });
});

// Issue #22: the boot windows close through one reviewed pull request, opened by an identity that cannot deploy.
describe("close-boot-windows.yml", () => {
  const wf = workflow("close-boot-windows.yml");
  const { status, "pull-request": pr, discovery } = wf.jobs;

  test("runs daily and by hand, from main only, one run at a time", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const crons = (wf.on.schedule as { cron: string }[]).map((c) => c.cron);
    expect(crons).toHaveLength(1);
    expect(crons[0]).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(wf.permissions).toEqual({ contents: "read" });
    expect((wf as any).concurrency).toEqual({ group: "close-boot-windows", "cancel-in-progress": false });
    for (const job of [status, pr]) expect(job.if).toBe("github.ref == 'refs/heads/main'");
    expect(discovery.if).toBe("github.ref == 'refs/heads/main' && needs.status.outputs.discovery == 'true'");
  });

  test("status: the read-only plan identity in the plan environment reads Cloud Logging, with the whole history; no write token, no cluster", () => {
    expect(status.environment).toBe("plan");
    expect(status.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(usesOf(status, "google-github-actions/auth").map((s) => s.with?.service_account)).toEqual(["${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}"]);
    expect(usesOf(status, "actions/checkout")[0].with?.["fetch-depth"]).toBe(0);
    expect(usesOf(status, "actions/setup-node")[0].with?.["package-manager-cache"]).toBe(false);
    expect(runsOf(status)).toContain("npm run --silent boot-status -- --source logging --json --save-status \"$STATUS\" > \"$REPORT\"");
    // Whether discovery is on comes from the site, through check-deployable.
    expect((status as any).outputs).toEqual({ discovery: "${{ steps.site.outputs.discovery }}" });
    expect(JSON.stringify(status)).not.toMatch(/port-forward|kubectl|get-gke-credentials|GH_TOKEN|github\.token/);
  });

  test("pull-request: GITHUB_TOKEN with contents and pull-requests write only; no environment, no OIDC, no cloud identity", () => {
    expect(pr.needs).toBe("status");
    expect(pr.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(pr.environment).toBeUndefined();
    expect(usesOf(pr, "google-github-actions/auth")).toEqual([]);
    expect(JSON.stringify(pr)).not.toMatch(/id-token|GCP_|cdktf deploy|terraform/);
    // The token reaches only the step that pushes and opens the pull request.
    const withToken = pr.steps.filter((s) => JSON.stringify(s).includes("github.token"));
    expect(withToken.map((s) => s.run?.trim())).toEqual(['MACHINE_NAMES="$(cat "$CLOSED_FILE")" bash .github/scripts/open-inventory-pr.sh']);
    expect(withToken[0].env?.GH_TOKEN).toBe("${{ github.token }}");
  });

  test("pull-request: edits the site's inventory, writes the body with boot-diff against the checked-out main, then opens the pull request, in that order", () => {
    const runs = pr.steps.map((s) => s.run ?? "");
    const annotate = runs.findIndex((r) => r.includes("close-boot-windows.js annotations"));
    const edit = runs.findIndex((r) => r.includes("close-boot-windows.js edit \"$INVENTORY_FILE\""));
    const diff = runs.findIndex((r) => r.includes("npm run --silent boot-diff -- --base HEAD --markdown"));
    const open = runs.findIndex((r) => r.includes("open-inventory-pr.sh"));
    expect(annotate).toBeGreaterThanOrEqual(0);
    expect(edit).toBeGreaterThan(annotate);
    expect(diff).toBe(edit);
    expect(runs[edit].indexOf("edit")).toBeLessThan(runs[edit].indexOf("boot-diff"));
    expect(open).toBeGreaterThan(edit);
    for (const i of [edit, open]) expect(pr.steps[i].env?.INVENTORY_FILE).toBe("${{ steps.site.outputs.inventory_file }}");
  });

  test("discovery: GITHUB_TOKEN with contents and pull-requests write only, after the status; no environment, no OIDC, no cloud identity", () => {
    expect(discovery.needs).toBe("status");
    expect(discovery.permissions).toEqual({ contents: "write", "pull-requests": "write" });
    expect(discovery.environment).toBeUndefined();
    expect(usesOf(discovery, "google-github-actions/auth")).toEqual([]);
    expect(JSON.stringify(discovery)).not.toMatch(/id-token|GCP_|cdktf deploy|terraform|talosctl/);
    const withToken = discovery.steps.filter((s) => JSON.stringify(s).includes("github.token"));
    expect(withToken.map((s) => s.run?.trim())).toEqual(['MACHINE_NAMES="$(cat "$NAMES_FILE")" bash .github/scripts/open-inventory-pr.sh']);
    expect(withToken[0].env).toMatchObject({ GH_TOKEN: "${{ github.token }}", PR_KIND: "discovery", INVENTORY_FILE: "${{ steps.site.outputs.inventory_file }}" });
  });

  test("discovery: lists, names, appends, diffs against the checked-out main and writes the body from the saved status, in that order, then opens the pull request", () => {
    const runs = discovery.steps.map((s) => s.run ?? "");
    const edit = runs.findIndex((r) => r.includes("npm run --silent discovered -- --status \"$STATUS\" --append"));
    expect(edit).toBeGreaterThanOrEqual(0);
    const order = ["discovered -- --status \"$STATUS\" --json", "discovery-pr.js names", "--append", "boot-diff -- --base HEAD --markdown", "discovery-pr.js body"].map((t) => runs[edit].indexOf(t));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(discovery.steps[edit].env?.STATUS).toBe("${{ runner.temp }}/boot-status/status.json");
    // The artifact the status job uploads holds the saved status.
    const uploaded = usesOf(status, "actions/upload-artifact")[0].with?.path as string;
    expect(uploaded.split("\n").map((l) => l.trim())).toContain("${{ runner.temp }}/boot-status/status.json");
    expect(runs.findIndex((r) => r.includes("open-inventory-pr.sh"))).toBeGreaterThan(edit);
  });

  test("no other workflow may write contents or pull requests except the two pull-request jobs of close-boot-windows", () => {
    for (const file of FILES) {
      for (const [id, job] of Object.entries(workflow(file).jobs)) {
        if (job.permissions?.contents === "write") expect([["close-boot-windows.yml", "pull-request"], ["close-boot-windows.yml", "discovery"]]).toContainEqual([file, id]);
      }
    }
  });
});

// Issue #13, part 5: something proposes updates for every ecosystem this repository pins.
describe("renovate.json covers GitHub Actions, npm, container images, Terraform providers and Talos", () => {
  interface CustomManager {
    customType: string;
    managerFilePatterns: string[];
    matchStrings: string[];
    datasourceTemplate?: string;
    depNameTemplate?: string;
  }
  const config = JSON.parse(readFileSync(join(REPO, "renovate.json"), "utf8")) as {
    enabledManagers: string[];
    packageRules: { matchManagers?: string[]; matchDatasources?: string[]; pinDigests?: boolean; automerge?: boolean }[];
    customManagers: CustomManager[];
    automerge?: boolean;
  };
  const fileRegex = (pattern: string) => {
    const m = /^\/(.*)\/$/.exec(pattern);
    if (!m) throw new Error(`managerFilePatterns entry ${pattern} is not a /regex/`);
    return new RegExp(m[1]);
  };
  /** Every dependency the custom managers extract from `content` (a file at repository path `path`). */
  const extract = (path: string, content: string) =>
    config.customManagers
      .filter((m) => m.managerFilePatterns.some((p) => fileRegex(p).test(path)))
      .flatMap((m) =>
        m.matchStrings.flatMap((s) =>
          [...content.matchAll(new RegExp(s, "g"))].map(
            (hit): Record<string, string | undefined> => ({ ...hit.groups, datasource: m.datasourceTemplate, depName: m.depNameTemplate ?? hit.groups?.depName }),
          ),
        ),
      );

  test("GitHub Actions and npm by their own managers, never automerged; actions and images pinned by digest", () => {
    expect(config.enabledManagers).toEqual(expect.arrayContaining(["github-actions", "npm", "custom.regex"]));
    expect(config.automerge).toBe(false);
    expect(config.packageRules.some((r) => r.matchManagers?.includes("github-actions") && r.pinDigests)).toBe(true);
    expect(config.packageRules.some((r) => r.matchDatasources?.includes("docker") && r.pinDigests)).toBe(true);
    expect(config.packageRules.every((r) => r.automerge !== true)).toBe(true);
  });

  test("every container image constant in the code is extracted with its tag (and digest where pinned)", () => {
    const sources = readdirSync(join(REPO, "constructs"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `constructs/${f}`);
    const constants = sources.flatMap((path) => [...readFileSync(join(REPO, path), "utf8").matchAll(/export const \w+_IMAGE = "([^"]+)"/g)].map((m) => ({ path, image: m[1] })));
    expect(constants.length).toBeGreaterThanOrEqual(3);
    for (const { path, image } of constants) {
      const deps = extract(path, readFileSync(join(REPO, path), "utf8")).filter((d) => d.datasource === "docker");
      const [name, tagAndDigest] = [image.slice(0, image.indexOf(":")), image.slice(image.indexOf(":") + 1)];
      const [tag, digest] = tagAndDigest.split("@");
      expect({ image, found: deps.filter((d) => d.depName === name && d.currentValue === tag && d.currentDigest === digest).length }).toEqual({ image, found: 1 });
    }
  });

  test("every Terraform provider of cdktf.json is extracted", () => {
    const cdktf = readFileSync(join(REPO, "cdktf.json"), "utf8");
    const providers = (JSON.parse(cdktf).terraformProviders as string[]).map((p) => p.split("@")[0]);
    expect(providers.length).toBeGreaterThan(0);
    const deps = extract("cdktf.json", cdktf).filter((d) => d.datasource === "terraform-provider");
    expect(deps.map((d) => d.depName).sort()).toEqual([...providers].sort());
  });

  test("the workflows' Terraform CLI version is extracted", () => {
    for (const file of FILES.filter((f) => text(f).includes("terraform_version:"))) {
      const deps = extract(`.github/workflows/${file}`, text(file)).filter((d) => d.depName === "hashicorp/terraform");
      expect({ file, versions: deps.length > 0 && deps.every((d) => /^\d+\.\d+\.\d+$/.test(d.currentValue ?? "")) }).toEqual({ file, versions: true });
    }
  });

  test("Talos: talos.version of a site file is extracted (shown on the tests' own fixture, in a site file's path)", () => {
    const fixture = readFileSync(join(REPO, "test/fixtures/site/site.yaml"), "utf8");
    const version = (parse(fixture) as { talos: { version: string } }).talos.version;
    const deps = extract("sites/home.yaml", fixture).filter((d) => d.depName === "siderolabs/talos");
    expect(deps.map((d) => d.currentValue)).toEqual([version]);
    // kubernetesVersion is not mistaken for it.
    expect(extract("sites/home.yaml", "talos:\n  kubernetesVersion: v1.36.3\n  version: v1.13.9\n").map((d) => d.currentValue)).toEqual(["v1.13.9"]);
  });
});

// The pull-request `diff` job before the first deploy (issue 25): a stack whose
// plan reads the state of a stack never deployed is skipped with the reason in
// the job summary, never a red check. The job's own steps run here, in order,
// on the fixture site's real synthesized stacks (GCS state), with stand-ins for
// gcloud (which state objects exist), npm and npx (cdktf diff) first on PATH.
describe("pull-request diff job before the first deploy (plan-inputs.js)", () => {
  const diffJob = workflow("pull-request.yml").jobs.diff;
  const stepRun = (name: string) => {
    const step = diffJob.steps.find((s) => s.name === name);
    if (!step?.run) throw new Error(`no step "${name}" with a run script in the diff job`);
    return step.run;
  };
  const root = mkdtempSync(join(tmpdir(), "netboot-diff-job-"));
  const BUCKET = "nbfix-state";
  synthesizeApp(fixtureSiteFrom((v) => (v.state = { backend: "gcs", bucket: BUCKET, prefix: "netboot" })), root);
  symlinkSync(join(REPO, ".github"), join(root, ".github"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function runJob(gcloud: string) {
    const bin = mkdtempSync(join(tmpdir(), "netboot-diff-bin-"));
    const diffDir = join(bin, "diff");
    mkdirSync(diffDir);
    const tool = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    tool("gcloud", `echo "$*" >> "${bin}/gcloud.calls"\n${gcloud}`);
    tool("npm", "exit 0");
    tool("npx", `echo "$*" >> "${bin}/npx.calls"\necho "No changes. Your infrastructure matches the configuration."`);
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: bin, STACKS: PLAN_STACKS.join(" "), DIFF_DIR: diffDir, GITHUB_STEP_SUMMARY: join(bin, "summary.md"), SITE_FILE: "sites/home.yaml" };
    const step = (name: string) => spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", stepRun(name)], { cwd: root, encoding: "utf8", env, timeout: 60_000 });
    const diffStep = step("cdktf diff, stack by stack");
    const summary = step("Write the diffs to the job summary");
    const verdict = step("Fail when a diff failed");
    const read = (f: string) => (existsSync(join(bin, f)) ? readFileSync(join(bin, f), "utf8") : "");
    const result = { diffStep, summary, verdict, npx: read("npx.calls").trim().split("\n").filter(Boolean), gcloud: read("gcloud.calls"), summaryText: read("summary.md") };
    rmSync(bin, { recursive: true, force: true });
    return result;
  }
  const NOT_FOUND = 'echo "ERROR: (gcloud.storage.objects.describe) NotFoundError: 404 $3 not found" >&2; exit 1';

  test("no state yet: network is planned, gke and boot-server are skipped with the reason, and the check passes", () => {
    const r = runJob(NOT_FOUND);
    expect(r.diffStep.status).toBe(0);
    expect(r.npx).toEqual(["cdktf diff network --skip-synth"]);
    expect(r.gcloud).toContain(`storage objects describe gs://${BUCKET}/netboot/network/default.tfstate`);
    expect(r.summaryText).toMatch(/\| `gke` \| skipped: not planned: `network` has no state yet \(gs:\/\/nbfix-state\/netboot\/network\/default\.tfstate does not exist\)/);
    expect(r.summaryText).toMatch(/\| `boot-server` \| skipped: not planned: .*`network`.* no state yet/);
    expect(r.summaryText).toContain("| `network` | No changes |");
    expect(r.diffStep.stdout).toContain("::notice title=gke not planned::");
    expect(r.verdict.status).toBe(0);
  });

  test("once deployed: every stack is planned", () => {
    const r = runJob("exit 0");
    expect(r.npx).toEqual(PLAN_STACKS.map((s) => `cdktf diff ${s} --skip-synth`));
    expect(r.summaryText).not.toContain("skipped");
    expect(r.verdict.status).toBe(0);
  });

  test("a state read that fails for another reason (403) is a failure, never a skip", () => {
    const r = runJob('echo "ERROR: (gcloud.storage.objects.describe) HTTPError 403: plan@p.iam.gserviceaccount.com does not have storage.objects.get access" >&2; exit 1');
    expect(r.npx).toEqual(["cdktf diff network --skip-synth"]);
    expect(r.summaryText).toMatch(/\| `gke` \| \*\*failed\*\* \(exit 1/);
    expect(r.summaryText).toContain("does not have storage.objects.get access");
    expect(r.verdict.status).toBe(1);
    expect(r.verdict.stdout).toContain("::error::cdktf diff failed for: gke boot-server");
  });
});
