import type { App } from "cdktf";
import type { SiteSettings } from "../lib/settings";
import { GkeStack } from "./gke-stack";
import { NetworkStack } from "./network-stack";

export interface NetbootStacks {
  readonly network: NetworkStack;
  readonly gke: GkeStack;
}

/** Deploy order of the stacks; CI deploys them one after another in this order. */
export const STACK_ORDER = ["network", "gke"] as const;

/**
 * Adds every stack of a site to `app`. Stack ids are a contract: they name the
 * state prefixes and the `cdktf.out/stacks/<id>` directories.
 */
export function addNetbootStacks(app: App, site: SiteSettings): NetbootStacks {
  const network = new NetworkStack(app, "network", { site });
  const gke = new GkeStack(app, "gke", { site, network });
  return { network, gke };
}
