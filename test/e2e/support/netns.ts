// A small harness for end-to-end tests in Linux network namespaces: creates
// namespaces and veth links, runs commands inside them with timeouts, starts
// and tracks background processes, and always cleans up (on success, failure,
// timeout, an overall deadline, a killed test process, and leftovers of runs
// killed together with their watchdog).
// A detached watchdog process cleans up if the test process dies first.
// Everything it creates is named `<prefix>-<pid36>-<n>-...`, so runs never
// collide and a later run can reap what a SIGKILLed run left behind.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { E2E_PATH } from "./prerequisites";

export interface RunOptions {
  /** Kill the command (its whole process group) after this long; default 15 s. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  readonly cwd?: string;
}

export interface RunResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    const how = result.timedOut ? `timed out after ${result.ms} ms` : result.signal ? `was killed by ${result.signal}` : `exited with ${result.code}`;
    const output = [result.stderr.trim(), result.stdout.trim()].filter(Boolean).join("\n").slice(-2000);
    super(`\`${result.command}\` ${how}${output ? `:\n${output}` : ""}`);
    this.name = "CommandError";
  }
}

export interface Background {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr interleaved), for failure messages. */
  output(): string;
  readonly exited: Promise<number | null>;
}

const WG_SOCKET_DIR = "/var/run/wireguard";
const quote = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** True while `pid` runs; a zombie (killed, not yet reaped by its parent) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // gone already
    }
  }
}

let harnessCount = 0;

export class NetnsHarness {
  /** Unique per harness: `<pid base 36>-<n>`. */
  readonly id: string;
  readonly tempDir: string;
  private readonly namespaces: string[] = [];
  private readonly wgInterfaces: string[] = [];
  private readonly background = new Set<Background>();
  private readonly running = new Set<ChildProcess>();
  private abortReason: string | undefined;
  private cleanedUp = false;
  private readonly deadline: NodeJS.Timeout;
  private readonly watchdog: ChildProcess;
  private readonly startedAt = Date.now();

