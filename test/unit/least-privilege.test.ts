// The deploy identity's roles (docs/runbook.md 1.5, the table between
// <!-- deploy-roles:begin --> and <!-- deploy-roles:end -->) against what the
// stacks really use: every resource type, data source, provider and state
// backend of every stack of the tests' own fixture site needs a documented
// role (or a `none` row), and every documented role must be needed by
// something. Issue #13: no project-wide iam.serviceAccountAdmin,
// iam.serviceAccountUser or secretmanager.admin.
//
// This checks the documentation against the code. Whether GCP grants what the
// table says (IAM itself) cannot be tested here: docs/runbook.md 4 lists it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";
import { synthesizedStacks } from "../support/app-run";

const RUNBOOK = readFileSync(join(REPO_ROOT, "docs/runbook.md"), "utf8");

interface RoleRow {
  /** `roles/...`, or "none" for types that need no Google role. */
  readonly role: string;
  /** Where it is granted: "project", "project, with the condition below", a bucket, an account, a secret. */
  readonly grantedOn: string;
  /** Terraform types; `*` at the end matches any suffix. */
  readonly types: readonly string[];
}

/** The machine-readable table of the runbook. */
function documentedRoles(runbook: string): RoleRow[] {
  const m = /<!-- deploy-roles:begin -->\n([\s\S]*?)\n<!-- deploy-roles:end -->/.exec(runbook);
  if (!m) throw new Error("docs/runbook.md has no <!-- deploy-roles:begin --> ... <!-- deploy-roles:end --> table");
  const lines = m[1].split("\n").filter((l) => l.startsWith("|"));
  const [header, separator, ...rows] = lines;
  expect(header).toBe("| role | granted on | Terraform types it is needed for |");
  expect(separator).toMatch(/^\|( ?-+ ?\|){3}$/);
  return rows.map((line) => {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3) throw new Error(`the roles table's row has ${cells.length} cells, not 3: ${line}`);
    const role = cells[0] === "none" ? "none" : /^`(roles\/[\w.]+)`$/.exec(cells[0])?.[1];
    if (!role) throw new Error(`not a role: ${cells[0]}`);
    // Only what looks like a Terraform type; permissions (`iam.serviceAccounts.actAs`) and names are prose.
    const types = [...cells[2].matchAll(/`((?:data\.|provider\.|backend\.)?[a-z][a-z0-9_]*\*?)`/g)].map((t) => t[1]);
    return { role, grantedOn: cells[1], types };
  });
}

const matches = (pattern: string, type: string) => (pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern);

