import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { STACK_ORDER } from "../../stacks";
import { MATCHBOX_NAMESPACE } from "../../stacks/boot-server-stack";
import { MATCHBOX_RPC_PORT } from "../../lib/wireguard/render";

const WORKFLOW_DIR = join(__dirname, "../../.github/workflows");
const FILES = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));

/** The final stack ids in deploy order (stacks/index.ts STACK_ORDER grows into this). */
const DEPLOY_ORDER = ["network", "gke", "boot-server", "matchbox-config"];

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
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(join(WORKFLOW_DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const allSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);

interface PlanCommentModule {
  MARKER: string;
  MAX_BODY: number;
  summarize(output: string, exitCode?: number, skipReason?: string): { status: string; line: string; counts?: Record<string, number> };
  buildComment(input: { stacks: { name: string; output: string; exitCode?: number; skipReason?: string }[]; site?: string; sha?: string; note?: string }): string;
  upsertComment(github: any, context: any, body: string): Promise<void>;
}
// Plain JS so actions/github-script can load it without a build step.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const planComment = require("../../.github/scripts/plan-comment.js") as PlanCommentModule;

test("both workflows exist", () => {
  expect(FILES.sort()).toEqual(expect.arrayContaining(["deploy.yml", "pull-request.yml"]));
});

describe.each(FILES)("%s", (file) => {
  test("is valid against the GitHub workflow schema", () => {
    expect(validateWorkflow(text(file)).errors).toEqual([]);
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

test.each(FILES)("%s port-forwards to the Matchbox Service the boot-server stack creates", (file) => {
  const wf = workflow(file);
  const forwards = allSteps(wf).filter((s) => s.run?.includes("kubectl port-forward svc/"));
  expect(forwards.length).toBeGreaterThan(0);
  for (const s of forwards) expect(s.run).toContain(`kubectl port-forward svc/matchbox ${MATCHBOX_RPC_PORT}:${MATCHBOX_RPC_PORT} -n "$MATCHBOX_NAMESPACE"`);
  const namespaces = Object.values(wf.jobs).filter((j) => j.env?.MATCHBOX_NAMESPACE).map((j) => j.env!.MATCHBOX_NAMESPACE);
  expect(namespaces).toEqual([MATCHBOX_NAMESPACE]);
});

test("the schema validator rejects a broken workflow (so the check above can fail)", () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    concurrency: { group: x, cancel-in-progress: maybe }\n    steps:\n      - run: true\n";
  expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
});

describe("deploy.yml", () => {
  const wf = workflow("deploy.yml");
  const job = wf.jobs.deploy;

  test("runs on pushes to main only", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
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

  test("refuses example/local sites before any credential is requested", () => {
    const names = job.steps.map((s) => s.run ?? s.uses ?? "");
    const check = names.findIndex((n) => n.includes("check-deployable"));
    const auth = names.findIndex((n) => n.startsWith("google-github-actions/auth@"));
    expect(check).toBeGreaterThanOrEqual(0);
    expect(auth).toBeGreaterThan(check);
  });

  test("queues per site without cancelling a running deploy, behind the production environment", () => {
    expect(job.concurrency).toEqual({ group: "deploy-${{ vars.SITE_CONFIG }}", "cancel-in-progress": false });
    expect(job.environment).toBe("production");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  test("uses the deploy identity, not the plan identity", () => {
    const auth = job.steps.find((s) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(auth?.with?.service_account).toBe("${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}");
  });

  test("reaches Matchbox through a port-forward before deploying matchbox-config", () => {
    const runs = job.steps.map((s) => s.run ?? "");
    const forward = runs.findIndex((r) => r.includes("kubectl port-forward svc/matchbox 8081:8081"));
    const config = runs.findIndex((r) => r.includes("cdktf deploy matchbox-config"));
    expect(forward).toBeGreaterThan(runs.findIndex((r) => r.includes("cdktf deploy boot-server")));
    expect(config).toBeGreaterThan(forward);
  });
});

describe("pull-request.yml", () => {
  const wf = workflow("pull-request.yml");

  test("tests every pull request with inventory validation, tests, synth and plan tests", () => {
    const runs = wf.jobs.test.steps.map((s) => s.run ?? "").join("\n");
    expect(runs).toContain("npm ci");
    expect(runs).toContain("npm run validate -- matchbox-config/machines.yaml");
    expect(runs).toContain("npm test");
    expect(runs).toContain("npm run synth");
    const plan = wf.jobs.test.steps.find((s) => s.run?.includes("--selectProjects plan"));
    expect(plan?.env?.PLAN_TESTS).toBe("1");
    expect(wf.jobs.test.permissions).toBeUndefined();
    expect(wf.permissions).toEqual({ contents: "read" });
  });

  test("only branches of this repository get the plan identity", () => {
    const diff = wf.jobs.diff;
    expect(diff.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(diff.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    const auth = diff.steps.find((s) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(auth?.with?.service_account).toBe("${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}");
    // Forks are told why they get no diff.
    const forkNote = wf.jobs.test.steps.find((s) => s.if?.includes("!= github.repository"));
    expect(forkNote?.run).toContain("GITHUB_STEP_SUMMARY");
  });

  test("diffs every stack in deploy order and posts even after a failure", () => {
    const diff = wf.jobs.diff;
    expect(diff.env?.STACKS.split(" ")).toEqual(DEPLOY_ORDER);
    expect(diff.steps.some((s) => s.run?.includes('cdktf diff "$stack"'))).toBe(true);
    const post = diff.steps.find((s) => s.uses?.startsWith("actions/github-script@"));
    expect(post?.if).toBe("always()");
    expect(String(post?.with?.script)).toContain(".github/scripts/plan-comment.js");
  });
});

describe("plan comment", () => {
  const plan = "network  Plan: 3 to add, 1 to change, 0 to destroy.\n";

  test("summarizes add/change/destroy, no changes, imports and failures", () => {
    expect(planComment.summarize(plan, 0)).toMatchObject({ status: "changes", counts: { add: 3, change: 1, destroy: 0 } });
    expect(planComment.summarize("Plan: 1 to import, 0 to add, 0 to change, 2 to destroy.", 0).line).toBe("1 to import, 0 to add, 0 to change, 2 to destroy :warning:");
    expect(planComment.summarize("\u001b[1mNo changes.\u001b[0m Your infrastructure matches the configuration.", 0).status).toBe("no-changes");
    expect(planComment.summarize(plan, 1).status).toBe("failed");
    expect(planComment.summarize("", undefined).status).toBe("not-run");
    expect(planComment.summarize("", undefined, "no port-forward").line).toBe("skipped: no port-forward");
  });

  test("one body: marker first, a summary line per stack, each plan folded in <details>", () => {
    const body = planComment.buildComment({
      stacks: [
        { name: "network", output: plan, exitCode: 0 },
        { name: "gke", output: "No changes. Your infrastructure matches the configuration.", exitCode: 0 },
      ],
      site: "sites/home.yaml",
      sha: "0123456789abcdef0123",
    });
    expect(body.startsWith(planComment.MARKER)).toBe(true);
    expect(body).toContain("| `network` | 3 to add, 1 to change, 0 to destroy |");
    expect(body).toContain("| `gke` | No changes |");
    expect(body.match(/<details>/g)).toHaveLength(2);
    expect(body).toContain("commit 0123456789ab");
  });

  test("stays under GitHub's comment limit and keeps the end of long plans", () => {
    const huge = `${"x".repeat(200_000)}\nPlan: 1 to add, 0 to change, 0 to destroy.`;
    const body = planComment.buildComment({ stacks: DEPLOY_ORDER.map((name) => ({ name, output: huge, exitCode: 0 })) });
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body.match(/Plan: 1 to add/g)?.length).toBeGreaterThanOrEqual(DEPLOY_ORDER.length);
  });

  test("plan output cannot close the code fence", () => {
    const body = planComment.buildComment({ stacks: [{ name: "network", output: "a ``` b\nNo changes.", exitCode: 0 }] });
    expect(body).toContain("````text");
  });

  test("updates its own earlier comment instead of adding another", async () => {
    const calls: string[] = [];
    const fakeGithub = (existing: any[]) => ({
      paginate: async () => existing,
      rest: {
        issues: {
          listComments: () => undefined,
          updateComment: async (a: any) => void calls.push(`update ${a.comment_id}`),
          createComment: async () => void calls.push("create"),
        },
      },
    });
    const context = { repo: { owner: "o", repo: "r" }, payload: { pull_request: { number: 7 } } };
    const ours = { id: 42, user: { type: "Bot" }, body: `${planComment.MARKER}\nold` };
    const someoneElses = { id: 41, user: { type: "User" }, body: `${planComment.MARKER} quoted` };
    await planComment.upsertComment(fakeGithub([someoneElses, ours]), context, "new");
    await planComment.upsertComment(fakeGithub([someoneElses]), context, "new");
    expect(calls).toEqual(["update 42", "create"]);
  });
});

const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
const hasShellcheck = shellcheck.status === 0;

(hasShellcheck ? test : test.skip)(
  hasShellcheck
    ? "shellcheck finds nothing in the workflows' run scripts"
    : "SKIPPED: shellcheck not installed (Debian package shellcheck; .ci/run installs it), so the run: scripts were not linted",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-shellcheck-"));
    try {
      const scripts: string[] = [];
      for (const file of FILES) {
        allSteps(workflow(file)).forEach((step, i) => {
          if (!step.run) return;
          const path = join(dir, `${file}.${i}.sh`);
          // GitHub runs `run:` with `bash -e {0}`.
          writeFileSync(path, `#!/usr/bin/env bash\nset -e\n${step.run}`);
          scripts.push(path);
        });
      }
      expect(scripts.length).toBeGreaterThan(0);
      const result = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", ...scripts], { encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
