// npm run validate -- [inventory.yaml]
import { validateCommand } from "../lib/validate-command";

const result = validateCommand(process.argv.slice(2));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
