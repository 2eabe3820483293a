// npm run synth [-- <cdktf synth options>]
// Names the site, checks every data file it reads, and only then runs
// `cdktf synth`. Invalid data is reported here, once: cdktf would print the
// app's stderr a second time inside its own error, after a spinner.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { announceSite, exitOnDataFileError } from "../lib/commands/cli";
import { REPO_ROOT, siteFileFromEnv } from "../lib/input/settings";
import { loadNetbootSite } from "../lib/input/site";

const file = exitOnDataFileError(() => siteFileFromEnv());
announceSite(file);
exitOnDataFileError(() => loadNetbootSite(file));

// The app resolves the site again; an absolute SITE_CONFIG makes it the same file.
const run = spawnSync(join(REPO_ROOT, "node_modules/.bin/cdktf"), ["synth", ...process.argv.slice(2)], {
  cwd: REPO_ROOT,
  stdio: "inherit",
  env: { ...process.env, SITE_CONFIG: file, CHECKPOINT_DISABLE: "1" },
});
if (run.error) {
  process.stderr.write(`error: cannot run cdktf synth: ${run.error.message}\n`);
  process.exit(1);
}
process.exit(run.status ?? 1);
