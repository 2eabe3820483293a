/**
 * Refuses to deploy a site that must never reach production: the built-in
 * example (its project id and addresses are placeholders), one that still uses
 * any value the example ships (project id, home address and any other
 * documentation-range address, gateway or peer keys, MACs) or the
 * documentation's stand-ins (project, bucket): see lib/commands/example-site.ts;
 * one without the Talos asset checksums, one with local state (a CI runner's
 * disk is thrown away after the job, and with it the only record of what was
 * created), and any container image the stacks deploy that is pinned by tag
 * only. Every problem is reported at once. It warns (exit 0) when machines
 * boot over the network and ipxeChainEfi is unset.
 *
 * Usage:
 *   SITE_CONFIG=sites/home.yaml npm run check-deployable
 *   npm run check-deployable -- sites/home.yaml [--github-output]
 *
 * Prints `site: <file>` on stderr first, then the verdict.
 *
 * `--github-output` appends the facts the workflows need (project, cluster,
 * state bucket) to the file named by $GITHUB_OUTPUT, so the workflow YAML
 * never re-parses the site file itself.
 *
 * Exit status: 0 deployable, 1 refused or invalid (reasons on stderr, one
 * `  - ` line each: the pull-request workflow quotes those lines).
 */
import { MATCHBOX_NAMESPACE } from "../stacks/boot-server-stack";
import { PLAN_STACKS } from "../stacks";
import { MATCHBOX_RPC_PORT } from "../lib/model/wireguard/render";
import { appendFileSync } from "node:fs";
import { announceSite, exitOnDataFileError, helpRequested } from "../lib/commands/cli";
import {
  DOCS_PLACEHOLDERS,
  DOCUMENTATION_RANGES,
  EXAMPLE_GATEWAY_PUBLIC_KEY,
  EXAMPLE_PROJECT,
  exampleMachineWithMac,
  examplePeerWithKey,
} from "../lib/commands/example-site";
import { WIREGUARD_IMAGE } from "../constructs/wireguard-gateway";
import { BOOT_REPORT_RECEIVER_IMAGE } from "../constructs/boot-report-receiver";
import { ASSET_FETCHER_IMAGE, MATCHBOX_IMAGE } from "../constructs/matchbox-server";
import { BROADEST_HOME_PREFIX, chosenSiteFile, loadSite, siteFileFromEnv, type LoadedSite, type SiteSettings } from "../lib/input/settings";
import { cidrsOverlap, parseIpv4Cidr, type Ipv4Cidr } from "../lib/input/cidr";
import { completeSite, type NetbootSite } from "../lib/input/site";
import { DataFileError, formatProblem } from "../lib/input/yaml-source";
import { DEFAULT_KEY_DIR_SHOWN } from "../lib/commands/local-keys";
import { safeLines } from "../lib/input/safe-text";
import { matchboxBaseUrl } from "../lib/model/matchbox/boot-plan";

/**
 * The gRPC endpoint CI uses: the workflows run `kubectl port-forward
 * svc/matchbox 8081:8081`, because the Matchbox API only has a ClusterIP.
 */
export const CI_MATCHBOX_RPC_ENDPOINT = `127.0.0.1:${MATCHBOX_RPC_PORT}`;

/** The Talos release assets whose SHA-256 each checksum field holds. */
const TALOS_ASSETS = { kernelSha256: "vmlinuz-amd64 (the Image Factory's kernel-amd64)", initramfsSha256: "initramfs-amd64.xz" } as const;

