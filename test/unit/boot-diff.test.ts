import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { BootDiffError, bootDiff, changeLines, formatBootDiff, formatBootDiffMarkdown } from "../../lib/commands/boot-diff";
import { FIXTURE_INVENTORY } from "../support/inventory";
import { FIXTURES, fixtureSiteValue } from "../support/site";
import { runCommand } from "../support/commands";

/** The committed base every test starts from, made once per file (git's start-up is most of a test's time); each test gets a copy. */
let baseRepository: string | undefined;

/** A git repository holding the fixture site and inventory, committed once; the working tree is the head side. */
function fixtureRepository() {
  const dir = mkdtempSync(join(tmpdir(), "netboot-boot-diff-"));
  const git = (...args: string[]) => {
    const run = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: dir, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  };
  const site = fixtureSiteValue();
  site.matchbox.inventoryFile = "inventory/machines.yaml";
  const machines = parse(readFileSync(FIXTURE_INVENTORY, "utf8")).machines as Record<string, any>[];
  const write = (s: Record<string, any>, m: Record<string, any>[]) => {
    writeFileSync(join(dir, "site.yaml"), stringify(s));
    require("node:fs").mkdirSync(join(dir, "inventory"), { recursive: true });
    writeFileSync(join(dir, "inventory/machines.yaml"), stringify({ machines: m }));
  };
  if (baseRepository === undefined) {
    write(site, machines);
    // The fixture's patch files, at the paths the fixture names (relative to this repository's root).
    cpSync(join(FIXTURES, "site/patches"), join(dir, "test/fixtures/site/patches"), { recursive: true });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "base");
    baseRepository = mkdtempSync(join(tmpdir(), "netboot-boot-diff-base-"));
    cpSync(dir, baseRepository, { recursive: true });
  } else {
    cpSync(baseRepository, dir, { recursive: true });
  }
  return {
    dir,
    /** Rewrites the working tree from edited copies of the base data. */
    edit(editSite: (s: Record<string, any>) => void, editMachines: (m: Record<string, any>[]) => void = () => {}) {
      const s = structuredClone(site);
      const m = structuredClone(machines);
      editSite(s);
      editMachines(m);
      write(s, m);
    },
    commit: (message: string) => (git("add", "-A"), git("commit", "-qm", message)),
    diff: (base = "HEAD") => bootDiff({ repoRoot: dir, siteFile: join(dir, "site.yaml"), base }),
  };
}

