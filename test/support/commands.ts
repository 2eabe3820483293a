import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

// The commands as `npm run <name>` runs them: plain Node on the bundle in
// dist/ (scripts/build.js), which test/global-setup.js builds once per jest
// run. The bundle, not the TypeScript sources, is what users run.

/** The bundled entry point of a command (bin/<name>.ts), or of the cdktf app for "main". */
export function bundledEntry(name: string): string {
  return name === "main" ? join(REPO_ROOT, "dist/main.js") : join(REPO_ROOT, "dist/bin", `${name}.js`);
}

export interface CommandRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment a command runs with: the test's, as on a developer's
 * machine (CI unset, so SITE_CONFIG may name a site outside the repository
 * even when the tests run in GitHub Actions), plus the test's own variables.
 */
const commandEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, CI: "", ...env });

/** Runs a command to completion in the repository root. */
export function runCommand(name: string, args: readonly string[] = [], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): CommandRun {
  const spawnOptions: SpawnSyncOptions = {
    cwd: options.cwd ?? REPO_ROOT,
    env: commandEnv(options.env),
    encoding: "utf8",
    timeout: options.timeoutMs ?? 30_000,
  };
  const r = spawnSync(process.execPath, [bundledEntry(name), ...args], spawnOptions);
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs a command without blocking, so several run at once; killed after the timeout. */
export function startCommand(name: string, args: readonly string[] = [], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bundledEntry(name), ...args], { cwd: REPO_ROOT, env: commandEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", fail);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stdout, stderr });
    });
  });
}
