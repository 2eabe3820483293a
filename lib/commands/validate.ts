import { relative, resolve } from "node:path";
import { loadInventory } from "../input/inventory";
import { wantsHelp } from "./cli";
import { loadSite, REPO_ROOT, siteFileFromEnv } from "../input/settings";
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
 * `npm run validate -- [inventory]`: checks an inventory against the site
 * settings without synthesizing. Exit 0 when valid; 1 with one line per
 * problem (file:line: machine "name": field: message) otherwise.
 */
export function validateCommand(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandResult {
  if (wantsHelp(args)) return { code: 0, stdout: VALIDATE_USAGE, stderr: "" };
  let siteFile: string | undefined;
  try {
    siteFile = siteFileFromEnv(env);
    const site = loadSite(siteFile);
    const file = args[0] !== undefined ? resolve(args[0]) : site.resolvePath(site.settings.matchbox.inventoryFile, ["matchbox", "inventoryFile"]);
    const shown = relative(REPO_ROOT, file).startsWith("..") ? file : relative(REPO_ROOT, file);
    const machines = loadInventory(file, shown, site.settings);
    const booting = machines.filter((m) => m.boot !== "disk").length;
    return { code: 0, stdout: `${shown}: ${machines.length} machine(s) valid, ${booting} with a Matchbox group\n`, stderr: "", siteFile };
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    return { code: 1, stdout: "", stderr: safeLines(err.problems.map((p) => `${formatProblem(p)}\n`).join("")), siteFile };
  }
}
