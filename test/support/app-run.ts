import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "./commands";

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