  /**
   * @param prefix  short name prefix for namespaces (`nbe2e`)
   * @param deadlineMs  overall bound: after it everything is killed and torn down, and later commands fail at once
   */
  constructor(
    readonly prefix: string,
    readonly deadlineMs: number,
  ) {
    reapStale(prefix);
    this.id = `${process.pid.toString(36)}-${harnessCount++}`;
    this.tempDir = mkdtempSync(join(tmpdir(), `${prefix}-${this.id}-`));
    this.deadline = setTimeout(() => this.abort(`overall deadline of ${deadlineMs / 1000} s exceeded`), deadlineMs);
    this.deadline.unref();
    // Cleans up if this process dies first (jest's sandboxed `process` never fires exit or signal handlers).
    this.watchdog = spawn(process.execPath, [join(__dirname, "netns-watchdog.js"), String(process.pid), `${prefix}-${this.id}-`, `^wg[a-z]${this.id}\\.sock$`, this.tempDir], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, PATH: E2E_PATH },
    });
    this.watchdog.unref();
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** A namespace name for `role`, unique to this harness. */
  nsName(role: string): string {
    return `${this.prefix}-${this.id}-${role}`;
  }

  /**
   * A WireGuard interface name, unique on this machine (wireguard-go's control
   * socket /var/run/wireguard/<name>.sock is shared by all namespaces), ≤ 15 characters.
   */
  wgName(role: string): string {
    const name = `wg${role.slice(0, 1)}${this.id}`.replace(/[^a-zA-Z0-9_=+.-]/g, "");
    if (name.length > 15) throw new Error(`interface name ${name} is longer than 15 characters`);
    this.wgInterfaces.push(name);
    return name;
  }

  async addNamespace(role: string): Promise<string> {
    const ns = this.nsName(role);
    this.namespaces.push(ns); // before creating: cleanup must see it even if the next step fails
    await this.check(null, ["ip", "netns", "add", ns]);
    await this.check(ns, ["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  /** A veth pair created directly inside the two namespaces (no name in the host namespace). */
  async veth(a: VethEnd, b: VethEnd): Promise<void> {
    await this.check(null, ["ip", "link", "add", a.name, "netns", a.ns, "mtu", String(a.mtu), "type", "veth", "peer", "name", b.name, "netns", b.ns, "mtu", String(b.mtu)]);
    for (const end of [a, b]) {
      if (end.address) await this.check(end.ns, ["ip", "address", "add", end.address, "dev", end.name]);
      await this.check(end.ns, ["ip", "link", "set", end.name, "up"]);
    }
  }

  async sysctl(ns: string, key: string, value: string): Promise<void> {
    await this.check(ns, ["sysctl", "-q", "-w", `${key}=${value}`]);
  }

  /** Runs argv in `ns` (or the host namespace when null); resolves with the result whatever the exit code. */
  run(ns: string | null, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const full = ns ? ["ip", "netns", "exec", ns, ...argv] : [...argv];
    const command = quote(argv) + (ns ? `  [netns ${ns.slice(this.prefix.length + this.id.length + 2)}]` : "");
    if (this.abortReason) return Promise.reject(new Error(`not running \`${command}\`: ${this.abortReason}`));
    const timeoutMs = options.timeoutMs ?? 15_000;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(full[0], full.slice(1), {
        env: { ...process.env, PATH: E2E_PATH, ...options.env },
        cwd: options.cwd,
        detached: true, // own process group: a timeout kills the command and its children
        stdio: ["pipe", "pipe", "pipe"],
      });
      this.running.add(child);
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdin.on("error", () => {});
      child.stdin.end(options.input ?? "");
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, "SIGKILL");
      }, timeoutMs);
      child.on("error", (err) => {
        clearTimeout(timer);
        this.running.delete(child);
        reject(new Error(`cannot run \`${command}\`: ${err.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        this.running.delete(child);
        resolve({ command, code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
      });
    });
  }

  /** Like run, but rejects with a CommandError (command, exit, output) unless it exits 0; resolves with stdout. */
  async check(ns: string | null, argv: readonly string[], options: RunOptions = {}): Promise<string> {
    const result = await this.run(ns, argv, options);
    if (result.code !== 0) throw new CommandError(result);
    return result.stdout;
  }

  /**
   * Starts a long-running process in `ns`, tracked until cleanup. With `ready`,
   * waits (at most readyTimeoutMs) until its output matches, and fails with its
   * output if it exits or stays silent.
   */
  async spawn(ns: string, name: string, argv: readonly string[], options: { ready?: RegExp; readyTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Background> {
    if (this.abortReason) throw new Error(`not starting ${name}: ${this.abortReason}`);
    const child = spawn("ip", ["netns", "exec", ns, ...argv], {
      env: { ...process.env, PATH: E2E_PATH, ...options.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const bg: Background = { name, child, output: () => output, exited };
    this.background.add(bg);
    const readyPromise = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.length > 100_000) output = output.slice(-50_000);
        if (options.ready?.test(output)) resolve();
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.on("error", (err) => reject(new Error(`cannot start ${name}: ${err.message}`)));
      void exited.then((code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
      if (!options.ready) resolve();
    });
    if (options.ready) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} not ready after ${options.readyTimeoutMs ?? 10_000} ms; output:\n${output.slice(-2000)}`)), options.readyTimeoutMs ?? 10_000);
      });
      try {
        await Promise.race([readyPromise, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } else {
      readyPromise.catch(() => {});
    }
    return bg;
  }

  /** Polls `condition` until it returns a value (not undefined) or `timeoutMs` passes. */
  async waitFor<T>(what: string, condition: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.abortReason) throw new Error(`gave up waiting for ${what}: ${this.abortReason}`);
      const value = await condition();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Kills everything now and tears down; later commands fail with `reason`. */
  abort(reason: string): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    process.stderr.write(`netns harness ${this.id}: ${reason}; killing processes and removing namespaces\n`);
    this.cleanupSync();
  }

  /** Async wrapper for afterAll; returns what could not be cleaned up (empty when all is gone). */
  async cleanup(): Promise<string[]> {
    return this.cleanupSync();
  }

  /**
   * Kills every process started here and every process still inside our
   * namespaces, deletes the namespaces (which drops their interfaces and
   * iptables state), removes wireguard-go sockets and the temp dir. Idempotent.
   */
  cleanupSync(): string[] {
    clearTimeout(this.deadline);
    if (!this.abortReason) this.abortReason = "the harness was cleaned up";
    const problems: string[] = [];
    const pids = new Set<number>();
    for (const child of this.running) if (child.pid) pids.add(child.pid);
    for (const bg of this.background) if (bg.child.pid) pids.add(bg.child.pid);
    const existing = new Set(listNamespaces());
    const ours = this.namespaces.filter((ns) => existing.has(ns));
    for (const ns of ours) for (const pid of namespacePids(ns)) pids.add(pid);
    for (const pid of pids) killGroup(pid, "SIGTERM");
    for (let i = 0; i < 20 && [...pids].some(alive); i++) sleepSync(50);
    for (const pid of pids) if (alive(pid)) killGroup(pid, "SIGKILL");
    for (let i = 0; i < 20 && [...pids].some(alive); i++) sleepSync(50);
    for (const pid of pids) if (alive(pid)) problems.push(`process ${pid} survived SIGKILL`);
    for (const ns of ours) {
      const del = spawnSync("ip", ["netns", "del", ns], { encoding: "utf8", env: { ...process.env, PATH: E2E_PATH } });
      if (del.status !== 0) problems.push(`ip netns del ${ns}: ${del.stderr.trim()}`);
    }
    for (const iface of this.wgInterfaces) rmSync(join(WG_SOCKET_DIR, `${iface}.sock`), { force: true });
    const left = new Set(listNamespaces());
    for (const ns of this.namespaces) if (left.has(ns)) problems.push(`namespace ${ns} still exists`);
    for (const iface of this.wgInterfaces) if (existsSync(join(WG_SOCKET_DIR, `${iface}.sock`))) problems.push(`${WG_SOCKET_DIR}/${iface}.sock still exists`);
    if (!this.cleanedUp) rmSync(this.tempDir, { recursive: true, force: true });
    if (!this.cleanedUp) killGroup(this.watchdog.pid, "SIGTERM");
    this.cleanedUp = true;
    return problems;
  }
}

