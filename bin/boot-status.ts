// npm run boot-status -- [--json] [--source auto|port-forward|logging] [--status-file <file>] [--save-status <file>] [--days <n>] [--now <time>]
// Each inventory machine's state as the boot-report receiver saw it, and what
// to do next (docs/machine-lifecycle.md). Reads the receiver's /status through
// `kubectl port-forward`, else its lines in Cloud Logging (`gcloud logging
// read`); --status-file reads a saved /status answer instead; --save-status
// writes what was read in that form (for npm run discovered -- --status).
// Exit status: 0; 1 when no source could be read; 2 on usage or invalid data.
import { readFileSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import {
  bootStatusReport,
  BootStatusError,
  formatBootStatus,
  loggingReader,
  parseReceiverStatus,
  portForwardReader,
  readFirst,
  RECEIVER,
  windowsOpened,
  type Reader,
} from "../lib/commands/boot-status";
import { helpRequested, parseCommandArgs, siteLine, writeError } from "../lib/commands/cli";
import { parseInventory } from "../lib/input/inventory";
import { loadSite, REPO_ROOT, siteFileFromEnv } from "../lib/input/settings";
import { DataFileError, readSmallTextFile, YamlSource } from "../lib/input/yaml-source";

const USAGE =
  "usage: npm run boot-status -- [--json] [--source auto|port-forward|logging] [--status-file <file>] [--save-status <file>] [--namespace <ns>] [--days <n>] [--now <ISO time>]\n" +
  "  --source        auto (default): the receiver through kubectl port-forward, else Cloud Logging\n" +
  "  --status-file   a saved GET /status answer instead of either source\n" +
  "  --save-status   also write the receiver's status as read (GET /status's form, from either source) to this file,\n" +
  "                  for npm run discovered -- --status <file>\n" +
  "  --days          how far back Cloud Logging is read (default 30, its retention)\n" +
  "  --now           judge window ages as of this time (for a saved status)";

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const parsed = parseCommandArgs(
    argv,
    {
      json: { type: "boolean", default: false },
      source: { type: "string", default: "auto" },
      "status-file": { type: "string" },
      "save-status": { type: "string" },
      namespace: { type: "string", default: RECEIVER.namespace },
      days: { type: "string", default: "30" },
      now: { type: "string" },
    },
    USAGE,
  );
  if (parsed === 2) return 2;
  const { values } = parsed;
  const usage = (message: string) => (process.stderr.write(`error: ${message}\n${USAGE}\n`), 2);
  if (!["auto", "port-forward", "logging"].includes(values.source!)) return usage(`--source ${values.source}: allowed: auto, port-forward, logging`);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 400) return usage(`--days ${values.days}: a whole number of days from 1 to 400`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) return usage(`--now ${values.now}: not a time (ISO 8601, e.g. 2026-12-07T10:12:00Z)`);

  try {
    const siteFile = siteFileFromEnv();
    process.stderr.write(siteLine(siteFile));
    const site = loadSite(siteFile);
    const inventoryPath = site.settings.matchbox.inventoryFile;
    // Read as every data file is (a regular file, size-limited); the text also dates each window from git.
    const read = readSmallTextFile(site.resolvePath(inventoryPath, ["matchbox", "inventoryFile"]));
    if ("error" in read) throw new DataFileError(inventoryPath, [{ file: inventoryPath, field: "", message: read.error }]);
    const inventoryText = read.text;
    const machines = parseInventory(YamlSource.parse(inventoryText, inventoryPath), site.settings);

    let readers: Reader[];
    if (values["status-file"] !== undefined) {
      const file = values["status-file"];
      readers = [
        {
          describe: `the saved status ${file}`,
          read: async () => {
            let text: string;
            try {
              text = readFileSync(file, "utf8");
            } catch (err) {
              throw new BootStatusError(`cannot read ${file}: ${(err as Error).message}`);
            }
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              throw new BootStatusError(`${file} is not JSON`);
            }
            return parseReceiverStatus(json, file);
          },
        },
      ];
    } else {
      const forward = portForwardReader({ namespace: values.namespace!, service: RECEIVER.service, port: RECEIVER.statusPort });
      const logging = loggingReader({ project: site.settings.gcp.project, namespace: values.namespace!, container: RECEIVER.container, days, now });
      readers = values.source === "port-forward" ? [forward] : values.source === "logging" ? [logging] : [forward, logging];
    }
    const { status, source } = await readFirst(readers);
    const saveTo = values["save-status"];
    if (saveTo !== undefined) {
      try {
        writeFileSync(saveTo, `${JSON.stringify(status, null, 2)}\n`);
      } catch (err) {
        throw new BootStatusError(`--save-status ${saveTo}: cannot write it: ${(err as Error).message}`);
      }
    }
    const windows = windowsOpened(REPO_ROOT, relative(REPO_ROOT, resolve(REPO_ROOT, inventoryPath)), inventoryText, machines.map((m) => m.name));
    const report = bootStatusReport({ site: relative(REPO_ROOT, siteFile), settings: site.settings, machines, status, source, windows, now });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatBootStatus(report));
    return 0;
  } catch (err) {
    if (err instanceof DataFileError) {
      writeError(err.message);
      return 2;
    }
    if (err instanceof BootStatusError) {
      writeError(err.message);
      return 1;
    }
    throw err;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
