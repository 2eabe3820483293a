// npm run validate -- [inventory.yaml]
import { siteLine } from "../lib/commands/cli";
import { validateCommand } from "../lib/commands/validate";

const result = validateCommand(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write((result.siteFile ? siteLine(result.siteFile) : "") + result.stderr);
process.exitCode = result.code;
