import { existsSync, lstatSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { CONTROL_CHARACTER } from "./tokens";
import { kindOf } from "./yaml-source";

/**
 * The repository root (the directory with cdktf.json): every relative path in
 * settings is resolved from here. Found by walking up, because this module runs
 * from lib/ (tsx, tests) and from the bundles in dist/ and dist/bin/.
 */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the repository root (a directory with cdktf.json) above ${from}`);
  }
}

const REAL_REPO_ROOT = realpathSync(REPO_ROOT);

/** `child` is `root` or lies below it (both absolute and normalised). */
function within(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Where `file` really is: the longest prefix that exists resolved through
 * every symbolic link, the rest appended. A file that does not exist yet
 * (a key about to be written) is placed by the directory it would land in.
 */
export function realLocation(file: string): string {
  const rest: string[] = [];
  for (let current = resolve(file); ; current = dirname(current)) {
    try {
      return join(realpathSync(current), ...rest.reverse());
    } catch {
      if (dirname(current) === current) return resolve(file);
      rest.push(basename(current));
    }
  }
}

/**
 * Whether `file` lies inside this repository, as written or after every
 * symbolic link on its way is followed (a link into the repository counts as
 * inside, git-ignored or not).
 */
export function isInsideRepository(file: string): boolean {
  return within(REPO_ROOT, resolve(file)) || within(REAL_REPO_ROOT, realLocation(file));
}

/** Whether `file` is written as a path inside the repository (no link followed). */
export function lexicallyInsideRepository(file: string): boolean {
  return within(REPO_ROOT, resolve(file));
}

export function displayPath(file: string): string {
  return within(REPO_ROOT, resolve(file)) ? relative(REPO_ROOT, resolve(file)) || "." : file;
}

const ALLOWED = "allowed: a regular file inside the repository, named relative to its root (e.g. matchbox-config/machines.yaml)";

/**
 * The one rule for a path a data file names (the inventory, the peers file,
 * the gateway key, a Talos patch, the site cdktf.json names): resolved from
 * the repository root and through every symbolic link, it must be a regular
 * file inside the repository (not in .git). Such a file is reviewed data that
 * CI has too; anything else (/proc/self/environ, /etc/passwd, a private key
 * next to the repository, /dev/zero, a FIFO) is refused here, by name, and
 * never opened. Returns the real path to read, or why not.
 */
export function repositoryFile(named: string, root: string = REPO_ROOT): { file: string } | { error: string } {
  if (named === "" || CONTROL_CHARACTER.test(named)) return { error: `is not a path on one line; ${ALLOWED}` };
  const written = resolve(root, named);
  if (!within(root, written)) return { error: `is outside the repository; ${ALLOWED}` };
  let real: string;
  try {
    real = realpathSync(written);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { error: `does not exist; ${ALLOWED}` };
    if (code === "ELOOP") return { error: `is a loop of symbolic links; ${ALLOWED}` };
    return { error: `cannot be resolved (${code ?? "error"}); ${ALLOWED}` };
  }
  const realRoot = root === REPO_ROOT ? REAL_REPO_ROOT : realpathSync(root);
  if (!within(realRoot, real)) return { error: `resolves through a symbolic link to a file outside the repository; ${ALLOWED}` };
  if (relative(realRoot, real).split(sep)[0] === ".git") return { error: `is inside the repository's .git directory, which is not reviewed data; ${ALLOWED}` };
  const st = lstatSync(real);
  if (!st.isFile()) return { error: `is ${kindOf(st)}, not a regular file; ${ALLOWED}` };
  return { file: real };
}
