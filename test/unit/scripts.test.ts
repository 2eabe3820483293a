import { spawnSync } from "node:child_process";
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
