// `npm run cluster-bootstrap`: bootstraps etcd once on the site's bootstrap
// node with `talosctl bootstrap`, then writes the admin kubeconfig with
// `talosctl kubeconfig`. Runs from an admin machine whose WireGuard peer
// reaches the boot VLAN, with the matchbox-config stack's talosconfig output
// (docs/adr/0018-cluster-bootstrap-with-talosctl.md, docs/machine-lifecycle.md).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Machine } from "../input/inventory";
import type { SiteSettings } from "../input/settings";
import { bootstrapNode } from "./boot-status";

export class ClusterBootstrapError extends Error {}

export interface BootstrapOptions {
  readonly settings: SiteSettings;
  readonly machines: readonly Machine[];
  readonly talosconfig: string;
  readonly kubeconfig: string;
  /** Overrides the bootstrap node's address (one without a static address). */
  readonly node?: string;
  readonly attempts: number;
  readonly waitSeconds: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly sleep?: (seconds: number) => void;
}

export interface BootstrapResult {
  readonly node: string;
  readonly address: string;
  /** false when Talos said etcd was already bootstrapped there (AlreadyExists). */
  readonly bootstrapped: boolean;
  readonly lines: readonly string[];
}

/** talosctl's error when the node's etcd data directory is not empty (machined's Bootstrap, codes.AlreadyExists). */
const ALREADY = /code = AlreadyExists/;
/** Not ready yet: CRI not up ("bootstrap is not available yet") or time not synced ("time is not in sync yet"), codes.FailedPrecondition. */
const NOT_YET = /code = FailedPrecondition/;

const TALOSCONFIG_HINT =
  "write it from the matchbox-config stack's output: umask 077; mkdir -p ~/netboot-talos; terraform -chdir=cdktf.out/stacks/matchbox-config output -raw talosconfig > ~/netboot-talos/talosconfig";

export function clusterBootstrap(o: BootstrapOptions): BootstrapResult {
  if (o.settings.talos.cluster.existing) {
    throw new ClusterBootstrapError("talos.cluster.existing is true: these machines join a cluster that was bootstrapped already; bootstrapping again would start a second etcd cluster. Nothing done.");
  }
  const target = bootstrapNode(o.machines, o.settings.talos.cluster.endpoint);
  if (!target) throw new ClusterBootstrapError("the inventory has no control plane (role: controlplane); add one, install it, then bootstrap");
  const address = o.node ?? target.addressCidr?.split("/")[0];
  if (!address) {
    throw new ClusterBootstrapError(`${target.name}, the bootstrap node, has no static address in the inventory; pass --node <its address> (npm run boot-status shows the address it reports from)`);
  }
  if (!existsSync(o.talosconfig)) throw new ClusterBootstrapError(`no talosconfig at ${o.talosconfig}; ${TALOSCONFIG_HINT}`);
  const talosctl = (...args: string[]) => {
    const r = spawnSync("talosctl", ["--talosconfig", o.talosconfig, "--nodes", address, "--endpoints", address, ...args], { encoding: "utf8", env: o.env ?? process.env, timeout: 120_000 });
    if (r.error) {
      throw new ClusterBootstrapError((r.error as NodeJS.ErrnoException).code === "ENOENT" ? `talosctl is not installed (or not on PATH); install the version of talos.version (${o.settings.talos.version})` : `cannot run talosctl: ${r.error.message}`);
    }
    return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
  };

  const lines: string[] = [`bootstrap node: ${target.name} (${address})`];
  let bootstrapped = false;
  for (let attempt = 1; ; attempt++) {
    const r = talosctl("bootstrap");
    if (r.status === 0) {
      bootstrapped = true;
      lines.push(`etcd bootstrapped on ${target.name}; the other control planes join it by themselves`);
      break;
    }
    if (ALREADY.test(r.out)) {
      lines.push(`already bootstrapped: Talos says ${target.name}'s etcd data directory is not empty; nothing done`);
      break;
    }
    if (NOT_YET.test(r.out) && attempt < o.attempts) {
      lines.push(`attempt ${attempt} of ${o.attempts}: not ready yet (${r.out.split("\n").pop()}); waiting ${o.waitSeconds} s`);
      o.sleep?.(o.waitSeconds);
      continue;
    }
    throw new ClusterBootstrapError(`talosctl bootstrap on ${target.name} (${address}) failed${attempt > 1 ? ` after ${attempt} attempts` : ""}: ${r.out || `exit ${r.status}`}\n${lines.slice(1).join("\n")}`.trim());
  }

  const k = talosctl("kubeconfig", "--merge=false", "--force", o.kubeconfig);
  if (k.status !== 0) throw new ClusterBootstrapError(`talosctl kubeconfig failed: ${k.out || `exit ${k.status}`} (etcd is ${bootstrapped ? "bootstrapped" : "already bootstrapped"}; run the command again for the kubeconfig)`);
  lines.push(`kubeconfig written to ${o.kubeconfig}: KUBECONFIG=${o.kubeconfig} kubectl get nodes`);
  return { node: target.name, address, bootstrapped, lines };
}
