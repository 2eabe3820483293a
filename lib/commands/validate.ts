import { completeSite } from "../input/site";
import { wantsHelp } from "./cli";
import { displayPath } from "../input/repo-files";
import { chosenSiteFile, loadSite, siteFileFromEnv } from "../input/settings";
import { DataFileError, formatProblem } from "../input/yaml-source";
import { safeLines } from "../input/safe-text";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The site file the result is for; undefined when cdktf.json could not name one. */
  readonly siteFile?: string;
}

export const VALIDATE_USAGE = "usage: npm run validate -- [<inventory.yaml>]   (default: the site's matchbox.inventoryFile)\n";

/**
 * `npm run validate -- [inventory]`: checks everything `npm run synth` checks
 * before it synthesizes (the site settings, the peers file, the gateway's
 * public key, the inventory, every Talos patch file they name), without
 * synthesizing. Exit 0 when valid, naming each file it checked; 1 with one
 * line per problem (file:line: entry: field: message) otherwise. With an
 * argument, that inventory is checked instead of matchbox.inventoryFile.
 */
export function validateCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandResult {
  if (wantsHelp(args)) return { code: 0, stdout: VALIDATE_USAGE, stderr: "" };
  let siteFile: string | undefined;
  try {
    siteFile = siteFileFromEnv(env);
    const loaded = loadSite(siteFile);
    const s = loaded.settings;
    const file = args[0] !== undefined ? chosenSiteFile(args[0], "the inventory argument", env) : loaded.resolvePath(s.matchbox.inventoryFile, ["matchbox", "inventoryFile"]);
    const shown = displayPath(file);
    const site = completeSite(loaded, { file, shown });
    const booting = site.machines.filter((m) => m.boot !== "disk").length;
    const patches = [...site.patchFiles.keys()];
    const checked = [
      `${loaded.file} (settings)`,
      `${s.wireguard.peersFile} (${site.peers.length} peer(s))`,
      `${s.wireguard.gatewayPublicKeyFile} (the gateway's public key)`,
      `${shown} (inventory)`,
      patches.length === 0 ? "no Talos patch files" : `Talos patch file(s) ${patches.join(", ")}`,
    ];
    const stdout = `checked: ${checked.join("; ")}\n${shown}: ${site.machines.length} machine(s) valid, ${booting} with a Matchbox group\n`;
    return { code: 0, stdout, stderr: "", siteFile };
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    return { code: 1, stdout: "", stderr: safeLines(err.problems.map((p) => `${formatProblem(p)}\n`).join("")), siteFile };
  }
}
