// npm run discovered -- --status <status.json> [--facts <file>]... [--append] [--json]
import { siteLine } from "../lib/commands/cli";
import { discoveredCommand } from "../lib/commands/discovered";

const result = discoveredCommand(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write((result.siteFile ? siteLine(result.siteFile) : "") + result.stderr);
process.exitCode = result.code;
