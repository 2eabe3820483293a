// Builds and runs test/support/matchbox-standin/ (Go, standard library only):
// a stand-in for Matchbox v0.11.0's HTTP side with Matchbox's own semantics
// (group selection, label parsing, the iPXE and generic text/template
// rendering, /assets/), serving a store of Terraform-evaluated
// matchbox_profile / matchbox_group resources:
//
//   { "profiles": [{ "name", "kernel", "initrd": [], "args": [], "generic_config" }],
//     "groups":   [{ "name", "profile", "selector": {}, "metadata": {} }] }
//
// The binary prints "ready <host:port>" (the address it actually listens on;
// with port 0 a free port is picked) and then one "REQ {json}" line per
// request; see main.go for the fields.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

/** The Go sources of the stand-in. */
export const STANDIN_SOURCE_DIR = join(__dirname, "matchbox-standin");

/** One request as the stand-in saw and answered it (a parsed REQ line). */
export interface StandInRequest {
  /** Client IP, without port. */
  readonly remote: string;
  readonly method: string;
  /** Path and raw query as sent. */
  readonly url: string;
  readonly status: number;
  /** For /ipxe and /generic: the labels Matchbox parsed from the query. */
  readonly labels?: Record<string, string>;
  /** The selected group's name, if one was selected. */
  readonly group?: string;
  /** The group's profile name, if it was found. */
  readonly profile?: string;
  /** Body bytes sent (0 for HEAD). */
  readonly bytes: number;
}

export type GoAvailability = { ok: true } | { ok: false; why: string };

/** Whether a Go toolchain is on PATH (the stand-in is built from source). */
export function goAvailable(): GoAvailability {
  const r = spawnSync("go", ["version"], { encoding: "utf8", timeout: 30_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { ok: false, why: code === "ENOENT" ? "go is not installed (Debian package golang-go)" : `go version failed: ${r.error.message}` };
  }
  if (r.status !== 0) return { ok: false, why: `go version exited ${r.status}: ${(r.stderr || r.stdout).trim()}` };
  const m = /go(\d+)\.(\d+)/.exec(r.stdout);
  if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 19))) {
    return { ok: false, why: `go ${m[1]}.${m[2]} is too old (the stand-in needs Go 1.19 or newer)` };
  }
  return { ok: true };
}

function writableDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The environment for `go build`: offline, no cgo, a writable GOCACHE. */
function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOFLAGS: "-mod=mod", GOPROXY: "off", CGO_ENABLED: "0", GOTOOLCHAIN: "local" };
  const defaultCache = process.env.GOCACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "go-build");
  if (!writableDir(defaultCache)) env.GOCACHE = join(tmpdir(), "netboot-go-cache");
  // The module has no dependencies, but `go` still wants a GOPATH it may write to.
  const gopath = process.env.GOPATH || join(homedir(), "go");
  if (!writableDir(gopath)) env.GOPATH = join(tmpdir(), "netboot-gopath");
  return env;
}

function sourceHash(): string {
  const h = createHash("sha256");
  const files = readdirSync(STANDIN_SOURCE_DIR)
    .filter((f) => f.endsWith(".go") || f === "go.mod")
    .sort();
  for (const f of files) {
    h.update(f).update("\0").update(readFileSync(join(STANDIN_SOURCE_DIR, f))).update("\0");
  }
  const version = spawnSync("go", ["version"], { encoding: "utf8" }).stdout ?? "";
  h.update(version);
  return h.digest("hex").slice(0, 16);
}

let built: string | undefined;

/**
 * Builds the stand-in once per process into a cache directory outside the
 * repository, keyed by a hash of its sources and the Go version (built to a
 * temporary name, then renamed, so concurrent jest workers share it safely).
 * Returns the binary's path; throws with go's output if the build fails.
 */
export function buildMatchboxStandIn(): string {
  if (built && existsSync(built)) return built;
  const go = goAvailable();
  if (!go.ok) throw new Error(`cannot build the Matchbox stand-in: ${go.why}`);
  const dir = join(tmpdir(), "netboot-matchbox-standin", sourceHash());
  const bin = join(dir, "matchbox-standin");
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.tmp-${process.pid}-${Date.now()}`;
    const r = spawnSync("go", ["build", "-o", tmp, "."], { cwd: STANDIN_SOURCE_DIR, env: goEnv(), encoding: "utf8", timeout: 300_000 });
    if (r.error || r.status !== 0) {
      rmSync(tmp, { force: true });
      const why = r.error ? r.error.message : `exit ${r.status}`;
      throw new Error(`go build of ${STANDIN_SOURCE_DIR} failed (${why}):\n${r.stdout}${r.stderr}`);
    }
    renameSync(tmp, bin); // atomic; a concurrent build renames an identical binary
  }
  built = bin;
  return bin;
}

/** Parses the stand-in's stdout: every "REQ {json}" line, in order. */
export function parseStandInLog(output: string): StandInRequest[] {
  const out: StandInRequest[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("REQ ")) continue;
    out.push(JSON.parse(line.slice(4)) as StandInRequest);
  }
  return out;
}

export interface StandInOptions {
  /** The store: an object (written to a temporary file) or a file path. */
  readonly store: object | string;
  /** Served at /assets/; omitted or "" disables /assets/ (as Matchbox's -assets-path ""). */
  readonly assetsDir?: string;
  /** Listen address; default 127.0.0.1:0 (a free port). */
  readonly address?: string;
  /** How long to wait for "ready"; default 15 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningStandIn {
  /** e.g. http://127.0.0.1:41853 (no trailing slash). */
  readonly url: string;
  /** The listen address from the ready line, host:port. */
  readonly address: string;
  /** Every request answered so far. */
  requests(): StandInRequest[];
  /** What the stand-in wrote to stderr so far. */
  stderr(): string;
  /** The exit code once it has exited (0 after a clean stop), else null. */
  exitCode(): number | null;
  /** SIGTERM, wait (SIGKILL after 5 s), remove the temporary store. */
  stop(): Promise<void>;
}

/** Starts the stand-in (built if needed) as a child process. */
export async function startMatchboxStandIn(opts: StandInOptions): Promise<RunningStandIn> {
  const bin = buildMatchboxStandIn();
  let tmp: string | undefined;
  let storePath: string;
  if (typeof opts.store === "string") {
    storePath = opts.store;
  } else {
    tmp = mkdtempSync(join(tmpdir(), "matchbox-standin-store-"));
    storePath = join(tmp, "store.json");
    writeFileSync(storePath, JSON.stringify(opts.store, null, 2));
  }
  const args = ["-address", opts.address ?? "127.0.0.1:0", "-store", storePath, "-assets", opts.assetsDir ?? ""];
  const child: ChildProcess = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const cleanup = () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };

  let address: string;
  try {
    address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`matchbox stand-in not ready after ${opts.readyTimeoutMs ?? 15_000} ms; stderr:\n${stderr}`)), opts.readyTimeoutMs ?? 15_000);
      const check = () => {
        const m = /^ready (\S+)$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off("data", check);
          resolve(m[1]);
        }
      };
      child.stdout!.on("data", check);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`matchbox stand-in exited (${code}) before it was ready; stderr:\n${stderr}`));
      });
      check();
    });
  } catch (e) {
    child.kill("SIGKILL");
    cleanup();
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${address}`,
    address,
    requests: () => parseStandInLog(stdout),
    stderr: () => stderr,
    exitCode: () => child.exitCode,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(killer);
        }
        cleanup();
      })()),
  };
}
