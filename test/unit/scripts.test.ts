import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

// Shell scripts shipped to pods or run by operators.
const SCRIPTS = ["wireguard/gateway.sh", "constructs/matchbox-server/fetch-assets.sh", "scripts/build-ipxe-efi.sh", "scripts/check-node-line.sh", ".ci/run"];
const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
const haveShellcheck = shellcheck.status === 0;

describe("shell scripts", () => {
  test.each(SCRIPTS)("%s parses (bash -n / sh -n)", (script) => {
    const shell = script.endsWith("fetch-assets.sh") ? "sh" : "bash";
    const run = spawnSync(shell, ["-n", join(REPO_ROOT, script)], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  if (haveShellcheck) {
    test.each(SCRIPTS)("%s passes shellcheck", (script) => {
      const run = spawnSync("shellcheck", ["--severity=info", join(REPO_ROOT, script)], { encoding: "utf8" });
      expect(run.stdout).toBe("");
      expect(run.status).toBe(0);
    });
  } else {
    test.skip("SKIPPED: shellcheck not installed (apt-get install shellcheck; .ci/run installs it) — shellcheck of the project's scripts", () => {});
  }
});

// wireguard/gateway.sh's probe mode (`gateway.sh check`, the gateway pod's readiness and liveness probe).
describe("gateway.sh arguments", () => {
  const gateway = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync("bash", [join(REPO_ROOT, "wireguard/gateway.sh"), ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 10_000 });

  test("an unknown argument: exits 1 with the usage, touching nothing", () => {
    const run = gateway(["status"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/gateway: FATAL: unknown argument status; usage: gateway\.sh \[check\]/);
  });

  test("check without the rules file: not ready (exit 1), naming the file", () => {
    const run = gateway(["check"], { WG_RULES: "/nonexistent/rules.v4" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/gateway: FATAL: rules \/nonexistent\/rules\.v4 are missing or unreadable/);
  });
});

// scripts/build-ipxe-efi.sh when Debian's source cannot be fetched (this machine's usual case, and a home network's without a mirror).
describe("build-ipxe-efi.sh without a reachable source", () => {
  const tools = ["gcc", "make", "perl", "ld", "sha256sum", "dpkg-source", "apt-get"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (tools.length > 0) {
    test.skip(`SKIPPED: ${tools.join(", ")} not installed (apt-get install build-essential dpkg-dev) — the script stops before fetching without them`, () => {});
    return;
  }
  test("names the source it could not fetch and IPXE_SOURCE_DIR, exit 1, writes no binary", () => {
    const out = mkdtempSync(join(tmpdir(), "netboot-ipxe-out-"));
    try {
      // A mirror that refuses connections at once (the discard port on loopback), and no retries, so apt fails fast.
      writeFileSync(join(out, "apt.conf"), 'Acquire::Retries "0";\n');
      const run = spawnSync("bash", [join(REPO_ROOT, "scripts/build-ipxe-efi.sh"), "--chain-url", "http://10.99.0.1:8080/boot.ipxe", "--out", out], {
        encoding: "utf8",
        env: { ...process.env, DEBIAN_MIRROR: "http://127.0.0.1:9/debian", IPXE_SOURCE_DIR: "", APT_CONFIG: join(out, "apt.conf") },
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/error: cannot fetch Debian's iPXE source \(ipxe=1\.0\.0\+git-20190125\.36a4c85-5\.1, bookworm, from http:\/\/127\.0\.0\.1:9\/debian\)/);
      expect(run.stderr).toContain("run again with IPXE_SOURCE_DIR=<that directory>");
      expect(existsSync(join(out, "netboot-chain.efi"))).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});