/** Every reason the site's settings file cannot be deployed by CI; empty when it can. */
export function deployProblems(site: SiteSettings, file: string): string[] {
  const problems: string[] = [];
  if (site.example) {
    problems.push(
      `${file}: example: true marks the built-in example site; copy it to sites/<name>.yaml, fill in your project and addresses, set example: false, and name the copy in cdktf.json ("context": { "site": "sites/<name>.yaml" }), which both workflows read`,
    );
  }
  if (site.gcp.project === EXAMPLE_PROJECT) {
    problems.push(`${file}: gcp.project: ${EXAMPLE_PROJECT} is the example's placeholder project id; set gcp.project to the id of your GCP project (docs/runbook.md, "Bootstrap")`);
  }
  if (site.gcp.project === DOCS_PLACEHOLDERS.project) {
    problems.push(
      `${file}: gcp.project: ${DOCS_PLACEHOLDERS.project} is the stand-in project id of the documentation's commands (PROJECT=…), not yours; set gcp.project to the id of your GCP project (gcloud projects list) (docs/getting-started.md)`,
    );
  }
  if (site.state.bucket === DOCS_PLACEHOLDERS.bucket) {
    problems.push(
      `${file}: state.bucket: ${DOCS_PLACEHOLDERS.bucket} is the stand-in bucket of the documentation's commands (BUCKET=…), not yours; bucket names are global, so create your own versioned bucket and name it here (docs/runbook.md, "State bucket")`,
    );
  }
  problems.push(...documentationAddressProblems(site, file));
  if (site.state.backend !== "gcs") {
    problems.push(
      `${file}: state.backend: ${site.state.backend} keeps Terraform state on local disk, and a CI runner's disk is discarded after each job; set state.backend: gcs and state.bucket to the versioned state bucket (docs/runbook.md, "State bucket")`,
    );
  }
  if (site.matchbox.rpcEndpoint !== CI_MATCHBOX_RPC_ENDPOINT) {
    const current = site.matchbox.rpcEndpoint === undefined ? "unset" : `"${site.matchbox.rpcEndpoint}"`;
    problems.push(
      `${file}: matchbox.rpcEndpoint: is ${current}; CI reaches Matchbox's gRPC API through kubectl port-forward, so set matchbox.rpcEndpoint: ${CI_MATCHBOX_RPC_ENDPOINT}`,
    );
  }
  if (site.gke.mode === "create" && site.network.controlPlaneAuthorizedCidrs.length === 0) {
    problems.push(
      `${file}: network.controlPlaneAuthorizedCidrs: is empty, which leaves the control plane's IP endpoint open to every address (IAM still applies); list the addresses admins reach it from, e.g. your homePublicCidrs. CI needs none: it uses the DNS-based endpoint (docs/adr/0010)`,
    );
  }
  problems.push(...authorizedCidrsProblems(site, file));
  for (const field of ["kernelSha256", "initramfsSha256"] as const) {
    if (site.talos[field] !== null && site.talos[field] !== undefined) continue;
    const version = site.talos.version;
    problems.push(
      `${file}: talos.${field}: is unset (null), so Matchbox's asset fetcher refuses to start; set it to the SHA-256 of ${TALOS_ASSETS[field]} for talos.version ${version} and your talos.schematic: ` +
        `the vanilla schematic's is in https://github.com/siderolabs/talos/releases/download/${version}/sha256sum.txt; for a schematic with extensions, download the file from the Image Factory, review it and pin its sha256sum (docs/machines.md, "Talos assets"; docs/runbook.md, "Talos asset checksums")`,
    );
  }
  return problems;
}

const DOC_RANGES = DOCUMENTATION_RANGES.map((t) => parseIpv4Cidr(t) as Ipv4Cidr);

/**
 * Public addresses still from a documentation range (RFC 5737), as the
 * example's are (lib/commands/example-site.ts): the tunnel would admit nobody,
 * the control plane nobody's admin, and peers would dial nowhere.
 */
export function documentationAddressProblems(site: SiteSettings, file: string): string[] {
  const inDocRange = (text: string) => {
    const c = parseIpv4Cidr(text.includes("/") ? text : `${text}/32`);
    return typeof c !== "string" && DOC_RANGES.find((r) => cidrsOverlap(r, c));
  };
  const problems: string[] = [];
  site.homePublicCidrs.forEach((cidr, i) => {
    const range = inDocRange(cidr);
    if (range) {
      problems.push(
        `${file}: homePublicCidrs[${i}]: ${cidr} is in ${range.text}, a documentation range (RFC 5737), like the example's home address: the load balancer would admit nobody's handshakes; set it to your home router's public (WAN) address as a /32 (the UDM Pro shows it on its internet connection)`,
      );
    }
  });
  site.network.controlPlaneAuthorizedCidrs.forEach((cidr, i) => {
    const range = inDocRange(cidr);
    if (range) {
      problems.push(
        `${file}: network.controlPlaneAuthorizedCidrs[${i}]: ${cidr} is in ${range.text}, a documentation range (RFC 5737), like the example's: no admin reaches the control plane's IP endpoint from it; list the public addresses admins reach it from, e.g. your homePublicCidrs`,
      );
    }
  });
  const endpoint = site.wireguard.endpoint;
  if (endpoint !== undefined && inDocRange(endpoint)) {
    problems.push(
      `${file}: wireguard.endpoint: ${endpoint} is in a documentation range (RFC 5737), not the gateway's address; set it to the network stack's output (terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip) or remove it until the first deploy`,
    );
  }
  return problems;
}

