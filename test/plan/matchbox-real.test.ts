/**
 * Real Matchbox v0.11.0 against the Go stand-in (test/support/matchbox-standin):
 * both must answer every boot request of the fixture site byte for byte alike.
 *
 * 1. The fixture site is synthesized and evaluated by the real Terraform CLI
 *    (applyApp): the profiles and groups the matchbox-config stack passes.
 * 2. Throwaway TLS material (openssl): a CA, a server certificate for
 *    127.0.0.1/localhost (serverAuth), a client certificate (clientAuth).
 * 3. The real image quay.io/poseidon/matchbox:v0.11.0 runs in Docker, HTTP and
 *    the mTLS gRPC API published on 127.0.0.1 only.
 * 4. The real provider poseidon/matchbox 0.5.4 (from the Terraform registry)
 *    writes those profiles and groups over gRPC: `terraform init` + `apply`.
 * 5. The stand-in serves the same evaluated store.
 * 6. /, /boot.ipxe, and /ipxe and /generic for every fixture machine (and an
 *    unknown MAC), in the `${mac:hexhyp}` form iPXE sends: same status, same
 *    bytes, or a readable diff.
 *
 * Needs Docker and the Terraform registry, so it runs only in the GitHub
 * Actions job `matchbox-real` (.github/workflows/pull-request.yml), which sets
 * MATCHBOX_REAL=1. Without it the suite is skipped visibly; with it, a missing
 * prerequisite (docker, terraform, go, openssl) is a failure. Every step is
 * bounded by a timeout and the whole suite by SUITE_BUDGET_MS; the container
 * is removed after the run, also when a step fails.
 */
import { MATCHBOX_ARGS, MATCHBOX_IMAGE } from "../../constructs/matchbox-server";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hyphenatedMac } from "../../lib/input/mac";
import { loadNetbootSite, type NetbootSite } from "../../lib/input/site";
import { terraformLiteral, terraformLiteralMap } from "../../lib/model/terraform-strings";
import { goAvailable, startMatchboxStandIn, type RunningStandIn } from "../support/matchbox-standin";
import { applyApp, FIXTURE_SITE_FILE, matchboxStoreFromEvaluated, type EvaluatedMatchboxStore } from "../support/terraform-app";
import { TERRAFORM, terraformMissing } from "../support/terraform-standin";

const IMAGE = MATCHBOX_IMAGE;
const PROVIDER = { source: "poseidon/matchbox", version: "0.5.4" };
/** The whole suite, setup included; the GitHub job allows a little more. */
const SUITE_BUDGET_MS = 9 * 60_000;
const SECOND = 1_000;
/** Not in the fixture inventory (checked below): no group matches it. */
const UNKNOWN_MAC = "02-6e-62-00-00-ff";

const ENABLED = (() => {
  const v = process.env.MATCHBOX_REAL;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
})();
const WHY = "needs Docker and the Terraform registry (GitHub Actions job matchbox-real)";
const TITLE = `real Matchbox v0.11.0 (${IMAGE}, written by provider ${PROVIDER.source} ${PROVIDER.version}) and the Go stand-in answer byte for byte alike`;

// ---------------------------------------------------------------------------
// Bounded steps

let deadline = Number.POSITIVE_INFINITY;

/** A step's timeout: its own cap, or what is left of the suite's budget. */
function budget(capMs: number, what: string): number {
  const left = deadline - Date.now();
  if (left < 2 * SECOND) throw new Error(`no time left for ${what}: the suite is bounded to ${SUITE_BUDGET_MS / 60_000} min`);
  return Math.min(capMs, left);
}

interface RunOptions {
  readonly what: string;
  readonly capMs: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Accept a non-zero exit (the caller looks at status). */
  readonly allowFailure?: boolean;
}

interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Cuts long output to its last lines (where the error usually is). */
function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split("\n");
  return all.length <= lines ? all.join("\n") : `… (${all.length - lines} lines before)\n${all.slice(-lines).join("\n")}`;
}

