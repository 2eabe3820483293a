import type { App } from "cdktf";
import type { NetbootSite } from "../lib/input/site";
import { BootServerStack } from "./boot-server-stack";
import { GkeStack } from "./gke-stack";
import { MatchboxConfigStack } from "./matchbox-config-stack";
import { NetworkStack } from "./network-stack";

export interface NetbootStacks {
  readonly network: NetworkStack;
  readonly gke: GkeStack;
  readonly bootServer: BootServerStack;
  readonly matchboxConfig: MatchboxConfigStack;
}

/** Deploy order of the stacks; CI deploys them one after another in this order. */
export const STACK_ORDER = ["network", "gke", "boot-server", "matchbox-config"] as const;

/**
 * The stacks the read-only plan identity diffs (pull requests, the drift
 * check), in deploy order. matchbox-config is left out: its provider dials
 * Matchbox's gRPC API when configured, which would need a port-forward the
 * plan identity may not open; `npm run boot-diff` is its diff. The workflows
 * read this list from `check-deployable --github-output` (plan_stacks).
 */
export const PLAN_STACKS = STACK_ORDER.filter((s) => s !== "matchbox-config");

/**
 * Adds every stack of a site to `app`. Stack ids are a contract: they name the
 * state prefixes and the `cdktf.out/stacks/<id>` directories.
 */
export function addNetbootStacks(app: App, site: NetbootSite): NetbootStacks {
  const settings = site.settings;
  const network = new NetworkStack(app, "network", { site: settings });
  const gke = new GkeStack(app, "gke", { site: settings, network });
  const bootServer = new BootServerStack(app, "boot-server", {
    site,
    cluster: gke.access,
    wireguardAddressName: network.wireguardAddress.name,
  });
  const matchboxConfig = new MatchboxConfigStack(app, "matchbox-config", { site, machines: site.machines, api: bootServer.matchboxApi });
  return { network, gke, bootServer, matchboxConfig };
}