/** A container image the stacks deploy, by the constant that owns it. */
export interface DeployedImage {
  /** The constant's name and file, for the message. */
  readonly owner: string;
  readonly ref: string;
}

/** Every image the stacks deploy (test/unit/check-deployable.test.ts compares it with the synthesized workloads). */
export const DEPLOYED_IMAGES: readonly DeployedImage[] = [
  { owner: "WIREGUARD_IMAGE (constructs/wireguard-gateway.ts)", ref: WIREGUARD_IMAGE },
  { owner: "MATCHBOX_IMAGE (constructs/matchbox-server/index.ts)", ref: MATCHBOX_IMAGE },
  { owner: "ASSET_FETCHER_IMAGE (constructs/matchbox-server/index.ts)", ref: ASSET_FETCHER_IMAGE },
  { owner: "BOOT_REPORT_RECEIVER_IMAGE (constructs/boot-report-receiver/index.ts)", ref: BOOT_REPORT_RECEIVER_IMAGE },
];

/**
 * Images pinned by tag only: the registry, not the reviewed repository,
 * decides what runs (a tag can be moved). Refused with the command that prints
 * the digest; nothing here looks it up, and no digest is ever guessed.
 */
export function imageDigestProblems(images: readonly DeployedImage[]): string[] {
  return images
    .filter((image) => !/@sha256:[0-9a-f]{64}$/.test(image.ref))
    .map(
      (image) =>
        `${image.owner}: ${image.ref} is pinned by tag only, so the registry decides what the cluster runs; ` +
        `run docker buildx imagetools inspect ${image.ref} and append the digest of its Digest: line as ${image.ref}@sha256:<digest>, in a reviewed pull request (Renovate's pinDigests, renovate.json, proposes the same)`,
    );
}

/** What may still go wrong although the site deploys: each a warning, never a refusal (exit 0). */
export function deployWarnings(site: NetbootSite): string[] {
  return [...ipxeChainWarnings(site), ...notificationWarnings(site.settings, site.file)];
}

/**
 * Alerts that notify nobody: the gRPC TLS alert is the backstop for Matchbox
 * certificates no deploy renewed (the drift workflow relies on it), yet with
 * no notification channel its incidents show in the console only (issue 25).
 * A warning: a site may watch the console, or add channels later.
 */
export function notificationWarnings(settings: SiteSettings, file: string): string[] {
  if (settings.observability.notificationChannels.length > 0) return [];
  return [
    `${file}: observability.notificationChannels: is empty, so the alert policies (Matchbox gRPC TLS failures${settings.observability.alertOnUnknownMac ? ", unknown MACs" : ""}) notify nobody and their incidents show in the Cloud Console only; ` +
      `list an email address (a channel is created for it) or the id of an existing channel, projects/${settings.gcp.project}/notificationChannels/<id> (gcloud beta monitoring channels list --format='value(name)')`,
  ];
}

/**
 * Why the site may not boot its machines although it deploys: without
 * ipxeChainEfi a UEFI HTTP-boot server (the DL360 Gen9) has no EFI program to
 * load, and the inventory does not record which firmware a machine has, so
 * this is a warning, not a refusal: an iPXE client (an iPXE ROM, a VM) boots
 * /boot.ipxe without it (docs/boot-path.md, "DHCP network-boot setting").
 */
function ipxeChainWarnings(site: NetbootSite): string[] {
  const booting = site.machines.filter((m) => m.boot !== "disk");
  if (site.settings.ipxeChainEfi !== undefined || booting.length === 0) return [];
  return [
    `${site.file}: ipxeChainEfi: is unset, so Matchbox serves no UEFI chain binary: a machine that UEFI-HTTP-boots (such as an HP DL360 Gen9) cannot boot, while iPXE clients can (${booting.length} machine(s) boot over the network); ` +
      `build it with scripts/build-ipxe-efi.sh --chain-url ${matchboxBaseUrl(site.settings)}/boot.ipxe --out <dir>, publish it at an https URL and set ipxeChainEfi: { url, sha256 } (docs/getting-started.md; docs/boot-path.md, "DHCP network-boot setting")`,
  ];
}

