// npm run cluster-bootstrap -- [--talosconfig <file>] [--kubeconfig <file>] [--node <address>] [--attempts <n>] [--wait-seconds <n>]
// Bootstraps etcd once on the site's bootstrap node (talosctl bootstrap; a
// node already bootstrapped answers AlreadyExists and nothing is done), then
// writes the admin kubeconfig (talosctl kubeconfig). Safe to run again.
// docs/machine-lifecycle.md, docs/adr/0018-cluster-bootstrap-with-talosctl.md.
// Exit status: 0; 1 when talosctl failed or something is missing; 2 on usage or invalid data.
import { homedir } from "node:os";
import { join } from "node:path";
import { helpRequested, parseCommandArgs, siteLine, writeError } from "../lib/commands/cli";
import { clusterBootstrap, ClusterBootstrapError } from "../lib/commands/cluster-bootstrap";
import { loadInventory } from "../lib/input/inventory";
import { loadSite, siteFileFromEnv } from "../lib/input/settings";
import { DataFileError } from "../lib/input/yaml-source";

const USAGE =
  "usage: npm run cluster-bootstrap -- [--talosconfig <file>] [--kubeconfig <file>] [--node <address>] [--attempts <n>] [--wait-seconds <n>]\n" +
  "  defaults: $TALOSCONFIG else ~/netboot-talos/talosconfig; ~/netboot-talos/kubeconfig; the bootstrap node's static address; 30 attempts 10 s apart";

function main(): number {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const parsed = parseCommandArgs(
    argv,
    {
      talosconfig: { type: "string" },
      kubeconfig: { type: "string" },
      node: { type: "string" },
      attempts: { type: "string", default: "30" },
      "wait-seconds": { type: "string", default: "10" },
    },
    USAGE,
  );
  if (parsed === 2) return 2;
  const { values } = parsed;
  const attempts = Number(values.attempts);
  const waitSeconds = Number(values["wait-seconds"]);
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000 || !Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 600) {
    process.stderr.write(`error: --attempts is 1 to 1000 and --wait-seconds 0 to 600, got ${values.attempts} and ${values["wait-seconds"]}\n${USAGE}\n`);
    return 2;
  }
  const dir = join(homedir(), "netboot-talos");
  try {
    const siteFile = siteFileFromEnv();
    process.stderr.write(siteLine(siteFile));
    const site = loadSite(siteFile);
    const machines = loadInventory(site.resolvePath(site.settings.matchbox.inventoryFile, ["matchbox", "inventoryFile"]), site.settings.matchbox.inventoryFile, site.settings);
    const result = clusterBootstrap({
      settings: site.settings,
      machines,
      talosconfig: values.talosconfig ?? process.env.TALOSCONFIG ?? join(dir, "talosconfig"),
      kubeconfig: values.kubeconfig ?? join(dir, "kubeconfig"),
      node: values.node,
      attempts,
      waitSeconds,
      sleep: (s) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000),
    });
    process.stdout.write(result.lines.map((l) => `${l}\n`).join(""));
    return 0;
  } catch (err) {
    if (err instanceof DataFileError) {
      writeError(err.message);
      return 2;
    }
    if (err instanceof ClusterBootstrapError) {
      writeError(err.message);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main();
