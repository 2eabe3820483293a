import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { runCommand } from "../support/commands";
import { fixtureSiteValue } from "../support/site";

// npm run cluster-bootstrap, the bundle, with a stand-in for talosctl that
// answers as Talos v1.13.9 does (internal/app/machined/internal/server/v1alpha1/v1alpha1_server.go,
// Bootstrap: FailedPrecondition "bootstrap is not available yet" until CRI runs,
// AlreadyExists "etcd data directory is not empty" once bootstrapped; talosctl
// wraps it as "error executing bootstrap: rpc error: code = ... desc = ...").
const BASH = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
const INVENTORY = "test/fixtures/boot-status/machines.yaml";

function setup(script: string, editSite: (s: Record<string, any>) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), "netboot-bootstrap-"));
  const site = fixtureSiteValue();
  site.matchbox.inventoryFile = INVENTORY;
  editSite(site);
  writeFileSync(join(dir, "site.yaml"), stringify(site));
  writeFileSync(join(dir, "talosconfig"), "context: fixture\n");
  writeFileSync(join(dir, "talosctl"), `#!${BASH}\nprintf '%s\\n' "$*" >> "${dir}/calls"\n${script}\n`);
  chmodSync(join(dir, "talosctl"), 0o755);
  const run = (args: string[] = []) =>
    runCommand("cluster-bootstrap", ["--talosconfig", join(dir, "talosconfig"), "--kubeconfig", join(dir, "kubeconfig"), "--wait-seconds", "0", ...args], {
      env: { PATH: `${dir}:/usr/bin:/bin`, SITE_CONFIG: join(dir, "site.yaml"), HOME: dir },
    });
  const calls = () => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []);
  return { dir, run, calls, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
const base = (dir: string) => `--talosconfig ${dir}/talosconfig --nodes 10.0.20.10 --endpoints 10.0.20.10`;
/** kubeconfig: writes the file it is given (the last argument), as talosctl does. */
const KUBECONFIG = 'if [ "$7" = kubeconfig ]; then echo "apiVersion: v1" > "${10}"; exit 0; fi';

test("first run: bootstraps the bootstrap node (cp-01, the first control plane) once, then writes the kubeconfig", () => {
  const s = setup(`${KUBECONFIG}\nexit 0`);
  try {
    const r = s.run();
    expect(r.stderr).toBe(`site: ${s.dir}/site.yaml\n`);
    expect(r.status).toBe(0);
    expect(s.calls()).toEqual([`${base(s.dir)} bootstrap`, `${base(s.dir)} kubeconfig --merge=false --force ${s.dir}/kubeconfig`]);
    expect(r.stdout).toBe(
      `bootstrap node: cp-01 (10.0.20.10)\netcd bootstrapped on cp-01; the other control planes join it by themselves\nkubeconfig written to ${s.dir}/kubeconfig: KUBECONFIG=${s.dir}/kubeconfig kubectl get nodes\n`,
    );
    expect(readFileSync(join(s.dir, "kubeconfig"), "utf8")).toBe("apiVersion: v1\n");
  } finally {
    s.cleanup();
  }
});

test("a re-run: Talos answers AlreadyExists, nothing is bootstrapped, the kubeconfig is written again; exit 0", () => {
  const s = setup(`${KUBECONFIG}\necho 'error executing bootstrap: rpc error: code = AlreadyExists desc = etcd data directory is not empty' >&2; exit 1`);
  try {
    const r = s.run();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("already bootstrapped: Talos says cp-01's etcd data directory is not empty; nothing done\n");
    expect(s.calls()).toHaveLength(2);
  } finally {
    s.cleanup();
  }
});

test("not ready yet (FailedPrecondition): retried, a bounded number of times", () => {
  const ready = setup(`${KUBECONFIG}\nc=$(grep -c ' bootstrap$' "$(dirname "$0")/calls")\nif [ "$c" -lt 3 ]; then echo 'error executing bootstrap: rpc error: code = FailedPrecondition desc = bootstrap is not available yet' >&2; exit 1; fi\nexit 0`);
  try {
    const r = ready.run();
    expect(r.status).toBe(0);
    expect(ready.calls().filter((c) => c.endsWith(" bootstrap"))).toHaveLength(3);
    expect(r.stdout).toContain("attempt 1 of 30: not ready yet (error executing bootstrap: rpc error: code = FailedPrecondition desc = bootstrap is not available yet); waiting 0 s\n");
  } finally {
    ready.cleanup();
  }
  const never = setup("echo 'error executing bootstrap: rpc error: code = FailedPrecondition desc = time is not in sync yet' >&2; exit 1");
  try {
    const r = never.run(["--attempts", "2"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: talosctl bootstrap on cp-01 (10.0.20.10) failed after 2 attempts: error executing bootstrap: rpc error: code = FailedPrecondition desc = time is not in sync yet");
    expect(never.calls()).toHaveLength(2);
  } finally {
    never.cleanup();
  }
});

test("any other failure stops with talosctl's message and no kubeconfig step", () => {
  const s = setup("echo 'error executing bootstrap: rpc error: code = Unavailable desc = connection error: dial tcp 10.0.20.10:50000: i/o timeout' >&2; exit 1");
  try {
    const r = s.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("dial tcp 10.0.20.10:50000: i/o timeout");
    expect(s.calls()).toHaveLength(1);
  } finally {
    s.cleanup();
  }
});

test("the endpoint's control plane is the bootstrap node when it has that static address", () => {
  const s = setup(`${KUBECONFIG}\nexit 0`, (site) => (site.talos.cluster.endpoint = "https://10.0.20.12:6443"));
  try {
    expect(s.run().stdout).toContain("bootstrap node: cp-03 (10.0.20.12)");
    expect(s.calls()[0]).toContain("--nodes 10.0.20.12 --endpoints 10.0.20.12 bootstrap");
  } finally {
    s.cleanup();
  }
});

test("refused before talosctl runs: an existing cluster; a missing talosconfig (with how to write it)", () => {
  const existing = setup("exit 0", (site) => {
    site.talos.cluster.existing = true;
    site.talos.cluster.secretsFile = "/home/you/netboot-talos/secrets.yaml";
  });
  try {
    const r = existing.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("talos.cluster.existing is true");
    expect(existing.calls()).toEqual([]);
  } finally {
    existing.cleanup();
  }
  const missing = setup("exit 0");
  try {
    rmSync(join(missing.dir, "talosconfig"));
    const r = missing.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: no talosconfig at ${missing.dir}/talosconfig; write it from the matchbox-config stack's output: umask 077; mkdir -p ~/netboot-talos; terraform -chdir=cdktf.out/stacks/matchbox-config output -raw talosconfig > ~/netboot-talos/talosconfig`);
    expect(missing.calls()).toEqual([]);
  } finally {
    missing.cleanup();
  }
});