/**
 * network.controlPlaneAuthorizedCidrs that admit (about) every address:
 * 0.0.0.0/0, or ranges that together span more than a /8 (two /1s are all of
 * it), are as open as an empty list (issue 26). The breadth limit is the one
 * homePublicCidrs has (BROADEST_HOME_PREFIX).
 */
export function authorizedCidrsProblems(site: SiteSettings, file: string): string[] {
  if (site.gke.mode !== "create") return [];
  const cidrs = site.network.controlPlaneAuthorizedCidrs.map((text) => parseIpv4Cidr(text)).filter((c): c is Ipv4Cidr => typeof c !== "string");
  const span = cidrs.reduce((sum, c) => sum + 2 ** (32 - c.prefix), 0);
  if (span <= 2 ** (32 - BROADEST_HOME_PREFIX)) return [];
  return [
    `${file}: network.controlPlaneAuthorizedCidrs: ${cidrs.map((c) => c.text).join(", ")} span ${span} addresses, more than a /${BROADEST_HOME_PREFIX}: as open as an empty list (every address may reach the control plane's IP endpoint; IAM still applies); list the addresses admins reach it from, e.g. your homePublicCidrs`,
  ];
}

/**
 * Every value of the example that a site's data files still hold (they are
 * edited in place, so the example's values are compared with the constants
 * of lib/commands/example-site.ts, not with the files).
 */
export function exampleDataProblems(site: NetbootSite): string[] {
  const problems: string[] = [];
  const wg = site.settings.wireguard;
  if (site.gatewayPublicKey === EXAMPLE_GATEWAY_PUBLIC_KEY) {
    problems.push(
      `${wg.gatewayPublicKeyFile} (wireguard.gatewayPublicKeyFile of ${site.file}): holds the example's gateway public key shipped with this repository, not your gateway's; ` +
        `create your gateway's key pair outside the repository with npm run -s wg:keygen -- gateway > ${wg.gatewayPublicKeyFile} (the private key goes to ${DEFAULT_KEY_DIR_SHOWN}/gateway.key), and add the private key as a version of the Secret Manager secret ${wg.privateKeySecret} (docs/boot-path.md, "Gateway key")`,
    );
  }
  site.peers.forEach((peer, i) => {
    const example = examplePeerWithKey(peer.publicKey);
    if (example === undefined) return;
    problems.push(
      `${wg.peersFile}: peer "${peer.name}": peers[${i}].publicKey: is the public key of the example's peer "${example}" shipped with this repository (its private key was discarded, so nothing can connect with it); ` +
        `on that peer's machine run npm run wg:keygen -- ${peer.name} and put the printed public key here (docs/boot-path.md, "Add a peer")`,
    );
  });
  site.machines.forEach((machine, i) => {
    const example = exampleMachineWithMac(machine.mac);
    if (example === undefined) return;
    problems.push(
      `${site.settings.matchbox.inventoryFile}: machine "${machine.name}": machines[${i}].mac: ${machine.mac} is the MAC of the example's machine "${example}" shipped with this repository, not one of your servers; ` +
        `replace it with the MAC of the server's boot NIC (its firmware or BMC shows it), or delete the entry`,
    );
  });
  return problems;
}

/** Where each output's value comes from, for error messages. */
const GITHUB_OUTPUT_SOURCES: Readonly<Record<string, string>> = {
  site_file: "the site file's path",
  project: "gcp.project",
  region: "gcp.region",
  cluster_name: "gke.clusterName",
  cluster_location: "gke.location, else gcp.zone",
  state_bucket: "state.bucket",
  inventory_file: "matchbox.inventoryFile",
  discovery: "discovery.enabled",
  matchbox_namespace: "MATCHBOX_NAMESPACE, stacks/boot-server-stack.ts",
  plan_stacks: "PLAN_STACKS, stacks/index.ts",
};

/**
 * Why outputs cannot be written as key=value lines, if any: a value with a
 * line feed or carriage return would end its line and start another, forged
 * output (e.g. a different project). Settings checks refuse those in the
 * fields, but the site file's path is not a setting, so every value is checked
 * here, where the lines are written.
 */