describe("boot-diff", () => {
  test("no change: nothing listed, and the summary says so", () => {
    const repo = fixtureRepository();
    const result = repo.diff();
    expect(result.changes).toEqual([]);
    expect(formatBootDiff(result)).toMatch(/^boot-diff site\.yaml: HEAD \([0-9a-f]{12}\) → working tree\nno boot changes\n$/);
  });

  test("machines added, removed and changed, one line each, git-style", () => {
    const repo = fixtureRepository();
    repo.edit(
      () => {},
      (m) => {
        m.push({ name: "fixture-new", mac: "02-6E-62-00-00-77", role: "controlplane", address: "10.0.20.77" });
        m.splice(m.findIndex((x) => x.name === "fixture-rescue"), 1);
        m[0].kernelArgs = ["console=ttyS2,115200n8"];
        m[0].nodeLabels = { "topology.kubernetes.io/zone": "rack-2" };
        m[1].boot = "maintenance";
        m[2].address = "10.0.20.35";
        m[2].installDiskSelector = { type: "ssd" };
        delete m[2].installDisk;
        m.find((x) => x.name === "fixture-disk")!.boot = "install";
      },
    );
    expect(changeLines(repo.diff().changes)).toEqual([
      // The machine's own profile carries its kernel arguments.
      "~ profile talos-fixture-cp-1  args: console=ttyS1,115200n8 → console=ttyS2,115200n8",
      "~ fixture-cp-1  kernelArgs: console=ttyS1,115200n8 → console=ttyS2,115200n8",
      "~ fixture-cp-1  nodeLabels: topology.kubernetes.io/zone=rack-1 netboot.example/chassis=dl360-gen9 → topology.kubernetes.io/zone=rack-2",
      "~ fixture-cp-2  profile: talos-fixture-cp-2 → talos-maintenance",
      "~ fixture-cp-2  boot: install → maintenance",
      "~ fixture-worker-1  installDisk: /dev/disk/by-id/wwn-0x5000c500a1b2c3d4 → selector type=ssd",
      "~ fixture-worker-1  address: 10.0.20.34/24 → 10.0.20.35/24",
      "~ fixture-disk  profile: disk → talos-fixture-disk",
      // The line that sets or adds boot: install says what the install writes.
      "~ fixture-disk  boot: disk → install  (installs to /dev/sda)",
      "+ fixture-new  02:6e:62:00:00:77  talos-fixture-new  (installs to /dev/sda)",
      "- fixture-rescue  02:6e:62:00:00:06  rescue",
    ]);
    expect(formatBootDiff(repo.diff())).toMatch(/\n1 machine\(s\) added, 1 removed, 4 changed, 1 profile\(s\) changed\n$/);
  });

  test("a MAC pasted in another spelling is no change; a different MAC is", () => {
    const repo = fixtureRepository();
    repo.edit(() => {}, (m) => void (m[0].mac = "02-6E-62-00-00-01"));
    expect(repo.diff().changes).toEqual([]);
    repo.edit(() => {}, (m) => void (m[0].mac = "02:6e:62:00:00:42"));
    expect(changeLines(repo.diff().changes)).toEqual(["~ fixture-cp-1  mac: 02:6e:62:00:00:01 → 02:6e:62:00:00:42"]);
  });

  test("profile-level changes: a Talos upgrade changes the installer and every Talos profile's kernel and initrd", () => {
    const repo = fixtureRepository();
    repo.edit((s) => void (s.talos.version = "v1.14.0"));
    const lines = changeLines(repo.diff().changes);
    expect(lines).toContain("~ talos  version: v1.13.9 → v1.14.0");
    expect(lines).toContainEqual(expect.stringMatching(/^~ talos {2}installer: factory\.talos\.dev\/metal-installer\/\w+:v1\.13\.9 → factory\.talos\.dev\/metal-installer\/\w+:v1\.14\.0$/));
    for (const profile of ["talos-fixture-cp-1", "talos-fixture-cp-2", "talos-fixture-worker-1", "talos-maintenance"]) {
      expect(lines).toContain(`~ profile ${profile}  kernel: /assets/talos/v1.13.9/kernel-amd64 → /assets/talos/v1.14.0/kernel-amd64`);
    }
    expect(lines.some((l) => l.startsWith("~ profile rescue"))).toBe(false);
    // Machines boot the same profiles: no machine line.
    expect(lines.every((l) => /^~ (talos|profile) /.test(l))).toBe(true);
  });

  test("kernel arguments are shown as the tokens removed and added", () => {
    const repo = fixtureRepository();
    repo.edit((s) => void (s.talos.schematicExtraKernelArgs = ["net.ifnames=0"]));
    const lines = changeLines(repo.diff().changes);
    expect(lines).toContain("~ profile talos-fixture-worker-1  args: (none removed) → net.ifnames=0");
    expect(lines).toContain("~ profile talos-maintenance  args: (none removed) → net.ifnames=0");
    repo.edit((s) => void (s.rescue.args = ["boot=live", "toram"]));
    expect(changeLines(repo.diff().changes)).toEqual([
      "~ profile rescue  args: fetch=http://10.99.0.1:8080/assets/rescue/filesystem.squashfs netboot.mac=${net0/mac:hexhyp} netboot.literal=%{not_a_directive} → toram",
    ]);
  });

  test("a profile that appears or disappears is listed", () => {
    const repo = fixtureRepository();
    repo.edit(
      (s) => void delete s.rescue,
      (m) => void m.splice(m.findIndex((x) => x.name === "fixture-rescue"), 1),
    );
    expect(changeLines(repo.diff().changes)).toEqual(["- profile rescue", "- fixture-rescue  02:6e:62:00:00:06  rescue"]);
  });

  test("base data the current code refuses: says so and shows the head side", () => {
    const repo = fixtureRepository();
    repo.edit(() => {}, (m) => void (m[1].mac = m[0].mac));
    repo.commit("a broken inventory");
    repo.edit(() => {});
    const result = repo.diff();
    expect(result.baseProblem).toMatch(/the data at HEAD does not validate with the current code[\s\S]*HEAD:inventory\/machines\.yaml:\d+: machine "fixture-cp-2": machines\[1\]\.mac: duplicate MAC/);
    expect(changeLines(result.changes)).toHaveLength(6);
    expect(changeLines(result.changes).every((l) => l.startsWith("+ fixture-"))).toBe(true);
  });

  test("a site file new in this change: the base inventory is read with this change's settings, and a note says so", () => {
    const repo = fixtureRepository();
    writeFileSync(join(repo.dir, "home.yaml"), readFileSync(join(repo.dir, "site.yaml")));
    const result = bootDiff({ repoRoot: repo.dir, siteFile: join(repo.dir, "home.yaml"), base: "HEAD" });
    expect(result.notes).toEqual(["home.yaml does not exist at HEAD; the base inventory is read with this change's settings"]);
    expect(result.changes).toEqual([]);
  });

  test("refuses what it cannot compare: an unknown ref, invalid working-tree data, a site outside the repository", () => {
    const repo = fixtureRepository();
    expect(() => repo.diff("no-such-branch")).toThrow(BootDiffError);
    expect(() => repo.diff("no-such-branch")).toThrow(/--base no-such-branch: no such commit .*fetch-depth: 0/);
    expect(() => repo.diff("--output=/tmp/x")).toThrow(/not a git ref/);
    repo.edit(() => {}, (m) => void (m[0].role = "boss"));
    expect(() => repo.diff()).toThrow(/working tree's data is invalid[\s\S]*inventory\/machines\.yaml:\d+: machine "fixture-cp-1": machines\[0\]\.role/);
    unlinkSync(join(repo.dir, "inventory/machines.yaml"));
    // Worded as validate words it: the settings field that names the missing file.
    expect(() => repo.diff()).toThrow(/site\.yaml:\d+: matchbox\.inventoryFile: "inventory\/machines\.yaml" does not exist; allowed: a regular file inside the repository/);
    expect(() => bootDiff({ repoRoot: repo.dir, siteFile: join(tmpdir(), "elsewhere.yaml"), base: "HEAD" })).toThrow(/outside the repository/);
  });

  test("markdown: a diff block whose fence no value can close, and the base commit", () => {
    const repo = fixtureRepository();
    repo.edit((s) => void (s.rescue.args = ["boot=live", "x=```"]));
    const md = formatBootDiffMarkdown(repo.diff());
    expect(md).toMatch(/^### Boot changes: `site\.yaml`\n\nBase `[0-9a-f]{12}` → this change: \*\*0 machine\(s\) added, 0 removed, 0 changed, 1 profile\(s\) changed\*\*\.\n/);
    expect(md).toContain("\n````diff\n~ profile rescue  args: ");
    expect(md).toContain("x=```\n````\n");
  });
});

describe("npm run boot-diff (the real command)", () => {
  const run = (args: string[]) =>
    runCommand("boot-diff", args, { env: { SITE_CONFIG: "test/fixtures/site/site.yaml" } });

  test("usage errors and unknown refs exit 2 with the reason; the site is named once", () => {
    const missing = run([]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--base is required[\s\S]*usage: npm run boot-diff -- --base <git-ref>/);
    const unknown = run(["--base", "refs/heads/no-such-branch-netboot"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split("\n").filter((l) => l.startsWith("site: "))).toEqual(["site: test/fixtures/site/site.yaml"]);
    expect(unknown.stderr).toMatch(/error: --base refs\/heads\/no-such-branch-netboot: no such commit/);
    expect(run(["--base", "HEAD", "--bogus"]).status).toBe(2);
  });
});

/**
 * A repository as upstream ships it (the example site and inventory, cdktf.json
 * with `baseContext`), committed, then a user's first change: their own site
 * and inventory, named in cdktf.json's context.site; the example left as it was.
 */
function firstPullRequest(baseContext: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "netboot-first-pr-"));
  const git = (...args: string[]) => {
    const run = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: dir, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  };
  cpSync(join(FIXTURES, "site/patches"), join(dir, "test/fixtures/site/patches"), { recursive: true });
  mkdirSync(join(dir, "sites"));
  mkdirSync(join(dir, "matchbox-config"));
  const example = fixtureSiteValue();
  example.matchbox.inventoryFile = "matchbox-config/machines.yaml";
  writeFileSync(join(dir, "sites/example.yaml"), stringify(example));
  const exampleMachines = parse(readFileSync(FIXTURE_INVENTORY, "utf8")).machines as Record<string, any>[];
  writeFileSync(join(dir, "matchbox-config/machines.yaml"), stringify({ machines: exampleMachines }));
  writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "x", context: baseContext }));
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "upstream");
  // The user's change: their own site and inventory, named in cdktf.json; the example left as it was.
  const home = structuredClone(example);
  home.matchbox.inventoryFile = "matchbox-config/home.yaml";
  writeFileSync(join(dir, "sites/home.yaml"), stringify(home));
  writeFileSync(join(dir, "matchbox-config/home.yaml"), stringify({ machines: [{ name: "dl360-a", mac: "02:6e:62:00:10:01", role: "controlplane", address: "10.0.20.41" }] }));
  writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "x", context: { site: "sites/home.yaml" } }));
  return { dir, exampleMachines };
}

