import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { bootDiff, formatBootDiffMarkdown } from "../../lib/commands/boot-diff";
import { bootStatusReport, parseReceiverStatus, type WindowOpened } from "../../lib/commands/boot-status";
import { parseInventory } from "../../lib/input/inventory";
import { REPO_ROOT } from "../../lib/input/settings";
import { YamlSource } from "../../lib/input/yaml-source";
import { inventoryRepository } from "../support/inventory-repository";
import { siteFrom } from "../support/site";

// The close-boot-windows workflow's scripts, run as the workflow runs them, on
// a report that boot-status builds from the sample receiver status.
const SCRIPT = join(REPO_ROOT, ".github/scripts/close-boot-windows.js");
const OPEN_PR = join(REPO_ROOT, ".github/scripts/open-inventory-pr.sh");
const FIXTURES = join(REPO_ROOT, "test/fixtures/boot-status");
const INVENTORY_TEXT = readFileSync(join(FIXTURES, "machines.yaml"), "utf8");
const NOW = new Date("2026-12-07T11:30:00Z");
const DAY = 24 * 60 * 60 * 1000;
const opened = (daysAgo: number): WindowOpened => ({ kind: "commit", at: new Date(NOW.getTime() - daysAgo * DAY).toISOString(), commit: "0123456789abcdef0123", truncated: false });

/** boot-status's --json report of the sample status for the test inventory (written to `inventoryFile`). */
function reportFor(statusFile: string, inventoryFile: string) {
  const settings = siteFrom((s) => (s.matchbox.inventoryFile = inventoryFile));
  const machines = parseInventory(YamlSource.parse(INVENTORY_TEXT, inventoryFile), settings);
  const status = parseReceiverStatus(JSON.parse(readFileSync(join(FIXTURES, statusFile), "utf8")), statusFile);
  const windows = new Map<string, WindowOpened>([
    ["cp-01", opened(3)],
    ["cp-02", opened(0.5)],
    ["cp-03", opened(1)],
    ["worker-01", opened(0.2)],
    ["worker-02", opened(9)],
  ]);
  return bootStatusReport({ site: "site.yaml", settings, machines, status, source: "Cloud Logging (a test)", windows, now: NOW });
}

function run(args: string[], cwd = REPO_ROOT) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const repository = () => inventoryRepository(INVENTORY_TEXT);

