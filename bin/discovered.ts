// npm run discovered -- [--status <status.json>] [--facts <file>]... [--append] [--json]
// Without --status, the receiver's GET /status is read through kubectl
// port-forward, as npm run boot-status reads it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { portForwardReader, RECEIVER } from "../lib/commands/boot-status";
import { siteLine, writeError } from "../lib/commands/cli";
import { discoveredCommand } from "../lib/commands/discovered";

async function main(argv: string[]): Promise<void> {
  let args = argv;
  let dir: string | undefined;
  if (!argv.some((a) => a === "--status" || a.startsWith("--status=") || a === "--help" || a === "-h")) {
    const reader = portForwardReader({ namespace: RECEIVER.namespace, service: RECEIVER.service, port: RECEIVER.statusPort });
    try {
      const status = await reader.read();
      dir = mkdtempSync(join(tmpdir(), "netboot-discovered-"));
      writeFileSync(join(dir, "status.json"), JSON.stringify(status));
      args = ["--status", join(dir, "status.json"), ...argv];
    } catch (err) {
      writeError(`cannot read ${reader.describe}: ${(err as Error).message.split("\n")[0]}; or pass --status <file> with a saved GET /status`);
      process.exitCode = 1;
      return;
    }
  }
  try {
    const result = discoveredCommand(args);
    process.stdout.write(result.stdout);
    process.stderr.write((result.siteFile ? siteLine(result.siteFile) : "") + result.stderr);
    process.exitCode = result.code;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

void main(process.argv.slice(2));