/** Every type a stack uses, as `<resource type>`, `data.<type>`, `provider.<name>`, `backend.<name>`, with the stacks using it. */
async function usedTypes(): Promise<Map<string, Set<string>>> {
  const variants = await Promise.all([
    synthesizedStacks(),
    synthesizedStacks((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" })),
    synthesizedStacks((v) => {
      v.state = { backend: "gcs", bucket: "nbfix-terraform-state", prefix: "nbfix" };
      v.observability = { ...v.observability, alertOnUnknownMac: true };
    }),
  ]);
  const used = new Map<string, Set<string>>();
  const add = (type: string, stack: string) => used.set(type, (used.get(type) ?? new Set()).add(stack));
  for (const stacks of variants) {
    for (const [stack, json] of Object.entries(stacks)) {
      for (const type of Object.keys(json.resource ?? {})) add(type, stack);
      for (const type of Object.keys(json.data ?? {})) add(`data.${type}`, stack);
      for (const name of Object.keys(json.provider ?? {})) add(`provider.${name}`, stack);
      // A local backend is the example's and the tests'; CI refuses to deploy with it.
      for (const name of Object.keys(json.terraform?.backend ?? {})) if (name !== "local") add(`backend.${name}`, stack);
    }
  }
  return used;
}

describe("the deploy identity's documented roles match what the stacks create", () => {
  const rows = documentedRoles(RUNBOOK);
  let used: Map<string, Set<string>>;
  beforeAll(async () => {
    used = await usedTypes();
  }, 60_000);

  test("the table parses, and each role has one row", () => {
    expect(rows.length).toBeGreaterThan(5);
    const roles = rows.map((r) => r.role);
    expect(new Set(roles).size).toBe(roles.length);
    // The synthesized app really has what the variants should bring in.
    expect([...used.keys()]).toEqual(expect.arrayContaining(["backend.gcs", "data.google_container_cluster", "google_monitoring_alert_policy", "provider.kubernetes"]));
  });

  test("every resource type, data source, provider and backend the stacks use has a documented role (or a `none` row)", () => {
    const undocumented = [...used.entries()].filter(([type]) => !rows.some((r) => r.types.some((p) => matches(p, type)))).map(([type, stacks]) => `${type} (${[...stacks].join(", ")})`);
    expect(undocumented).toEqual([]);
  });

  test("every documented role is needed: each of its types is used by some stack", () => {
    const stale = rows.flatMap((r) => r.types.filter((p) => ![...used.keys()].some((type) => matches(p, type))).map((p) => `${r.role}: ${p}`));
    expect(stale).toEqual([]);
    for (const r of rows.filter((row) => row.role !== "none")) expect({ role: r.role, types: r.types.length > 0 }).toEqual({ role: r.role, types: true });
  });

  test("no project-wide service-account or Secret Manager admin: those roles are granted on the objects themselves", () => {
    const objectLevelOnly = ["roles/iam.serviceAccountAdmin", "roles/iam.serviceAccountUser", "roles/secretmanager.admin", "roles/iam.serviceAccountTokenCreator"];
    for (const r of rows.filter((row) => objectLevelOnly.includes(row.role))) {
      expect({ role: r.role, grantedOn: r.grantedOn }).toEqual({ role: r.role, grantedOn: expect.not.stringMatching(/^project/) });
      expect(r.grantedOn).toMatch(/^the (node )?(service accounts?|secret) /);
    }
    expect(rows.map((r) => r.role)).not.toEqual(expect.arrayContaining(["roles/owner"]));
    expect(rows.map((r) => r.role)).not.toEqual(expect.arrayContaining(["roles/editor"]));
  });

  test("the bootstrap commands grant exactly the documented roles, each where the table says", () => {
    // The deploy identity's bindings are the commands with `serviceAccount:$DEPLOY_SA`.
    const projectLoop = /for role in ([^;]+); do\s*\n\s*gcloud projects add-iam-policy-binding "\$PROJECT" --member "serviceAccount:\$DEPLOY_SA" --role "\$role"/.exec(RUNBOOK);
    expect(projectLoop).not.toBeNull();
    const loopRoles = projectLoop![1].split(/[\s\\]+/).filter(Boolean);
    const projectRows = rows.filter((r) => r.grantedOn === "project").map((r) => r.role);
    expect([...loopRoles].sort()).toEqual([...projectRows].sort());

    const conditional = rows.filter((r) => r.grantedOn.startsWith("project, with the condition"));
    expect(conditional.map((r) => r.role)).toEqual(["roles/resourcemanager.projectIamAdmin"]);
    expect(RUNBOOK).toMatch(/gcloud projects add-iam-policy-binding "\$PROJECT" \\\n\s+--member "serviceAccount:\$DEPLOY_SA" --role roles\/resourcemanager\.projectIamAdmin \\\n\s+--condition "\^;\^title=netboot-node-roles-only;expression=/);

    const grants = (command: string, role: string) => new RegExp(`gcloud ${command} add-iam-policy-binding [^\\n]*\\n?[^\\n]*--member "serviceAccount:\\$DEPLOY_SA" --role ${role.replace(/\./g, "\\.")}`).test(RUNBOOK);
    for (const r of rows.filter((row) => /^the (node )?service accounts? /.test(row.grantedOn))) expect({ role: r.role, onAccount: grants("iam service-accounts", r.role) }).toEqual({ role: r.role, onAccount: true });
    for (const r of rows.filter((row) => row.grantedOn.startsWith("the secret"))) expect({ role: r.role, onSecret: grants("secrets", r.role) }).toEqual({ role: r.role, onSecret: true });
    for (const r of rows.filter((row) => row.grantedOn === "the state bucket")) expect({ role: r.role, onBucket: grants("storage buckets", r.role) }).toEqual({ role: r.role, onBucket: true });
  });

  test("no command in the runbook grants the deploy identity a project-wide service-account or Secret Manager admin role", () => {
    const projectGrants = [...RUNBOOK.matchAll(/gcloud projects add-iam-policy-binding[^\n]*(?:\\\n[^\n]*)*/g)].map((m) => m[0]).filter((c) => c.includes("$DEPLOY_SA"));
    expect(projectGrants.length).toBeGreaterThan(0);
    for (const command of projectGrants) expect(command).not.toMatch(/roles\/(iam\.serviceAccount(Admin|User)|secretmanager\.admin)\b/);
  });

  test("the table check can fail: an undocumented type and an unused role are found", () => {
    const withoutNetwork = documentedRoles(RUNBOOK.replace(/\n\| `roles\/compute\.networkAdmin` .*\|/, ""));
    expect([...used.keys()].filter((type) => !withoutNetwork.some((r) => r.types.some((p) => matches(p, type))))).toContain("google_compute_network");
    const withExtra = documentedRoles(RUNBOOK.replace("<!-- deploy-roles:end -->", "| `roles/dns.admin` | project | `google_dns_managed_zone` |\n<!-- deploy-roles:end -->"));
    expect(withExtra.flatMap((r) => r.types.filter((p) => ![...used.keys()].some((type) => matches(p, type))))).toEqual(["google_dns_managed_zone"]);
  });
});
