import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseDocument } from "yaml";
import { CDKTF_JSON_FILE, EXAMPLE_SITE_PATH, REPO_ROOT, siteFileFromEnv } from "../../lib/input/settings";

/**
 * The repository as git sees it (tracked and untracked-but-not-ignored files:
 * a user's uncommitted edits included) copied to a new temporary directory,
 * with `node_modules` a link to this checkout's. The copy is no git
 * repository yet: callers commit it as their base.
 */
export function copyRepository(prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (listed.status !== 0) throw new Error(`git ls-files: ${listed.stderr}`);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(copy, file));
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

/**
 * The site a copy's user works with, as a repository path: the one this
 * checkout's cdktf.json selects; when that is the built-in example, it is
 * first copied in the copy to sites/home.yaml with `example: false` and
 * selected in the copy's cdktf.json, as the docs have a new user do.
 */
export function usersSite(copy: string): string {
  const selected = relative(REPO_ROOT, siteFileFromEnv({}, CDKTF_JSON_FILE));
  if (selected !== EXAMPLE_SITE_PATH) return selected;
  const own = "sites/home.yaml";
  const site = parseDocument(readFileSync(join(copy, selected), "utf8"));
  site.set("example", false);
  writeFileSync(join(copy, own), site.toString());
  const cdktf = JSON.parse(readFileSync(join(copy, "cdktf.json"), "utf8"));
  cdktf.context = { ...cdktf.context, site: own };
  writeFileSync(join(copy, "cdktf.json"), `${JSON.stringify(cdktf, null, 2)}\n`);
  return own;
}
