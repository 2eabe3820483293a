// npm run boot-preview -- <mac>
// Prints which Matchbox group and profile a MAC gets for the current inventory,
// and the exact iPXE script Matchbox would return for it.
import { announceSite, exitOnDataFileError, helpRequested } from "../lib/commands/cli";
import { matchboxBaseUrl } from "../lib/model/matchbox/boot-plan";
import { formatPreview, previewBoot, plannedMatchboxStore } from "../lib/model/matchbox/preview";
import { siteFileFromEnv } from "../lib/input/settings";
import { loadNetbootSite } from "../lib/input/site";

const USAGE =
  "usage: npm run boot-preview -- <mac>   (e.g. aa:bb:cc:dd:ee:01 or AA-BB-CC-DD-EE-01)\n" +
  "Prints the Matchbox group, profile and iPXE script the MAC gets, its Talos config patches and where each kernel argument applies.\n" +
  "Exit status: 0 a boot script, 3 no boot script (unknown MAC or boot: disk), 1 not a MAC or invalid data, 2 usage.\n";
const argv = process.argv.slice(2);
if (helpRequested(argv, USAGE)) process.exit(0);
const [mac] = argv;
if (!mac) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const file = exitOnDataFileError(() => siteFileFromEnv());
announceSite(file);
const site = exitOnDataFileError(() => loadNetbootSite(file));
const result = previewBoot(site, plannedMatchboxStore(site), mac);
const text = formatPreview(result, matchboxBaseUrl(site.settings));
if (result.kind === "invalid-mac") {
  process.stderr.write(text);
  process.exit(1);
}
process.stdout.write(text);
// A MAC that gets no boot script is a normal answer, but scripts may want to know.
process.exitCode = result.kind === "boot" ? 0 : 3;
