import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { runCommand, startCommand } from "./commands";
import { fixtureSiteValue } from "./site";

export interface AppRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outdir: string;
}

/** Runs the real entry point (the bundled main.ts, as `cdktf synth` runs cdktf.json's app) into a fresh output directory. */
export function runApp(env: Record<string, string> = {}): AppRun {
  const outdir = join(mkdtempSync(join(tmpdir(), "netboot-synth-")), "cdktf.out");
  const result = runCommand("main", [], { env: { CDKTF_OUTDIR: outdir, ...env }, timeoutMs: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}

/**
 * Every stack's synthesized JSON for a variant of the fixture site, written by
 * the real entry point in its own process. For tests that only read the
 * output: a process start instead of loading cdktf and the providers into
 * jest's module registry and synthesizing there (seconds per test file).
 */
export async function synthesizedStacks(edit: (site: Record<string, any>) => void = () => {}): Promise<Record<string, Record<string, any>>> {
  const dir = mkdtempSync(join(tmpdir(), "netboot-variant-"));
  const site = fixtureSiteValue();
  edit(site);
  // Paths in a site are relative to the repository root, wherever the site file is.
  writeFileSync(join(dir, "site.yaml"), stringify(site));
  const outdir = join(dir, "cdktf.out");
  const run = await startCommand("main", [], { env: { CDKTF_OUTDIR: outdir, SITE_CONFIG: join(dir, "site.yaml") }, timeoutMs: 60_000 });
  if (run.status !== 0) throw new Error(`synth of the site variant failed (exit ${run.status}):\n${run.stderr}`);
  const stacks = join(outdir, "stacks");
  return Object.fromEntries(readdirSync(stacks).map((stack) => [stack, JSON.parse(readFileSync(join(stacks, stack, "cdk.tf.json"), "utf8"))]));
}
