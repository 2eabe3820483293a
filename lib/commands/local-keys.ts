import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync, type Stats } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { isInsideRepository, realLocation } from "../input/repo-files";

/**
 * Where `wg:keygen` keeps a peer's private key: on the admin's machine, outside
 * the repository, readable only by its owner. NETBOOT_KEY_DIR overrides it.
 */
export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.NETBOOT_KEY_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "netboot", "wireguard");
}

/**
 * The default key directory as the documentation writes it (docs quote this
 * owner; test/unit/docs.test.ts checks every private key path they name).
 */
export const DEFAULT_KEY_DIR_SHOWN = "~/.config/netboot/wireguard";

export function defaultKeyFile(peer: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(defaultKeyDir(env), `${peer}.key`);
}

/**
 * Why a private key may not be written to `file`, or undefined: every path
 * inside the repository is refused, as written or after its symbolic links
 * (a directory linked into the working tree), git-ignored or not: a key in
 * the working tree is one `git add -f`, one backup or one sync from leaking.
 * `flag` names where the path came from (e.g. --out).
 */
export function privateKeyPathInRepository(file: string, flag: string): string | undefined {
  if (!isInsideRepository(file)) return undefined;
  const real = realLocation(file);
  const via = real === resolve(file) ? "" : ` (it resolves to ${real})`;
  return `${flag} ${file}: refusing to write a private key inside the repository${via}, ignored by git or not; choose a path outside it, e.g. ~/.config/netboot/wireguard/`;
}

/** The mode every file holding a private key ends with: read and write for its owner only. */
export const PRIVATE_FILE_MODE = 0o600;

export type PrivateFileRefusal =
  /** The path is a symbolic link: writing through it would put the key wherever the link points. */
  | { readonly reason: "symlink"; readonly message: string }
  /** The path exists and is not a regular file (a directory, a device, ...). */
  | { readonly reason: "not-a-file"; readonly message: string }
  /** The path exists and `replace` was not given. */
  | { readonly reason: "exists"; readonly message: string }
  | { readonly reason: "io"; readonly message: string };

function lstatIfExists(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Writes a file that holds a private key (a key file, a peer config) so that
 * it ends as a regular file of mode 0600, never through a symbolic link:
 * - a path that is a symbolic link is refused (checked with lstat, and the
 *   file is opened with O_NOFOLLOW, so a link planted afterwards fails too);
 * - a new file is created with O_CREAT|O_EXCL ('wx'): it never replaces
 *   anything that appeared in the meantime;
 * - with `replace`, the content goes to a new temporary file (mode 0600) in
 *   the same directory, renamed over the old one: the old file's mode (say
 *   0644) never applies to the new content, and a reader sees the old or the
 *   new file, never half of one.
 * Returns undefined when written, or why not (nothing is written then).
 */
export function writePrivateFile(file: string, content: string, options: { readonly replace: boolean }): PrivateFileRefusal | undefined {
  try {
    const existing = lstatIfExists(file);
    if (existing?.isSymbolicLink()) {
      return { reason: "symlink", message: `${file} is a symbolic link; refusing to write a private key through it (it could point anywhere, e.g. into a shared or tracked directory); remove the link or choose another path` };
    }
    if (existing && !existing.isFile()) return { reason: "not-a-file", message: `${file} exists and is not a regular file; choose another path` };
    if (existing && !options.replace) return { reason: "exists", message: `${file} exists` };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const target = existing ? join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`) : file;
    const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
    try {
      fchmodSync(fd, PRIVATE_FILE_MODE); // exactly 0600, whatever the umask
      writeSync(fd, content);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(target, { force: true });
      throw err;
    }
    closeSync(fd);
    if (target !== file) {
      try {
        renameSync(target, file); // replaces the path itself, never follows a link
      } catch (err) {
        rmSync(target, { force: true });
        throw err;
      }
    }
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return { reason: "exists", message: `${file} exists` };
    if (code === "ELOOP") return { reason: "symlink", message: `${file} is a symbolic link; refusing to write a private key through it; remove the link or choose another path` };
    return { reason: "io", message: `cannot write ${file}: ${(err as Error).message}` };
  }
}