export function githubOutputProblems(outputs: Readonly<Record<string, string>>): string[] {
  return Object.entries(outputs)
    .filter(([, v]) => /[\r\n]/.test(v))
    .map(
      ([k, v]) =>
        `${k}: ${JSON.stringify(v)} (${GITHUB_OUTPUT_SOURCES[k] ?? k}) contains a line break; allowed: a value on one line (a line break would start another, forged output line)`,
    );
}

/** key=value lines for $GITHUB_OUTPUT; main refuses to write them when githubOutputProblems finds any. */
export function githubOutputs(loaded: LoadedSite): Record<string, string> {
  const s = loaded.settings;
  return {
    site_file: loaded.file,
    project: s.gcp.project,
    region: s.gcp.region,
    cluster_name: s.gke.clusterName,
    cluster_location: s.gke.location ?? s.gcp.zone,
    state_bucket: s.state.bucket ?? "",
    inventory_file: s.matchbox.inventoryFile,
    // "true" or "false": the close-boot-windows workflow proposes discovered machines only when it is on.
    discovery: String(s.discovery.enabled),
    // Owned by the boot-server stack; the deploy workflow's port-forward reads it from here.
    matchbox_namespace: MATCHBOX_NAMESPACE,
    // The stacks the diff and drift jobs plan, in deploy order, space-separated.
    plan_stacks: PLAN_STACKS.join(" "),
  };
}

export interface CheckResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Checks the settings, then loads the files they name (peers, inventory,
 * gateway key) and checks those too. An invalid data file is one more
 * problem, so one run lists everything to fix.
 */
export function checkDeployable(loaded: LoadedSite, images: readonly DeployedImage[] = DEPLOYED_IMAGES): CheckResult {
  const problems = deployProblems(loaded.settings, loaded.file);
  let warnings: string[] = [];
  try {
    const site = completeSite(loaded);
    problems.push(...exampleDataProblems(site));
    warnings = deployWarnings(site);
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    problems.push(...err.problems.map(formatProblem));
  }
  problems.push(...imageDigestProblems(images));
  const warned = warnings.map((w) => `warning: ${w}\n`).join("");
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p}`).join("\n");
    const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
    return { ok: false, stdout: "", stderr: safeLines(`error: refusing to deploy ${loaded.file} (${count}):\n${lines}\n${warned}`) };
  }
  const s = loaded.settings;
  return {
    ok: true,
    stdout: `deployable: ${loaded.file} (project ${s.gcp.project}, state gs://${s.state.bucket}/${s.state.prefix})\n`,
    stderr: safeLines(warned),
  };
}

const USAGE = "usage: npm run check-deployable -- [<site.yaml>] [--github-output]\n";

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, images: readonly DeployedImage[] = DEPLOYED_IMAGES): number {
  if (helpRequested(argv, USAGE)) return 0;
  const writeGithubOutput = argv.includes("--github-output");
  const unknown = argv.filter((a) => a.startsWith("-") && a !== "--github-output");
  const files = argv.filter((a) => !a.startsWith("-"));
  if (unknown.length > 0 || files.length > 1) {
    process.stderr.write(USAGE);
    return 1;
  }
  const file = exitOnDataFileError(() => (files[0] !== undefined ? chosenSiteFile(files[0], "the site argument", env) : siteFileFromEnv(env)));
  announceSite(file);
  const loaded = exitOnDataFileError(() => loadSite(file));
  const result = checkDeployable(loaded, images);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (!result.ok) return 1;
  if (writeGithubOutput) {
    const target = env.GITHUB_OUTPUT;
    if (!target) {
      process.stderr.write("error: --github-output given but $GITHUB_OUTPUT is not set\n");
      return 1;
    }
    const outputs = githubOutputs(loaded);
    const refused = githubOutputProblems(outputs);
    if (refused.length > 0) {
      process.stderr.write(`error: --github-output: nothing written to $GITHUB_OUTPUT:\n${refused.map((p) => `  - ${p}\n`).join("")}`);
      return 1;
    }
    const lines = Object.entries(outputs).map(([k, v]) => `${k}=${v}\n`);
    appendFileSync(target, lines.join(""));
  }
  return 0;
}

if (require.main === module) {
  process.exit(main(process.argv.slice(2)));
}