describe("the closing pull request, from the sample status (cp-01 installed)", () => {
  test("edit: only cp-01's entry gains boot: disk; every other byte of the inventory is as it was; boot-diff shows ~ cp-01 boot: install → disk; the body has the install time, Talos version and the diff", () => {
    const repo = repository();
    try {
      writeFileSync(repo.report, JSON.stringify(reportFor("example-cp-01-installed.json", "inventory/machines.yaml")));
      const edit = run(["edit", "inventory/machines.yaml", repo.report], repo.dir);
      expect(edit.stderr).toBe("");
      expect(edit.status).toBe(0);
      expect(edit.stdout).toBe("cp-01\n");
      const after = readFileSync(join(repo.dir, "inventory/machines.yaml"), "utf8");
      expect(after).toBe(INVENTORY_TEXT.replace("    role: controlplane\n    address: 10.0.20.10\n", "    role: controlplane\n    boot: disk\n    address: 10.0.20.10\n"));

      const diff = bootDiff({ repoRoot: repo.dir, siteFile: join(repo.dir, "site.yaml"), base: "HEAD" });
      const markdown = formatBootDiffMarkdown(diff);
      expect(markdown).toContain("~ cp-01  boot: install → disk\n");
      expect(diff.changes.filter((c) => c.kind === "changed").map((c) => (c.kind === "changed" ? `${c.name} ${c.field}` : ""))).toEqual(["cp-01 profile", "cp-01 boot"]);
      writeFileSync(join(repo.dir, "..", "diff.md"), markdown);

      const body = run(["body", repo.report, join(repo.dir, "..", "diff.md"), "https://github.com/o/r/actions/runs/1"], repo.dir);
      expect(body.status).toBe(0);
      expect(body.stdout).toContain("| `cp-01` | controlplane | 2026-12-07T10:12Z | `v1.13.9` | 2026-12-04T11:30Z (3 days, `0123456789ab`) |");
      expect(body.stdout).toContain("~ cp-01  boot: install → disk");
      expect(body.stdout).toContain("**Bootstrap pending:** `cp-01` is installed");
      expect(body.stdout).toContain("### Windows open longer than 7 days\n\n- `worker-02`: window open 9 days (since 2026-11-28, more than matchbox.bootWindowWarnDays 7); never reported\n");
      expect(body.stdout).toContain("([run](https://github.com/o/r/actions/runs/1))");
      expect(body.stdout).toContain("it cannot deploy");
      // Nothing that is not installed is closed.
      expect(body.stdout).not.toMatch(/\| `(cp-02|worker-01|worker-02)` \|/);
    } finally {
      repo.cleanup();
      rmSync(join(repo.dir, "..", "diff.md"), { force: true });
    }
  });

  test("edit: an existing boot: install line keeps its comment and position; two machines at once", () => {
    const repo = repository();
    try {
      const status = JSON.parse(readFileSync(join(FIXTURES, "example-cp-01-installed.json"), "utf8"));
      Object.assign(status.machines[2], { phase: "installed", installedAt: "2026-12-07T11:02:00Z", error: null });
      writeFileSync(join(repo.dir, "status.json"), JSON.stringify(status));
      const settings = siteFrom((s) => (s.matchbox.inventoryFile = "inventory/machines.yaml"));
      const machines = parseInventory(YamlSource.parse(INVENTORY_TEXT, "i"), settings);
      const report = bootStatusReport({ site: "s", settings, machines, status: parseReceiverStatus(status, "s"), source: "t", windows: new Map(), now: NOW });
      writeFileSync(repo.report, JSON.stringify(report));
      const edit = run(["edit", "inventory/machines.yaml", repo.report], repo.dir);
      expect(edit.stdout).toBe("cp-01\nworker-01\n");
      const after = readFileSync(join(repo.dir, "inventory/machines.yaml"), "utf8");
      expect(after).toBe(
        INVENTORY_TEXT.replace("    role: controlplane\n    address: 10.0.20.10\n", "    role: controlplane\n    boot: disk\n    address: 10.0.20.10\n").replace(
          "    boot: install   # reinstalled after a disk swap\n",
          "    boot: disk   # reinstalled after a disk swap\n",
        ),
      );
      expect((parse(after).machines as { name: string; boot?: string }[]).filter((m) => m.boot === "disk").map((m) => m.name)).toEqual(["cp-01", "worker-01", "storage-01"]);
    } finally {
      repo.cleanup();
    }
  });

  test("edit refuses what it would have to guess, naming the entry, and writes nothing", () => {
    const repo = repository();
    try {
      writeFileSync(repo.report, JSON.stringify(reportFor("example-cp-01-installed.json", "inventory/machines.yaml")));
      const flow = INVENTORY_TEXT.replace(/  - name: cp-01\n    mac: aa:bb:cc:dd:ee:01\n    role: controlplane\n    address: 10.0.20.10\n    installDisk: \/dev\/sda\n/, "  - { name: cp-01, mac: \"aa:bb:cc:dd:ee:01\", role: controlplane, address: 10.0.20.10, installDisk: /dev/sda }\n");
      expect(flow).not.toBe(INVENTORY_TEXT);
      writeFileSync(join(repo.dir, "inventory/machines.yaml"), flow);
      const r = run(["edit", "inventory/machines.yaml", repo.report], repo.dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('close-boot-windows: inventory/machines.yaml: machine "cp-01" is written as a flow mapping ({ ... }); set boot: disk by hand\n');
      expect(readFileSync(join(repo.dir, "inventory/machines.yaml"), "utf8")).toBe(flow);

      writeFileSync(join(repo.dir, "inventory/machines.yaml"), INVENTORY_TEXT.replace("name: cp-01", "name: cp-99"));
      const gone = run(["edit", "inventory/machines.yaml", repo.report], repo.dir);
      expect(gone.status).toBe(1);
      expect(gone.stderr).toContain("no machine named cp-01");

      writeFileSync(join(repo.dir, "not-a-report.json"), "{}");
      expect(run(["edit", "inventory/machines.yaml", "not-a-report.json"], repo.dir).stderr).toContain("not a boot-status report (netboot.boot-status-report/v1");
      expect(run(["bogus"]).status).toBe(2);
    } finally {
      repo.cleanup();
    }
  });

  test("annotations: one ::warning:: per window open too long, with the workflow-command escaping", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-annotations-"));
    try {
      const report = reportFor("example-cp-01-installed.json", "inventory/machines.yaml");
      writeFileSync(join(dir, "r.json"), JSON.stringify(report));
      const r = run(["annotations", join(dir, "r.json")]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(
        "::warning title=boot window of worker-02 open 9 days::worker-02: window open 9 days (since 2026-11-28, more than matchbox.bootWindowWarnDays 7); never reported. Its Talos config (cluster secrets) is served over plain HTTP to its MAC until boot: disk is merged and deployed.\n",
      );
      // A newline or % in a value cannot start another workflow command.
      const { annotations } = require(SCRIPT) as { annotations(r: unknown): string[] };
      const forged = { ...report, machines: [{ ...report.machines[4], name: "x\n::error::forged%" }] };
      expect(annotations(forged)[0]).not.toContain("\n");
      expect(annotations(forged)[0]).toContain("x%0A::error::forged%25");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("open-inventory-pr.sh (with a stand-in for gh and a local origin)", () => {
  const BASH = spawnSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).stdout.trim();
  function setup(openPr: string) {
    const repo = repository();
    const origin = mkdtempSync(join(tmpdir(), "netboot-origin-"));
    spawnSync("git", ["init", "-q", "--bare", origin]);
    repo.git("remote", "add", "origin", origin);
    repo.git("push", "-q", "origin", "main");
    const bin = mkdtempSync(join(tmpdir(), "netboot-gh-"));
    const calls = join(bin, "calls");
    writeFileSync(
      join(bin, "gh"),
      `#!${BASH}\nprintf '%s\\n' "$*" >> "${calls}"\nif [ "$1 $2" = "pr list" ]; then printf '%s' "${openPr}"; fi\nif [ "$1 $2" = "pr create" ] && [ -n "$FAKE_GH_REFUSE" ]; then echo "pull request create failed: GraphQL: GitHub Actions is not permitted to create or approve pull requests" >&2; exit 1; fi\nexit 0\n`,
    );
    chmodSync(join(bin, "gh"), 0o755);
    writeFileSync(join(repo.dir, "..", "body.md"), "the body\n");
    const runScript = (extra: Record<string, string> = {}) =>
      spawnSync(BASH, [OPEN_PR], {
        cwd: repo.dir,
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin, INVENTORY_FILE: "inventory/machines.yaml", BODY_FILE: join(repo.dir, "..", "body.md"), MACHINE_NAMES: "cp-01\nworker-01\n", ...extra },
      });
    const ghCalls = () => readFileSync(calls, "utf8").trim().split("\n");
    const onOrigin = (ref: string) => spawnSync("git", ["--git-dir", origin, "show", `${ref}:inventory/machines.yaml`], { encoding: "utf8" });
    return {
      repo,
      runScript,
      ghCalls,
      onOrigin,
      edit: () => writeFileSync(join(repo.dir, "inventory/machines.yaml"), INVENTORY_TEXT.replace("    role: controlplane\n    address: 10.0.20.10\n", "    role: controlplane\n    boot: disk\n    address: 10.0.20.10\n")),
      cleanup: () => {
        repo.cleanup();
        rmSync(origin, { recursive: true, force: true });
        rmSync(bin, { recursive: true, force: true });
        rmSync(join(repo.dir, "..", "body.md"), { force: true });
      },
    };
  }

  test("a change and no open pull request: pushes the one branch with only the inventory and opens the pull request", () => {
    const s = setup("");
    try {
      s.edit();
      writeFileSync(join(s.repo.dir, "stray.txt"), "left by an earlier step\n");
      const r = s.runScript();
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("opened a pull request: cp-01, worker-01\n");
      const title = "Close the boot window of 2 installed machine(s): cp-01, worker-01";
      expect(s.ghCalls()).toEqual([
        "pr list --head netboot/close-boot-windows --base main --state open --json number --jq .[0].number // empty",
        "auth setup-git",
        `pr create --base main --head netboot/close-boot-windows --title ${title} --body-file ${join(s.repo.dir, "..", "body.md")}`,
      ]);
      expect(s.onOrigin("netboot/close-boot-windows").stdout).toContain("    boot: disk\n    address: 10.0.20.10\n");
      const files = spawnSync("git", ["show", "--name-only", "--format=", "HEAD"], { cwd: s.repo.dir, encoding: "utf8" }).stdout.trim();
      expect(files).toBe("inventory/machines.yaml");
    } finally {
      s.cleanup();
    }
  });

  test("a change and an open pull request: force-pushes the branch and updates that pull request, opens no second one", () => {
    const s = setup("7");
    try {
      s.edit();
      const r = s.runScript();
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("updated pull request #7: cp-01, worker-01\n");
      expect(s.ghCalls().filter((c) => c.startsWith("pr create"))).toEqual([]);
      expect(s.ghCalls()).toContain(`pr edit 7 --title Close the boot window of 2 installed machine(s): cp-01, worker-01 --body-file ${join(s.repo.dir, "..", "body.md")}`);
    } finally {
      s.cleanup();
    }
  });

  test("nothing to close: an open pull request of the branch is closed; none open: nothing happens", () => {
    const open = setup("7");
    try {
      const r = open.runScript({ MACHINE_NAMES: "" });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("closed pull request #7: nothing left to close\n");
      expect(open.ghCalls()[1]).toMatch(/^pr close 7 --delete-branch --comment No installed machine is left/);
    } finally {
      open.cleanup();
    }
    const none = setup("");
    try {
      const r = none.runScript({ MACHINE_NAMES: "" });
      expect(r.stdout).toBe("no machine to close; no pull request needed\n");
      expect(none.ghCalls()).toHaveLength(1);
    } finally {
      none.cleanup();
    }
  });

  test("GitHub refuses the pull request (Actions may not create them): exit 1 with the setting to change", () => {
    const s = setup("");
    try {
      s.edit();
      const r = s.runScript({ FAKE_GH_REFUSE: "1" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("Allow GitHub Actions to create and approve pull requests");
    } finally {
      s.cleanup();
    }
  });

  test("discovery: its own branch and title; an open closing pull request is neither touched nor counted", () => {
    const s = setup("");
    try {
      writeFileSync(join(s.repo.dir, "inventory/machines.yaml"), `${INVENTORY_TEXT}  - name: new-0abcde\n    mac: "52:54:00:0a:bc:de"\n    boot: maintenance\n`);
      const r = s.runScript({ PR_KIND: "discovery", MACHINE_NAMES: "new-0abcde\n" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("opened a pull request: new-0abcde\n");
      const title = "Add 1 discovered machine(s) in maintenance mode: new-0abcde";
      expect(s.ghCalls()).toEqual([
        "pr list --head netboot/discovered-machines --base main --state open --json number --jq .[0].number // empty",
        "auth setup-git",
        `pr create --base main --head netboot/discovered-machines --title ${title} --body-file ${join(s.repo.dir, "..", "body.md")}`,
      ]);
      expect(s.onOrigin("netboot/discovered-machines").stdout).toContain("  - name: new-0abcde\n");
      expect(s.onOrigin("netboot/close-boot-windows").status).not.toBe(0);
      const message = spawnSync("git", ["log", "-1", "--format=%B"], { cwd: s.repo.dir, encoding: "utf8" }).stdout;
      expect(message).toMatch(/^Add 1 discovered machine\(s\) in maintenance mode: new-0abcde\n\nAdds machines the boot-report receiver saw in maintenance mode/);
    } finally {
      s.cleanup();
    }
  });

  test("discovery: nothing discovered any more closes its open pull request with its own words", () => {
    const s = setup("9");
    try {
      const r = s.runScript({ PR_KIND: "discovery", MACHINE_NAMES: "" });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("closed pull request #9: nothing left to add\n");
      expect(s.ghCalls()[0]).toContain("--head netboot/discovered-machines");
      expect(s.ghCalls()[1]).toMatch(/^pr close 9 --delete-branch --comment No machine is left that booted through discovery/);
    } finally {
      s.cleanup();
    }
  });

  test("an unknown PR_KIND is a usage error, before gh is asked anything", () => {
    const s = setup("");
    try {
      const r = s.runScript({ PR_KIND: "cleanup" });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe("open-inventory-pr: PR_KIND cleanup: allowed: close, discovery\n");
      // gh writes its calls file on its first call.
      expect(() => s.ghCalls()).toThrow(/ENOENT/);
    } finally {
      s.cleanup();
    }
  });

  test("usage: both files are required", () => {
    const r = spawnSync(BASH, [OPEN_PR], { encoding: "utf8", env: { PATH: process.env.PATH } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("open-inventory-pr: INVENTORY_FILE and BODY_FILE must be set\n");
  });
});
