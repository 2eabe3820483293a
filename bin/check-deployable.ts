/**
 * Refuses to deploy a site that must never reach production: the built-in
 * example (its project id and addresses are placeholders) or one with local
 * state (a CI runner's disk is thrown away after the job, and with it the only
 * record of what was created).
 *
 * Usage:
 *   SITE_CONFIG=sites/home.yaml npm run check-deployable
 *   npm run check-deployable -- sites/home.yaml [--github-output]
 *
 * `--github-output` appends the facts the workflows need (project, cluster,
 * state bucket) to the file named by $GITHUB_OUTPUT, so the workflow YAML
 * never re-parses the site file itself.
 *
 * Exit status: 0 deployable, 1 refused or invalid (reasons on stderr).
 */
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { exitOnDataFileError } from "../lib/cli";
import { loadSite, siteFileFromEnv, type LoadedSite, type SiteSettings } from "../lib/settings";

/**
 * The gRPC endpoint CI uses: the workflows run `kubectl port-forward
 * svc/matchbox 8081:8081`, because the Matchbox API only has a ClusterIP.
 */
export const CI_MATCHBOX_RPC_ENDPOINT = "127.0.0.1:8081";

/** Every reason the site cannot be deployed by CI; empty when it can. */
export function deployProblems(site: SiteSettings, file: string): string[] {
  const problems: string[] = [];
  if (site.example) {
    problems.push(
      `${file} is the example site (example: true); copy it to sites/<name>.yaml, fill in your project and addresses, set example: false, and point SITE_CONFIG (the repository variable vars.SITE_CONFIG in CI) at the copy`,
    );
  }
  if (site.state.backend !== "gcs") {
    problems.push(
      `${file} keeps Terraform state on local disk (state.backend: ${site.state.backend}); a CI runner's disk is discarded after each job, so set state.backend: gcs and state.bucket to the versioned state bucket (docs/runbook.md, "Bootstrap")`,
    );
  }
  if (site.matchbox.rpcEndpoint !== CI_MATCHBOX_RPC_ENDPOINT) {
    const current = site.matchbox.rpcEndpoint === undefined ? "unset" : `"${site.matchbox.rpcEndpoint}"`;
    problems.push(
      `${file}: matchbox.rpcEndpoint is ${current}; CI reaches Matchbox's gRPC API through kubectl port-forward, so set matchbox.rpcEndpoint: ${CI_MATCHBOX_RPC_ENDPOINT}`,
    );
  }
  return problems;
}

/** key=value lines for $GITHUB_OUTPUT. Values come from schema-checked settings, so none contains a newline. */
export function githubOutputs(loaded: LoadedSite): Record<string, string> {
  const s = loaded.settings;
  return {
    site_file: loaded.file,
    project: s.gcp.project,
    region: s.gcp.region,
    cluster_name: s.gke.clusterName,
    cluster_location: s.gke.location ?? s.gcp.zone,
    state_bucket: s.state.bucket ?? "",
    inventory_file: s.matchbox.inventoryFile,
  };
}

export interface CheckResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function checkDeployable(loaded: LoadedSite): CheckResult {
  const problems = deployProblems(loaded.settings, loaded.file);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p}`).join("\n");
    return { ok: false, stdout: "", stderr: `error: refusing to deploy ${loaded.file}:\n${lines}\n` };
  }
  const s = loaded.settings;
  return {
    ok: true,
    stdout: `deployable: ${loaded.file} (project ${s.gcp.project}, state gs://${s.state.bucket}/${s.state.prefix})\n`,
    stderr: "",
  };
}

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const writeGithubOutput = argv.includes("--github-output");
  const unknown = argv.filter((a) => a.startsWith("-") && a !== "--github-output");
  const files = argv.filter((a) => !a.startsWith("-"));
  if (unknown.length > 0 || files.length > 1) {
    process.stderr.write("usage: check-deployable [<site.yaml>] [--github-output]\n");
    return 1;
  }
  const file = files[0] !== undefined ? resolve(process.cwd(), files[0]) : siteFileFromEnv(env);
  const loaded = exitOnDataFileError(() => loadSite(file));
  const result = checkDeployable(loaded);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (!result.ok) return 1;
  if (writeGithubOutput) {
    const target = env.GITHUB_OUTPUT;
    if (!target) {
      process.stderr.write("error: --github-output given but $GITHUB_OUTPUT is not set\n");
      return 1;
    }
    const lines = Object.entries(githubOutputs(loaded)).map(([k, v]) => `${k}=${v}\n`);
    appendFileSync(target, lines.join(""));
  }
  return 0;
}

if (require.main === module) {
  process.exit(main(process.argv.slice(2)));
}
