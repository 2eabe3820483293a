import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { fixtureSiteValue } from "./site";

/**
 * A git repository with the fixture site (no patch files: boot-diff reads
 * those inside the repository it compares) and `inventoryText` at
 * inventory/machines.yaml, committed as the base a closing pull request is
 * compared with. `report` is a path beside it for a boot-status report.
 */
export function inventoryRepository(inventoryText: string) {
  const dir = mkdtempSync(join(tmpdir(), "netboot-close-"));
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const site = fixtureSiteValue();
  site.matchbox.inventoryFile = "inventory/machines.yaml";
  site.talos.patches = [];
  writeFileSync(join(dir, "site.yaml"), stringify(site));
  mkdirSync(join(dir, "inventory"));
  writeFileSync(join(dir, "inventory/machines.yaml"), inventoryText);
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
  const report = join(dir, "..", `${dir.split("/").pop()}-report.json`);
  return { dir, git, report, cleanup: () => (rmSync(dir, { recursive: true, force: true }), rmSync(report, { force: true })) };
}
