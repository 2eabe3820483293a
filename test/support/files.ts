import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../lib/input/repo-files";

/** Every file below `dir`, by its path relative to `dir`, with its text. */
export function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

const repoTempDirs: string[] = [];
// Registered when a test file imports this module (jest's collection phase): every directory made below goes at the end.
afterAll(() => {
  for (const dir of repoTempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh directory inside the repository (test/.tmp-<name>-*, ignored by
 * git), for data files a site names: the path rule (lib/input/repo-files.ts)
 * refuses data files outside the repository. Removed after the test file.
 */
export function repoTempDir(name: string): string {
  const dir = mkdtempSync(join(REPO_ROOT, "test", `.tmp-${name}-`));
  repoTempDirs.push(dir);
  return dir;
}
