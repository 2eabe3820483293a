import { notOneToken } from "../tokens";

/** Kernel arguments whose value the boot profile sets itself; a second one would contradict it. */
export const PROFILE_OWNED_ARG_KEYS = ["initrd", "talos.platform", "talos.config"] as const;

const keyOf = (arg: string) => arg.split("=", 1)[0];

/**
 * Why `arg` cannot be added after `before` on a kernel command line, or
 * undefined when it can: one token (the command line is split on whitespace,
 * and the iPXE script on newlines), not an argument the profile owns, not a
 * repeat of one already there.
 */
export function kernelArgProblem(arg: string, before: readonly string[]): string | undefined {
  if (arg === "" || notOneToken(arg)) {
    return `${JSON.stringify(arg)} is not one kernel argument; allowed: one token without spaces, newlines or control characters, e.g. console=ttyS1,115200n8`;
  }
  if ((PROFILE_OWNED_ARG_KEYS as readonly string[]).includes(keyOf(arg))) {
    return `${keyOf(arg)}= is set by the boot profile itself (${PROFILE_OWNED_ARG_KEYS.map((k) => `${k}=`).join(", ")}); remove it`;
  }
  if (before.includes(arg)) return `${arg} is already on the command line (Talos's own arguments, the schematic's, or the site's talos.kernelArgs)`;
  return undefined;
}
