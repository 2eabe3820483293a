import { quote } from "../safe-text";
import { notOneToken } from "../tokens";

/**
 * Kernel arguments whose value the boot profile sets itself; a second one
 * would contradict it (Linux and Talos take the last, or the first: either
 * way not the one boot-preview shows). The one list: every source of kernel
 * arguments (inventory kernelArgs, talos.kernelArgs,
 * talos.schematicExtraKernelArgs, rescue.args) is checked against it.
 */
export const PROFILE_OWNED_ARG_KEYS = ["initrd", "talos.platform", "talos.config", "talos.events.sink", "talos.logging.kernel"] as const;
/**
 * On Talos profiles also the receiver's MAC argument (BOOT_REPORT_MAC_ARG in
 * lib/model/boot-reports.ts): the receiver reads the first one on the command
 * line, so a site's own would name the wrong NIC. The rescue profile carries
 * no report arguments, so its args may use the key (the fixture's does).
 */
export const TALOS_PROFILE_OWNED_ARG_KEYS = [...PROFILE_OWNED_ARG_KEYS, "netboot.mac"] as const;

const keyOf = (arg: string) => arg.split("=", 1)[0];

/**
 * iPXE's command terminators (src/core/exec.c, command_terminator: a token
 * `||`, `&&` or `;` ends the command and starts another; a token starting with
 * `#` starts a comment). Matchbox writes the arguments on the iPXE `kernel`
 * line, so any of them would chain a second command or drop netboot's own
 * arguments after it.
 */
const IPXE_TERMINATORS = ["&&", "||", ";"];

/**
 * The iPXE settings a kernel argument may expand: the booting NIC's MAC
 * (as netboot's own talos.config= URL does, `${mac:hexhyp}`) and address.
 * Their values never hold a space; any other setting (a DHCP option, a
 * credential, the filename) could, or could leak.
 */
const ALLOWED_EXPANSION = /\$\{(?:net0\/)?(?:mac(?::hexhyp|:hex)?|ip)\}/g;

const ALLOWED =
  'allowed: one token iPXE and Linux both read as one argument: no spaces or control characters, not "&&", "||", ";" or starting with "#", no "${" (iPXE settings expansion) other than ${mac}, ${mac:hexhyp}, ${net0/mac:hexhyp}, ${ip} and the like, balanced double quotes, e.g. console=ttyS1,115200n8';

/**
 * Why `arg` is not one kernel argument as both consumers read it, or
 * undefined: iPXE splits the `kernel` line on whitespace, treats the
 * terminators above as commands and expands `${...}` in every token
 * (expand_settings); Linux splits its command line on whitespace outside
 * double quotes, so an unmatched `"` makes the rest of the line, netboot's
 * `talos.config=` included, one value.
 */
export function kernelArgTokenProblem(arg: string): string | undefined {
  const shown = quote(arg);
  if (arg === "") return `${shown} is empty; ${ALLOWED}`;
  const notToken = notOneToken(arg);
  if (notToken) return `${shown} is not one kernel argument: it ${notToken}; ${ALLOWED}`;
  if (IPXE_TERMINATORS.includes(arg)) return `${shown} is an iPXE command separator, which would run the rest of the kernel line as another iPXE command; ${ALLOWED}`;
  if (arg.startsWith("#")) return `${shown} starts an iPXE comment, which would drop every argument after it (netboot's talos.config= too); ${ALLOWED}`;
  if (arg.replace(ALLOWED_EXPANSION, "").includes("${")) return `${shown} contains "\${", which iPXE expands as a setting when it runs the kernel line; ${ALLOWED}`;
  if ((arg.match(/"/g) ?? []).length % 2 === 1) return `${shown} has an unmatched double quote, so Linux would read the rest of the command line as its value; ${ALLOWED}`;
  return undefined;
}

/**
 * Why `arg` cannot be added after `before` on a kernel command line, or
 * undefined when it can: one token both iPXE and Linux read as one argument,
 * not an argument the profile owns (`owned`: a Talos profile's keys unless
 * told), and (when `before` is given) not a repeat
 * of one already there.
 */
export function kernelArgProblem(arg: string, before?: readonly string[], owned: readonly string[] = TALOS_PROFILE_OWNED_ARG_KEYS): string | undefined {
  const token = kernelArgTokenProblem(arg);
  if (token) return token;
  if (owned.includes(keyOf(arg))) {
    return `${keyOf(arg)}= is set by the boot profile itself (${owned.map((k) => `${k}=`).join(", ")}); remove it`;
  }
  if (before?.includes(arg)) return `${arg} is already on the command line (Talos's own arguments, the schematic's, or the site's talos.kernelArgs)`;
  return undefined;
}