export interface VethEnd {
  readonly ns: string;
  readonly name: string;
  readonly mtu: number;
  /** CIDR notation, e.g. 10.0.20.1/24; optional (bridge ports have none). */
  readonly address?: string;
}

function listNamespaces(): string[] {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8", env: { ...process.env, PATH: E2E_PATH } });
  return (r.stdout ?? "").split("\n").map((l) => l.split(" ")[0]).filter(Boolean);
}

function namespacePids(ns: string): number[] {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8", env: { ...process.env, PATH: E2E_PATH } });
  return (r.stdout ?? "").split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
}

/** Removes namespaces (and their processes), wireguard-go sockets and temp dirs left by runs whose process is gone. */
export function reapStale(prefix: string): void {
  const pattern = new RegExp(`^${prefix}-([0-9a-z]+)-\\d+-`);
  for (const ns of listNamespaces()) {
    const m = pattern.exec(ns);
    if (!m) continue;
    const pid = parseInt(m[1], 36);
    if (pid === process.pid || alive(pid)) continue;
    for (const p of namespacePids(ns)) killGroup(p, "SIGKILL");
    spawnSync("ip", ["netns", "del", ns], { env: { ...process.env, PATH: E2E_PATH } });
  }
  const deadRun = (pid36: string) => parseInt(pid36, 36) !== process.pid && !alive(parseInt(pid36, 36));
  for (const sock of listDir(WG_SOCKET_DIR)) {
    const m = /^wg[a-z]([0-9a-z]+)-\d+\.sock$/.exec(sock);
    if (m && deadRun(m[1])) rmSync(join(WG_SOCKET_DIR, sock), { force: true });
  }
  const tempPattern = new RegExp(`^${prefix}-([0-9a-z]+)-\\d+-`);
  for (const entry of listDir(tmpdir())) {
    const m = tempPattern.exec(entry);
    if (m && deadRun(m[1])) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