function run(cmd: string, args: readonly string[], opts: RunOptions): RunResult {
  const timeout = budget(opts.capMs, opts.what);
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: "utf8",
    timeout,
    killSignal: "SIGKILL",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ETIMEDOUT") throw new Error(`${opts.what}: timed out after ${Math.round(timeout / SECOND)} s (${cmd} ${args.join(" ")})\n${tail(`${r.stdout ?? ""}\n${r.stderr ?? ""}`)}`);
    throw new Error(`${opts.what}: cannot run ${cmd}: ${r.error.message}`);
  }
  if (r.status !== 0 && !opts.allowFailure) {
    throw new Error(`${opts.what}: ${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}\n${tail(`${r.stdout}\n${r.stderr}`)}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------
// Prerequisites (only looked at with MATCHBOX_REAL set)

function prerequisitesMissing(): string[] {
  const missing: string[] = [];
  const probe = (cmd: string, args: string[], why: string) => {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30 * SECOND });
    if (r.error) missing.push(`${why}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? `${cmd} is not installed` : r.error.message}`);
    else if (r.status !== 0) missing.push(`${why}: ${cmd} ${args.join(" ")} exited ${r.status}: ${tail(`${r.stdout}\n${r.stderr}`, 5)}`);
  };
  probe("docker", ["version", "--format", "{{.Server.Version}}"], "Docker (client and a running daemon)");
  probe("openssl", ["version"], "openssl (throwaway TLS material)");
  const tf = terraformMissing();
  if (tf) missing.push(`Terraform: ${tf}`);
  const go = goAvailable();
  if (!go.ok) missing.push(`Go (the stand-in is built from source): ${go.why}`);
  return missing;
}

// ---------------------------------------------------------------------------
// TLS material: what Matchbox's scripts/tls/cert-gen makes, for 127.0.0.1.

const OPENSSL_CONFIG = `# Throwaway test PKI (matchbox-real.test.ts)
[req]
distinguished_name = dn
prompt = no

[dn]
CN = netboot-test

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

interface TlsMaterial {
  /** Mounted into the container as /etc/matchbox: ca.crt, server.crt, server.key (Matchbox's default names). */
  readonly serverDir: string;
  readonly caPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

function generateTls(root: string): TlsMaterial {
  const serverDir = join(root, "matchbox");
  mkdirSync(serverDir);
  const cnf = join(root, "openssl.cnf");
  writeFileSync(cnf, OPENSSL_CONFIG);
  const ca = { crt: join(serverDir, "ca.crt"), key: join(root, "ca.key") };
  const server = { crt: join(serverDir, "server.crt"), key: join(serverDir, "server.key"), csr: join(root, "server.csr") };
  const client = { crt: join(root, "client.crt"), key: join(root, "client.key"), csr: join(root, "client.csr") };
  const openssl = (what: string, args: string[]) => run("openssl", args, { what: `openssl: ${what}`, capMs: 30 * SECOND, cwd: root });

  openssl("CA", ["req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-config", cnf, "-extensions", "ca_ext", "-subj", "/CN=netboot-test-ca", "-keyout", ca.key, "-out", ca.crt]);
  const leaf = (name: string, files: { crt: string; key: string; csr: string }, ext: string, serial: string) => {
    openssl(`${name} key and CSR`, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-config", cnf, "-subj", `/CN=netboot-test-${name}`, "-keyout", files.key, "-out", files.csr]);
    openssl(`${name} certificate`, [
      "x509", "-req", "-sha256", "-days", "2", "-in", files.csr, "-CA", ca.crt, "-CAkey", ca.key, "-set_serial", serial, "-extfile", cnf, "-extensions", ext, "-out", files.crt,
    ]);
    const verify = run("openssl", ["verify", "-CAfile", ca.crt, "-purpose", name === "server" ? "sslserver" : "sslclient", files.crt], { what: `openssl verify ${name}`, capMs: 30 * SECOND });
    expect(verify.stdout.trim()).toBe(`${files.crt}: OK`);
  };
  leaf("server", server, "server_ext", "0x02");
  leaf("client", client, "client_ext", "0x03");
  const text = run("openssl", ["x509", "-in", server.crt, "-noout", "-text"], { what: "openssl x509 -text server", capMs: 30 * SECOND }).stdout;
  expect(text).toMatch(/IP Address:127\.0\.0\.1/);
  expect(text).toMatch(/DNS:localhost/);
  expect(text).toMatch(/TLS Web Server Authentication/);

  // The container reads them whatever user it runs as (throwaway material).
  chmodSync(serverDir, 0o755);
  for (const f of readdirSync(serverDir)) chmodSync(join(serverDir, f), 0o644);
  return { serverDir, caPem: readFileSync(ca.crt, "utf8"), clientCertPem: readFileSync(client.crt, "utf8"), clientKeyPem: readFileSync(client.key, "utf8") };
}

// ---------------------------------------------------------------------------
// The real Matchbox container

/** Matchbox's file store directories (storage/filestore.go) plus the assets directory. */
const DATA_SUBDIRS = ["profiles", "groups", "ignition", "generic", "cloud", "assets"];

/** A data directory the container may write to (it may run as any user), with its subdirectories made in advance. */
function makeDataDir(root: string): string {
  const data = join(root, "data");
  for (const dir of [data, ...DATA_SUBDIRS.map((d) => join(data, d))]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777); // mkdir's mode is cut by the umask
  }
  return data;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

class MatchboxContainer {
  private id: string | undefined;
  private readonly onExit = () => this.removeSync();

  constructor(
    readonly name: string,
    readonly httpPort: number,
    readonly rpcPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  start(tlsDir: string, dataDir: string): void {
    run("docker", ["pull", IMAGE], { what: `docker pull ${IMAGE}`, capMs: 240 * SECOND });
    // No --rm: a container that exits at start (bad flag, bad TLS file) keeps
    // its logs for the error message; removeSync() deletes it in every case.
    // Known by name from here on: `docker run` may create the container and
    // then fail to start it (e.g. a port taken in between).
    this.id = this.name;
    process.on("exit", this.onExit);
    const r = run(
      "docker",
      [
        "run", "-d",
        "--name", this.name,
        "--label", "netboot-test=matchbox-real",
        "-p", `127.0.0.1:${this.httpPort}:8080`,
        "-p", `127.0.0.1:${this.rpcPort}:8081`,
        "-v", `${tlsDir}:/etc/matchbox:ro`,
        "-v", `${dataDir}:/var/lib/matchbox`,
        IMAGE,
        // Exactly the pod's command line (ports 8080/8081, as published above).
        ...MATCHBOX_ARGS,
      ],
      { what: "docker run matchbox", capMs: 60 * SECOND },
    );
    this.id = r.stdout.trim() || this.name;
  }

  /** The container's state, e.g. "running" or "exited exit=1", or why it is unknown. */
  state(): string {
    if (!this.id) return "(not started)";
    const r = spawnSync("docker", ["inspect", "-f", "{{.State.Status}} exit={{.State.ExitCode}} {{.State.Error}}", this.id], { encoding: "utf8", timeout: 30 * SECOND, killSignal: "SIGKILL" });
    return r.error ? `(docker inspect: ${r.error.message})` : (r.stdout.trim() || r.stderr.trim());
  }

  /** State and logs, for error messages (not bounded by the suite's budget: they explain a failure). */
  diagnose(): string {
    if (!this.id) return "(the container was not started)";
    const logs = spawnSync("docker", ["logs", "--tail", "80", this.id], { encoding: "utf8", timeout: 30 * SECOND, killSignal: "SIGKILL" });
    const text = logs.error ? `(docker logs: ${logs.error.message})` : `${logs.stdout}${logs.stderr}`;
    return `container ${this.name}: ${this.state()}\nits logs (Matchbox logs to stderr):\n${tail(text, 80)}`;
  }

  /** Waits until GET / answers "matchbox"; on timeout, throws with the container's state and logs. */
  async waitReady(capMs: number): Promise<void> {
    const until = Date.now() + budget(capMs, "waiting for Matchbox's HTTP server");
    let last = "no answer yet";
    for (let attempt = 1; Date.now() < until; attempt++) {
      // A container that exited at start will not answer: say so at once.
      if (attempt % 10 === 0 && !this.state().startsWith("running")) break;
      try {
        const a = await get(this.url, "/");
        if (a.status === 200 && a.body.toString() === "matchbox\n") return;
        last = `GET / → ${a.status} ${JSON.stringify(a.body.toString().slice(0, 80))}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`Matchbox did not answer GET / on ${this.url} (last: ${last})\n${this.diagnose()}`);
  }

  removeSync(): void {
    process.off("exit", this.onExit);
    if (!this.id) return;
    const r = spawnSync("docker", ["rm", "-f", this.id], { encoding: "utf8", timeout: 60 * SECOND, killSignal: "SIGKILL" });
    if (r.error || (r.status !== 0 && !/No such container/i.test(r.stderr))) console.warn(`could not remove container ${this.name} (${this.id}): ${r.error?.message ?? r.stderr}`);
    this.id = undefined;
  }
}

// ---------------------------------------------------------------------------
// The Terraform configuration for the real provider

/** Terraform resource names: any profile or group name maps to a valid identifier. */
const resourceName = (kind: string, index: number) => `${kind}_${index}`;

function matchboxTerraformConfig(store: EvaluatedMatchboxStore, rpcPort: number, tls: TlsMaterial): object {
  const profileRefs = new Map<string, string>();
  const profiles: Record<string, object> = {};
  store.profiles.forEach((p, i) => {
    const key = resourceName("profile", i);
    profileRefs.set(p.name, `\${matchbox_profile.${key}.name}`);
    profiles[key] = {
      name: terraformLiteral(p.name),
      kernel: terraformLiteral(p.kernel),
      initrd: p.initrd.map(terraformLiteral),
      args: p.args.map(terraformLiteral),
      ...(p.generic_config === null ? {} : { generic_config: terraformLiteral(p.generic_config) }),
    };
  });
  const groups: Record<string, object> = {};
  store.groups.forEach((g, i) => {
    groups[resourceName("group", i)] = {
      name: terraformLiteral(g.name),
      // A reference (as the real stack writes it), so Terraform creates the profile first.
      profile: profileRefs.get(g.profile) ?? terraformLiteral(g.profile),
      selector: terraformLiteralMap(g.selector),
      metadata: terraformLiteralMap(g.metadata),
    };
  });
  return {
    terraform: { required_providers: { matchbox: PROVIDER } },
    provider: {
      matchbox: {
        endpoint: `127.0.0.1:${rpcPort}`,
        client_cert: terraformLiteral(tls.clientCertPem),
        client_key: terraformLiteral(tls.clientKeyPem),
        ca: terraformLiteral(tls.caPem),
      },
    },
    resource: {
      ...(Object.keys(profiles).length ? { matchbox_profile: profiles } : {}),
      ...(Object.keys(groups).length ? { matchbox_group: groups } : {}),
    },
  };
}

function terraformEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
}

// ---------------------------------------------------------------------------
// HTTP and the diff

interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

function get(base: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method: "GET", timeout: 5 * SECOND }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${base}${path}: no answer within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}

/** A line diff (- real Matchbox, + stand-in) with two lines of context; lines JSON-escaped so whitespace shows. */
function lineDiff(a: string, b: string, maxLines = 80): string {
  const x = a.split("\n");
  const y = b.split("\n");
  const lcs = Array.from({ length: x.length + 1 }, () => new Int32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const ops: { op: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      ops.push({ op: " ", line: x[i++] });
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push({ op: "-", line: x[i++] });
    } else {
      ops.push({ op: "+", line: y[j++] });
    }
  }
  const near = (k: number) => ops.slice(Math.max(0, k - 2), k + 3).some((o) => o.op !== " ");
  const out: string[] = [];
  let skipped = false;
  ops.forEach((o, k) => {
    if (!near(k)) {
      if (!skipped) out.push("  …");
      skipped = true;
      return;
    }
    skipped = false;
    out.push(`${o.op} ${JSON.stringify(o.line).slice(1, -1)}`);
  });
  return out.length > maxLines ? `${out.slice(0, maxLines).join("\n")}\n  … (${out.length - maxLines} more diff lines)` : out.join("\n");
}

function mismatch(path: string, real: Answer, standIn: Answer): string | undefined {
  if (real.status === standIn.status && real.body.equals(standIn.body)) return undefined;
  const lines = [`GET ${path}: real Matchbox and the stand-in differ`];
  lines.push(real.status === standIn.status ? `  status: both ${real.status}` : `  status: real ${real.status}, stand-in ${standIn.status}`);
  if (real.body.equals(standIn.body)) {
    lines.push(`  body: identical (${real.body.length} bytes)`);
  } else {
    lines.push(`  body: real ${real.body.length} bytes, stand-in ${standIn.body.length} bytes; - real Matchbox, + stand-in:`);
    lines.push(lineDiff(real.body.toString("utf8"), standIn.body.toString("utf8")));
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// The requests

interface Probe {
  readonly path: string;
  /** What it is, for the test title. */
  readonly what: string;
}

function probes(site: NetbootSite): Probe[] {
  const out: Probe[] = [
    { path: "/", what: "index" },
    { path: "/boot.ipxe", what: "the chain script" },
    { path: "/ipxe", what: "no labels" },
  ];
  const machines = [...site.machines.map((m) => ({ name: m.name, mac: hyphenatedMac(m.mac) })), { name: "unknown MAC", mac: UNKNOWN_MAC }];
  for (const m of machines) {
    out.push({ path: `/ipxe?mac=${m.mac}`, what: m.name });
    // The query /boot.ipxe's chain line makes iPXE send (empty values included).
    out.push({ path: `/ipxe?uuid=00000000-0000-0000-0000-000000000001&mac=${m.mac}&domain=&hostname=&serial=&arch=x86_64`, what: `${m.name}, as chained from /boot.ipxe` });
    out.push({ path: `/generic?mac=${m.mac}`, what: `${m.name}, Talos config` });
  }
  return out;
}

// ---------------------------------------------------------------------------

if (!ENABLED) {
  test.skip(`SKIPPED: ${WHY} — ${TITLE} (MATCHBOX_REAL=1 runs it)`, () => {});
} else {
  const missing = prerequisitesMissing();
  if (missing.length > 0) {
    test(`${TITLE}: prerequisites (MATCHBOX_REAL is set)`, () => {
      throw new Error(`MATCHBOX_REAL is set, so this suite may not be skipped, but it cannot run here:\n- ${missing.join("\n- ")}`);
    });
  } else {
    const site = loadNetbootSite(FIXTURE_SITE_FILE);
    const requests = probes(site);

    describe(TITLE, () => {
      let tmp: string;
      let data: string;
      let store: EvaluatedMatchboxStore;
      let container: MatchboxContainer | undefined;
      let standIn: RunningStandIn | undefined;
      let appRoot: string | undefined;

      beforeAll(async () => {
        deadline = Date.now() + SUITE_BUDGET_MS;
        expect(site.machines.map((m) => hyphenatedMac(m.mac))).not.toContain(UNKNOWN_MAC);

        // 1. What Terraform evaluates for the matchbox-config stack.
        const applied = applyApp(site);
        appRoot = applied.root;
        store = matchboxStoreFromEvaluated(applied.evaluated["matchbox-config"]);
        expect(store.profiles.length).toBeGreaterThan(0);
        expect(store.groups.length).toBeGreaterThan(0);

        // 2. TLS material; 3. the real Matchbox.
        tmp = mkdtempSync(join(tmpdir(), "netboot-matchbox-real-"));
        const tls = generateTls(mkdirAndReturn(join(tmp, "tls")));
        data = makeDataDir(tmp);
        const httpPort = await freePort();
        let rpcPort = await freePort();
        while (rpcPort === httpPort) rpcPort = await freePort();
        container = new MatchboxContainer(`netboot-matchbox-real-${process.pid}-${randomBytes(3).toString("hex")}`, httpPort, rpcPort);
        container.start(tls.serverDir, data);
        await container.waitReady(60 * SECOND);

        // 4. The real provider writes the store over gRPC (mTLS).
        const tf = mkdirAndReturn(join(tmp, "terraform"));
        writeFileSync(join(tf, "main.tf.json"), JSON.stringify(matchboxTerraformConfig(store, container.rpcPort, tls), null, 2));
        const env = terraformEnv();
        run(TERRAFORM, ["init", "-input=false", "-no-color"], { what: "terraform init (downloads poseidon/matchbox from the registry)", capMs: 180 * SECOND, cwd: tf, env });
        const apply = run(TERRAFORM, ["apply", "-auto-approve", "-input=false", "-no-color"], { what: "terraform apply", capMs: 180 * SECOND, cwd: tf, env, allowFailure: true });
        if (apply.status !== 0) {
          throw new Error(`terraform apply against real Matchbox failed (exit ${apply.status}):\n${tail(`${apply.stdout}\n${apply.stderr}`)}\n${container.diagnose()}`);
        }

        // 5. The stand-in on the same evaluated store (assets: the same, empty, directory).
        standIn = await startMatchboxStandIn({ store, assetsDir: join(data, "assets") });
      }, SUITE_BUDGET_MS);

      afterAll(async () => {
        container?.removeSync();
        await standIn?.stop();
        for (const dir of [tmp, appRoot]) {
          if (!dir) continue;
          try {
            rmSync(dir, { recursive: true, force: true });
          } catch (e) {
            console.warn(`could not remove ${dir}: ${(e as Error).message}`);
          }
        }
      }, 90 * SECOND);

      test("terraform apply wrote every profile, generic config and group into Matchbox's data directory", () => {
        const names = (dir: string) => readdirSync(join(data, dir)).sort();
        expect(names("profiles")).toEqual(store.profiles.map((p) => `${p.name}.json`).sort());
        expect(names("groups")).toEqual(store.groups.map((g) => `${g.name}.json`).sort());
        for (const p of store.profiles.filter((p) => p.generic_config)) {
          expect(existsSync(join(data, "generic", p.name))).toBe(true);
        }
      });

      test("real Matchbox serves every machine that has a group, and 404s the unknown MAC (the comparison is not of two empty stores)", async () => {
        const grouped = new Set(store.groups.map((g) => g.selector.mac).filter(Boolean));
        for (const m of site.machines) {
          const a = await get(container!.url, `/ipxe?mac=${hyphenatedMac(m.mac)}`);
          expect({ machine: m.name, status: a.status }).toEqual({ machine: m.name, status: grouped.has(m.mac) ? 200 : 404 });
        }
        expect((await get(container!.url, `/ipxe?mac=${UNKNOWN_MAC}`)).status).toBe(404);
        expect(grouped.size).toBeGreaterThan(0);
      }, 60 * SECOND);

      test.each(requests)("GET $path ($what): same status and bytes", async ({ path }) => {
        const real = await get(container!.url, path);
        const other = await get(standIn!.url, path);
        const diff = mismatch(path, real, other);
        if (diff) throw new Error(diff);
      }, 30 * SECOND);
    });
  }
}

function mkdirAndReturn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
