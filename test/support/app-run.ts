import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

export interface AppRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outdir: string;
}

/** Runs the real entry point (main.ts, as `cdktf synth` does) into a fresh output directory. */
export function runApp(env: Record<string, string> = {}): AppRun {
  const outdir = join(mkdtempSync(join(tmpdir(), "netboot-synth-")), "cdktf.out");
  const result = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: outdir, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outdir };
}
