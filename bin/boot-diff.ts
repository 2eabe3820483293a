// npm run boot-diff -- --base <git-ref> [--markdown] [--exit-code]
// What each machine boots differently between <git-ref> and the working tree,
// for the selected site. Offline and without credentials: the base side's data
// files are read with `git show`, and both sides are interpreted by this code.
// Exit status: 0; with --exit-code 1 when anything changed (like git diff);
// 2 when it cannot compare (usage, unknown ref, invalid working-tree data).
import { parseArgs } from "node:util";
import { BootDiffError, bootDiff, formatBootDiff, formatBootDiffMarkdown } from "../lib/commands/boot-diff";
import { helpRequested, siteLine, writeError } from "../lib/commands/cli";
import { REPO_ROOT, siteFileFromEnv } from "../lib/input/settings";
import { DataFileError } from "../lib/input/yaml-source";

const USAGE = "usage: npm run boot-diff -- --base <git-ref> [--markdown] [--exit-code]\n";

function main(): number {
  if (helpRequested(process.argv.slice(2), USAGE)) return 0;
  let values: { base?: string; markdown?: boolean; "exit-code"?: boolean };
  try {
    ({ values } = parseArgs({
      options: { base: { type: "string" }, markdown: { type: "boolean", default: false }, "exit-code": { type: "boolean", default: false } },
    }));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.base) {
    process.stderr.write(`error: --base is required (the git ref to compare with, e.g. origin/main)\n${USAGE}`);
    return 2;
  }
  try {
    const siteFile = siteFileFromEnv();
    process.stderr.write(siteLine(siteFile));
    const result = bootDiff({ repoRoot: REPO_ROOT, siteFile, base: values.base, siteFromEnv: Boolean(process.env.SITE_CONFIG?.trim()) });
    process.stdout.write(values.markdown ? formatBootDiffMarkdown(result) : formatBootDiff(result));
    const changed = result.changes.length > 0 || result.baseProblem !== undefined;
    return values["exit-code"] && changed ? 1 : 0;
  } catch (err) {
    if (err instanceof BootDiffError || err instanceof DataFileError) {
      writeError(err.message);
      return 2;
    }
    throw err;
  }
}

process.exitCode = main();