describe("boot-diff on a user's first pull request (issue 24)", () => {
  test("the base side is read with the base commit's own site (its cdktf.json context.site): the example machines removed, the user's added", () => {
    const { dir, exampleMachines } = firstPullRequest({ site: "sites/example.yaml" });
    const result = bootDiff({ repoRoot: dir, siteFile: join(dir, "sites/home.yaml"), base: "HEAD" });
    expect(result.baseProblem).toBeUndefined();
    expect(result.base.site).toBe("sites/example.yaml");
    expect(result.notes).toEqual(["the site at HEAD is sites/example.yaml (its cdktf.json context.site); this change's is sites/home.yaml"]);
    const lines = changeLines(result.changes);
    expect(lines.filter((l) => l.startsWith("+ "))).toEqual(["+ dl360-a  02:6e:62:00:10:01  talos-dl360-a  (installs to /dev/sda)"]);
    expect(lines.filter((l) => /^- fixture-/.test(l)).length).toBe(exampleMachines.length);
    // With SITE_CONFIG naming the site, the base reads the same path (which it does not have: its inventory is read with this change's settings).
    const same = bootDiff({ repoRoot: dir, siteFile: join(dir, "sites/home.yaml"), base: "HEAD", siteFromEnv: true });
    expect(same.base.site).toBe("sites/home.yaml");
    expect(same.notes).toEqual(["sites/home.yaml does not exist at HEAD; the base inventory is read with this change's settings"]);
  });
  test("a base whose cdktf.json names no site (as upstream ships it, context: {}) is read with the example, by the same rule", () => {
    const { dir, exampleMachines } = firstPullRequest({});
    const result = bootDiff({ repoRoot: dir, siteFile: join(dir, "sites/home.yaml"), base: "HEAD" });
    expect(result.baseProblem).toBeUndefined();
    expect(result.base.site).toBe("sites/example.yaml");
    expect(result.notes).toEqual(["the site at HEAD is sites/example.yaml (the example: its cdktf.json names no context.site); this change's is sites/home.yaml"]);
    const lines = changeLines(result.changes);
    expect(lines.filter((l) => l.startsWith("+ "))).toEqual(["+ dl360-a  02:6e:62:00:10:01  talos-dl360-a  (installs to /dev/sda)"]);
    expect(lines.filter((l) => /^- fixture-/.test(l)).length).toBe(exampleMachines.length);
  });
});
