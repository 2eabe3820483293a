import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseStatus, parseTalosResources, ReportError, type TalosResource } from "../input/discovery-reports";
import { loadInventory, parseInventory } from "../input/inventory";
import { quote, safeLines } from "../input/safe-text";
import { displayPath } from "../input/repo-files";
import { chosenSiteFile, loadSite, siteFileFromEnv } from "../input/settings";
import { DataFileError, formatProblem, readSmallTextFile, YamlSource } from "../input/yaml-source";
import { AppendError, appendEntries, entryComment } from "../model/discovery/append";
import { discoveredMachines, type DiscoveredMachine } from "../model/discovery/entries";
import { RECEIVER } from "./boot-status";
import type { CommandResult } from "./validate";
import { validateCommand } from "./validate";

export const DISCOVERED_USAGE = [
  "usage: npm run discovered -- [--status <status.json>] [--facts <talosctl.json>]... [--inventory <machines.yaml>] [--append] [--json]",
  "Lists the machines the boot-report receiver saw that no inventory entry names, each with a proposed entry (boot: maintenance, the",
  "largest installable disk's selector; the role is yours to add). Without --status the receiver's GET /status is read through",
  "kubectl port-forward (as npm run boot-status does); --status: a saved one, e.g.",
  `  kubectl -n ${RECEIVER.namespace} port-forward svc/${RECEIVER.service} ${RECEIVER.statusPort}:${RECEIVER.statusPort} & curl -s http://127.0.0.1:${RECEIVER.statusPort}/status > status.json`,
  "--facts: what the machine's maintenance API says, read by the admin peer through the tunnel, one file per command:",
  "  talosctl get disks|links|systeminformation|cpus|memorymodules --insecure -n <address> -o json > <file>",
  "--append writes the entries into the inventory in place (comments and layout kept), then validates it as npm run validate does.",
  "Exit status: 0 done (also when nothing was discovered), 1 invalid input, 2 usage.",
].join("\n") + "\n";

function read(file: string): string {
  const r = readSmallTextFile(file);
  if ("error" in r) throw new ReportError(`${file}: ${r.error}`);
  return r.text;
}

/** What `discovered` prints for one machine: every reported value quoted. */
export function formatDiscovered(found: readonly DiscoveredMachine[], inventoryShown: string): string {
  if (found.length === 0) return `no machine seen that ${inventoryShown} does not list\n`;
  return found
    .map((d) => {
      const head = d.entry ? `+ ${d.entry.name} ${d.entry.mac}` : `? ${d.mac ?? "(no MAC)"} from ${quote(d.address ?? "?")}: no entry proposed`;
      const yaml = d.entry ? ["  proposed entry:", `    - name: ${d.entry.name}`, `      mac: ${d.entry.mac}`, "      boot: maintenance", ...(d.entry.installDiskSelector ? ["      installDiskSelector:", ...Object.entries(d.entry.installDiskSelector).map(([k, v]) => `        ${k}: ${quote(v)}`)] : [])] : [];
      return [head, ...entryComment(d).map((l) => `  ${l}`), ...yaml].join("\n") + "\n";
    })
    .join("\n");
}

/** `npm run discovered`: see DISCOVERED_USAGE. */
export function discoveredCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CommandResult {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { status: { type: "string" }, facts: { type: "string", multiple: true }, inventory: { type: "string" }, append: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    return { code: 2, stdout: "", stderr: `error: ${(err as Error).message.split("\n")[0]}\n${DISCOVERED_USAGE}` };
  }
  if (values.help) return { code: 0, stdout: DISCOVERED_USAGE, stderr: "" };
  if (!values.status) {
    return { code: 2, stdout: "", stderr: `error: --status <file> is required: save the receiver's GET /status first (npm run discovered reads it through kubectl port-forward when --status is not given)\n${DISCOVERED_USAGE}` };
  }
  let siteFile: string | undefined;
  try {
    siteFile = siteFileFromEnv(env);
    const site = loadSite(siteFile);
    // An --inventory argument under the same rule as validate's (the path rule; under CI=true a file of the repository).
    const file = values.inventory !== undefined ? chosenSiteFile(values.inventory, "--inventory", env) : site.resolvePath(site.settings.matchbox.inventoryFile, ["matchbox", "inventoryFile"]);
    const shown = displayPath(file);
    const inventory = loadInventory(file, shown, site.settings);
    const reports = parseStatus(read(values.status), values.status);
    const resources: TalosResource[] = (values.facts ?? []).flatMap((f) => parseTalosResources(read(f), f));
    const found = discoveredMachines(reports, resources, inventory);
    let stdout = values.json ? `${JSON.stringify(found, null, 2)}\n` : formatDiscovered(found, shown);
    if (!values.append) return { code: 0, stdout, stderr: "", siteFile };

    const toAppend = found.filter((d) => d.entry);
    if (toAppend.length === 0) return { code: 0, stdout: `${stdout}nothing to append to ${shown}\n`, stderr: "", siteFile };
    const before = read(file);
    const after = appendEntries(before, toAppend);
    // Checked in memory first: a file that would not validate is never written.
    parseInventory(YamlSource.parse(after, shown), site.settings);
    writeFileSync(file, after);
    const validated = validateCommand([file], env);
    stdout += `appended ${toAppend.length} entr${toAppend.length === 1 ? "y" : "ies"} to ${shown}\n${validated.stdout}`;
    return { code: validated.code, stdout, stderr: validated.stderr, siteFile };
  } catch (err) {
    // Through the one escaping rule, as validate's problems are.
    if (err instanceof DataFileError) return { code: 1, stdout: "", stderr: safeLines(err.problems.map((p) => `${formatProblem(p)}\n`).join("")), siteFile };
    if (err instanceof ReportError || err instanceof AppendError) return { code: 1, stdout: "", stderr: safeLines(`error: ${err.message}\n`), siteFile };
    throw err;
  }
}
