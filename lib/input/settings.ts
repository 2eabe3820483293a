import { relative, resolve } from "node:path";
import siteSchema from "../../sites/site.schema.json";
import {
  cidrContains,
  cidrsOverlap,
  isPrivateCidr,
  isPublicCidr,
  lastAddress,
  parseIpv4,
  parseIpv4Cidr,
  publicEndpointProblem,
  type Ipv4Cidr,
} from "./cidr";
import { rescueBootAssets } from "./boot-assets";
import type { NetbootSiteSettings } from "./site-settings.generated";
import { MAX_NAME_PREFIX_LENGTH, PREFIXED_GCP_NAMES } from "./gcp-names";
import { talosMetalKernelArgs } from "./talos/metal-kernel-args";
import { checkTalosSettings } from "./talos/settings-check";
import { readPatchFile, type PatchReader } from "./talos/patch-files";
import { kernelArgProblem, PROFILE_OWNED_ARG_KEYS } from "./talos/kernel-args";
import { validatedDocument, type RetiredFields } from "./schema-check";
import { CONTROL_CHARACTER, notOneToken } from "./tokens";
import { DataFileError, formatPath, readSmallTextFile, YamlSource, type FieldPath, type Problem } from "./yaml-source";
import { displayPath, repositoryFile, REPO_ROOT, lexicallyInsideRepository } from "./repo-files";
import { quote } from "./safe-text";
import { notificationChannelProblem } from "./notification-channels";

export { displayPath, isInsideRepository, REPO_ROOT } from "./repo-files";
/** The built-in example site, relative to the repository root: what every command uses when nothing names another site. */
export const EXAMPLE_SITE_PATH = "sites/example.yaml";
export const EXAMPLE_SITE_FILE = resolve(REPO_ROOT, EXAMPLE_SITE_PATH);

/** `T` with every property readonly, through arrays and nested objects (optional stays optional). */
type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * One site, as written in `sites/*.yaml` and checked against
 * `sites/site.schema.json`, after validation (every field with a default is
 * present). The type is generated from the schema (`npm run gen:site-types`,
 * lib/input/site-settings.generated.ts): change the schema, not this.
 */
export type SiteSettings = DeepReadonly<NetbootSiteSettings>;

/** Settings plus where they came from, so later errors can name the file. */
export interface LoadedSite {
  readonly settings: SiteSettings;
  /** Path shown in messages (relative to the repository root when inside it). */
  readonly file: string;
  /**
   * The file a settings field names (peers file, inventory, gateway key),
   * checked by the one path rule (lib/input/repo-files.ts): a regular file
   * inside the repository after every symbolic link. Throws DataFileError
   * naming the settings file and the field otherwise; the path is never opened then.
   */
  resolvePath(path: string, field: FieldPath): string;
}

/** The problem of a settings field naming a path the path rule refuses: the one wording every command uses. */
export function refusedPathProblem(file: string, field: FieldPath, path: string, reason: string, source?: YamlSource): Problem {
  const message = `${quote(path)} ${reason}`;
  return source ? source.problem(field, message) : { file, field: formatPath(field), message };
}

/** A LoadedSite whose refused paths are reported at `field` of `source` (or of `file`, without line numbers). */
export function loadedSite(settings: SiteSettings, file: string, source?: YamlSource, root: string = REPO_ROOT): LoadedSite {
  return {
    settings,
    file,
    resolvePath: (path, field) => {
      const checked = repositoryFile(path, root);
      if ("file" in checked) return checked.file;
      throw new DataFileError(`site settings ${file}`, [refusedPathProblem(file, field, path, checked.error, source)]);
    },
  };
}

/** The project file whose `context.site` names the repository's default site (the CDK convention for project defaults). */
export const CDKTF_JSON_FILE = resolve(REPO_ROOT, "cdktf.json");

/**
 * A site (or inventory) file named on the command line or in SITE_CONFIG
 * (`named`, relative to the working directory). Locally it may live outside the repository;
 * under CI=true only a reviewed file of it is deployed, and inside the
 * repository the one path rule applies either way.
 */
export function chosenSiteFile(chosen: string, named: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = resolve(process.cwd(), chosen);
  const ci = env.CI === "true";
  if (!ci && !lexicallyInsideRepository(file)) return file;
  const checked = repositoryFile(relative(REPO_ROOT, file));
  if ("file" in checked) return checked.file;
  const why = ci && !lexicallyInsideRepository(file) ? `${checked.error} (under CI=true it must be a file of the repository; outside CI, ${named} may name a file anywhere)` : checked.error;
  throw new DataFileError("the environment", [{ file: "environment", field: named, message: `${quote(chosen)} ${why}` }]);
}

/**
 * The one site resolution rule for every command: `SITE_CONFIG` if set
 * (relative to the working directory), else `context.site` in cdktf.json
 * (relative to the repository root), else the built-in example site.
 */
export function siteFileFromEnv(env: NodeJS.ProcessEnv = process.env, cdktfJson: string = CDKTF_JSON_FILE): string {
  const chosen = env.SITE_CONFIG?.trim();
  if (chosen) return chosenSiteFile(chosen, "SITE_CONFIG", env);
  const configured = defaultSiteFromCdktfJson(cdktfJson);
  if (!configured) return EXAMPLE_SITE_FILE;
  const checked = repositoryFile(configured);
  if ("file" in checked) return checked.file;
  throw new DataFileError(displayPath(cdktfJson), [{ file: displayPath(cdktfJson), field: "context.site", message: `${quote(configured)} ${checked.error}` }]);
}

function defaultSiteFromCdktfJson(file: string): string | undefined {
  // cdktf.json is the pull request's too: the same rule as every data file when it is the repository's.
  const checked = lexicallyInsideRepository(file) ? repositoryFile(relative(REPO_ROOT, file)) : { file };
  if ("error" in checked) {
    if (/^does not exist/.test(checked.error)) return undefined;
    throw new DataFileError(displayPath(file), [{ file: displayPath(file), field: "", message: checked.error }]);
  }
  const read = readSmallTextFile(checked.file);
  if ("error" in read) {
    if (read.code === "ENOENT") return undefined;
    throw new DataFileError(displayPath(file), [{ file: displayPath(file), field: "", message: read.error }]);
  }
  const site = siteFromCdktfJson(read.text);
  if ("problem" in site) throw new DataFileError(displayPath(file), [{ file: displayPath(file), ...site.problem }]);
  return site.site;
}

/**
 * cdktf.json's `context.site` from its text: the site file it names
 * (relative to the repository root), undefined when it names none (then the
 * example is the site), or why it cannot be read. The one reading of it, for
 * the working tree and for a commit's tree (boot-diff's base side).
 */
export function siteFromCdktfJson(text: string): { site: string | undefined } | { problem: { field: string; message: string } } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { problem: { field: "", message: `cannot read it as JSON: ${(err as Error).message}` } };
  }
  const site = (parsed as { context?: { site?: unknown } } | null)?.context?.site;
  if (site === undefined || site === null) return { site: undefined };
  if (typeof site !== "string" || site.trim() === "") {
    return { problem: { field: "context.site", message: `got ${quote(site)}; must be the path of a site file relative to the repository root, e.g. "sites/home.yaml"` } };
  }
  return { site: site.trim() };
}

/** Reads and validates a site file; throws DataFileError listing every problem. */
export function loadSite(file: string = siteFileFromEnv()): LoadedSite {
  const source = YamlSource.read(file, displayPath(file));
  return loadedSite(parseSite(source), source.file, source);
}

/** Site fields of earlier versions, and what a site that still has them must do. */
export const RETIRED_SITE_FIELDS: RetiredFields = {
  "talos.configSecrets":
    "retired: netboot now generates each machine's Talos config with the Talos provider, and no longer reads configs uploaded to Secret Manager. A cluster installed from those uploads must be adopted before this site deploys, or its nodes could not rejoin it: follow docs/upgrading.md, \"Upgrading a site whose Talos configs were in Secret Manager\", then remove this field",
};

/** Parses and validates a site; its patch files are read with `readPatch` (the working tree's, by default). */
export function parseSite(source: YamlSource, readPatch: PatchReader = readPatchFile): SiteSettings {
  return validatedDocument<SiteSettings>(source, siteSchema, "site settings", (settings) => checkSemantics(settings, source, readPatch), RETIRED_SITE_FIELDS);
}

const PRIVATE_HINT = "allowed: RFC 1918 (10/8, 172.16/12, 192.168/16) or 100.64.0.0/10";

function checkSemantics(s: SiteSettings, src: YamlSource, readPatch: PatchReader): Problem[] {
  const problems: Problem[] = [];
  const cidr = (path: (string | number)[], text: string): Ipv4Cidr | undefined => {
    const parsed = parseIpv4Cidr(text);
    if (typeof parsed === "string") {
      problems.push(src.problem(path, parsed));
      return undefined;
    }
    return parsed;
  };

  if (!s.gcp.zone.startsWith(`${s.gcp.region}-`)) {
    problems.push(src.problem(["gcp", "zone"], `"${s.gcp.zone}" is not a zone of region "${s.gcp.region}"; allowed: ${s.gcp.region}-a, ${s.gcp.region}-b, ...`));
  }

  s.homePublicCidrs.forEach((text, i) => {
    const c = cidr(["homePublicCidrs", i], text);
    if (!c) return;
    if (c.prefix === 0) {
      if (!s.acceptHandshakesFromAnyAddress) {
        problems.push(
          src.problem(
            ["homePublicCidrs", i],
            `0.0.0.0/0 opens UDP ${s.wireguard.listenPort} to every address; set acceptHandshakesFromAnyAddress: true to accept this deliberately (for a home line whose public IP changes), or list the home router's public IP`,
          ),
        );
      }
    } else if (!isPublicCidr(c)) {
      problems.push(
        src.problem(
          ["homePublicCidrs", i],
          `${text} is not a public range; homePublicCidrs holds the home router's public (WAN) address(es), e.g. 198.51.100.7/32. Private boot networks belong in bootVlanCidrs`,
        ),
      );
    }
  });

  const named: { path: (string | number)[]; cidr: Ipv4Cidr }[] = [];
  const privateRange = (path: (string | number)[], text: string) => {
    const c = cidr(path, text);
    if (!c) return undefined;
    if (!isPrivateCidr(c)) {
      problems.push(src.problem(path, `${text} is not a private range; ${PRIVATE_HINT}`));
      return undefined;
    }
    named.push({ path, cidr: c });
    return c;
  };

  s.bootVlanCidrs.forEach((text, i) => privateRange(["bootVlanCidrs", i], text));
  const services = privateRange(["network", "servicesCidr"], s.network.servicesCidr);
  if (s.gke.mode === "create") {
    privateRange(["network", "nodesCidr"], s.network.nodesCidr);
    privateRange(["network", "podsCidr"], s.network.podsCidr);
    const cp = privateRange(["network", "controlPlaneCidr"], s.network.controlPlaneCidr);
    if (cp && cp.prefix !== 28) {
      problems.push(src.problem(["network", "controlPlaneCidr"], `${cp.text} must be a /28 (GKE's private control-plane range)`));
    }
  }
  const tunnel = privateRange(["wireguard", "tunnelCidr"], s.wireguard.tunnelCidr);
  s.network.controlPlaneAuthorizedCidrs.forEach((text, i) => cidr(["network", "controlPlaneAuthorizedCidrs", i], text));

  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      if (cidrsOverlap(named[i].cidr, named[j].cidr)) {
        const other = named[i].path.map(String).join(".").replace(/\.(\d+)/g, "[$1]");
        problems.push(src.problem(named[j].path, `${named[j].cidr.text} overlaps ${other} (${named[i].cidr.text}); VPC, pod, service, tunnel and boot VLAN ranges must be disjoint`));
      }
    }
  }

  for (const [vlan, router] of Object.entries(s.bootVlanGateways)) {
    const path = ["bootVlanGateways", vlan];
    const vlanCidr = s.bootVlanCidrs.includes(vlan) ? parseIpv4Cidr(vlan) : undefined;
    const routerIp = parseIpv4(router);
    if (!vlanCidr || typeof vlanCidr === "string") problems.push(src.problem(path, `"${vlan}" is not one of bootVlanCidrs (${s.bootVlanCidrs.join(", ")})`));
    else if (typeof routerIp === "string") problems.push(src.problem(path, routerIp));
    else if (!cidrContains(vlanCidr, routerIp)) problems.push(src.problem(path, `${router} is outside ${vlan}`));
  }

  const gateway = parseIpv4(s.wireguard.gatewayAddress);
  if (typeof gateway === "string") problems.push(src.problem(["wireguard", "gatewayAddress"], gateway));
  else if (tunnel && !cidrContains(tunnel, gateway)) {
    problems.push(src.problem(["wireguard", "gatewayAddress"], `${s.wireguard.gatewayAddress} is outside wireguard.tunnelCidr ${tunnel.text}`));
  } else if (tunnel && tunnel.prefix < 31 && [tunnel.address.toString(), lastAddress(tunnel).toString()].includes(s.wireguard.gatewayAddress)) {
    problems.push(src.problem(["wireguard", "gatewayAddress"], `${s.wireguard.gatewayAddress} is the network or broadcast address of ${tunnel.text}; pick a host address`));
  }

  if (s.wireguard.endpoint !== undefined) {
    const endpoint = publicEndpointProblem(s.wireguard.endpoint);
    if (endpoint) problems.push(src.problem(["wireguard", "endpoint"], endpoint));
  }

  const clusterIp = parseIpv4(s.matchbox.clusterIp);
  if (typeof clusterIp === "string") problems.push(src.problem(["matchbox", "clusterIp"], clusterIp));
  else if (services && !cidrContains(services, clusterIp)) {
    problems.push(src.problem(["matchbox", "clusterIp"], `${s.matchbox.clusterIp} is outside network.servicesCidr ${services.text}; a Service's ClusterIP must come from the services range`));
  }

  if (s.state.backend === "gcs" && !s.state.bucket) {
    problems.push(src.problem(["state", "bucket"], 'missing: state.backend is "gcs", so state.bucket must name the (versioned) state bucket'));
  }
  const talosArgs = talosMetalKernelArgs(s.talos.version);
  if ("error" in talosArgs) problems.push(src.problem(["talos", "version"], talosArgs.error));
  (s.talos.schematicExtraKernelArgs ?? []).forEach((arg, i) => {
    const wrong = kernelArgProblem(arg);
    if (wrong) problems.push(src.problem(["talos", "schematicExtraKernelArgs", i], wrong));
  });
  problems.push(...checkTalosSettings(s, src, readPatch));
  if (s.gke.mode === "existing" && !s.gke.location) {
    problems.push(src.problem(["gke", "location"], 'missing: gke.mode is "existing", so gke.location must name the cluster\'s zone or region'));
  }
  if (s.discovery.enabled && s.observability.alertOnUnknownMac) {
    problems.push(
      src.problem(
        ["observability", "alertOnUnknownMac"],
        "cannot be true while discovery.enabled is true: with discovery an unknown MAC boots Talos maintenance mode through the catch-all group, so Matchbox never answers it \"No matching profile\" and the alert could never fire; allowed: false (list unknown machines with npm run discovered), or discovery.enabled: false",
      ),
    );
  }
  problems.push(...checkConsumerRules(s, src));
  return problems;
}

// ---------------------------------------------------------------------------
// What each value's consumer forbids. Escaping keeps Terraform safe; these
// checks refuse values that the thing they end up in (a GCP name, a URL, an
// iPXE line, a kernel argument, a GitHub Actions output) would reject or
// misread, before anything is synthesized.

/** Terraform template syntax; GCP names and ids never contain `$`, `%` or `{`. */
function templateSyntax(value: string): string | undefined {
  return /[$%]\{/.test(value) ? 'contains Terraform template syntax ("${" or "%{")' : undefined;
}


/**
 * GKE cluster and node pool names: at most 40 characters. Cluster.name "can be
 * up to 40 characters" (GKE API v1); for node pools the API answers "Must be a
 * match of regex '(?:[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)' (... must be no longer
 * than 40 characters)" (quoted in https://github.com/pulumi/pulumi-gcp/issues/1510).
 * constructs/gke-cluster.ts names the pool `${clusterName}-pool`.
 */
const GKE_NAME_MAX = 40;
const NODE_POOL_SUFFIX = "-pool";

/**
 * The broadest homePublicCidrs entry accepted without
 * acceptHandshakesFromAnyAddress: a /8 (16.7 million addresses, more than any
 * ISP's address pool for a home line). Anything broader is as good as
 * 0.0.0.0/0 (two /1s are all of it), so it needs the same opt-in.
 */
export const BROADEST_HOME_PREFIX = 8;

/**
 * The boot-report receiver's fixed ClusterIP: the address after Matchbox's
 * (the gateway DNATs to both). Fixed addresses low in the services range are
 * in the band Kubernetes keeps for static allocation (KEP-3070: dynamic
 * allocation takes the upper band first), so a dynamically allocated Service
 * is unlikely to hold it.
 */
export function bootReportClusterIp(s: SiteSettings): string {
  const [a, b, c, d] = s.matchbox.clusterIp.split(".").map(Number);
  const value = (((a << 24) >>> 0) + (b << 16) + (c << 8) + d + 1) >>> 0;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

function nthAddress(c: Ipv4Cidr, n: number): string {
  const [a, b, c2, d] = c.address.toByteArray();
  const value = (((a << 24) >>> 0) + (b << 16) + (c2 << 8) + d + n) >>> 0;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

/** "the network address" / "the broadcast address" when `ip` is one of `c`'s (ranges of /30 and broader have both). */
function specialAddressOf(c: Ipv4Cidr, ip: string): string | undefined {
  if (c.prefix >= 31) return undefined;
  if (ip === c.address.toString()) return "the network address";
  if (ip === lastAddress(c).toString()) return "the broadcast address";
  return undefined;
}

function checkConsumerRules(s: SiteSettings, src: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const refuse = (path: (string | number)[], message: string): void => {
    problems.push(src.problem(path, message));
  };

  // GCP names after prefixing.
  const refused = Object.values(PREFIXED_GCP_NAMES).map((n) => ({ ...n, name: `${s.namePrefix}${n.suffix}` })).filter((n) => n.name.length > n.max || n.name.length < n.min);
  if (refused.length > 0) {
    const names = refused.map((n) => `${n.kind} "${n.name}" has ${n.name.length} characters (GCP allows ${n.min}-${n.max})`).join(", ");
    refuse(["namePrefix"], `"${s.namePrefix}" (${s.namePrefix.length} characters) makes names GCP refuses: ${names}; allowed: a namePrefix of at most ${MAX_NAME_PREFIX_LENGTH} characters`);
  }
  if (s.gke.mode === "create") {
    const pool = `${s.gke.clusterName}${NODE_POOL_SUFFIX}`;
    if (pool.length > GKE_NAME_MAX) {
      refuse(
        ["gke", "clusterName"],
        `"${s.gke.clusterName}" (${s.gke.clusterName.length} characters) makes the node pool name "${pool}" ${pool.length} characters; GKE allows at most ${GKE_NAME_MAX}, so allowed: a gke.clusterName of at most ${GKE_NAME_MAX - NODE_POOL_SUFFIX.length} characters when gke.mode is "create"`,
      );
    }
  }

  // GCP ids without a schema pattern: they reach the GKE API, Terraform and the workflows' outputs.
  const gcpId = (path: (string | number)[], value: string | undefined, rule: RegExp, what: string, allowed: string) => {
    if (value === undefined) return;
    const wrong = notOneToken(value) ?? templateSyntax(value) ?? (rule.test(value) ? undefined : `is not ${what}`);
    if (wrong) refuse(path, `${JSON.stringify(value)} ${wrong}; allowed: ${allowed}`);
  };
  gcpId(
    ["gke", "location"],
    s.gke.location,
    /^[a-z]+-[a-z]+[0-9]+(-[a-z])?$/,
    "a GCP zone or region",
    "a GCP zone or region of lower-case letters, digits and '-', e.g. europe-west4-a or europe-west4 (it becomes the cluster's location and the workflows' cluster_location output)",
  );
  gcpId(["gke", "machineType"], s.gke.machineType, /^[a-z][a-z0-9-]*[a-z0-9]$/, "a Compute Engine machine type", "a machine type of lower-case letters, digits and '-', e.g. e2-small or n2-standard-2");

  // Paths and the state prefix: one line each (inventoryFile becomes the workflows' inventory_file output; the prefix goes into the backend block, where Terraform allows no templates).
  const oneLine = (path: (string | number)[], value: string | undefined, allowed: string, noTemplates = false) => {
    if (value === undefined) return;
    const wrong = CONTROL_CHARACTER.test(value) ? "contains a line break or another control character" : noTemplates ? templateSyntax(value) : undefined;
    if (wrong) refuse(path, `${JSON.stringify(value)} ${wrong}; allowed: ${allowed}`);
  };
  const repoPath = "a path relative to the repository root, on one line";
  oneLine(["matchbox", "inventoryFile"], s.matchbox.inventoryFile, repoPath);
  oneLine(["wireguard", "peersFile"], s.wireguard.peersFile, repoPath);
  oneLine(["wireguard", "gatewayPublicKeyFile"], s.wireguard.gatewayPublicKeyFile, repoPath);
  oneLine(["state", "prefix"], s.state.prefix, "a GCS object prefix on one line without Terraform template syntax, e.g. netboot", true);

  // Kernel command line (the iPXE `kernel` line Matchbox renders): the same rule as every kernel argument.
  (s.rescue?.args ?? []).forEach((arg, i) => {
    const wrong = kernelArgProblem(arg, undefined, PROFILE_OWNED_ARG_KEYS);
    if (wrong) refuse(["rescue", "args", i], wrong);
  });

  // Asset URLs: fetch-assets.sh reads them from a space-separated manifest, one asset per line, and downloads them.
  const assetUrlProblem = (text: string, needsFileName: boolean): string | undefined => {
    const allowed = "an absolute https:// URL without spaces or line breaks, e.g. https://example.org/boot/vmlinuz";
    const wrong = notOneToken(text);
    if (wrong) return `${JSON.stringify(text)} ${wrong}; allowed: ${allowed}`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return `${JSON.stringify(text)} is not a URL (WHATWG URL parsing fails: e.g. no host, a bad port or a character hosts cannot have); allowed: ${allowed}`;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return `${JSON.stringify(text)} is a ${url.protocol} URL; allowed: ${allowed}`;
    if (url.username || url.password) return `${JSON.stringify(text)} contains credentials (user:password@); allowed: a URL without credentials (settings are committed to git)`;
    if (needsFileName && url.pathname.endsWith("/")) return `${JSON.stringify(text)} does not end in a file name (Matchbox serves the asset as rescue/<file name>); allowed: ${allowed}`;
    return undefined;
  };
  const assetUrl = (path: (string | number)[], text: string, needsFileName: boolean): boolean => {
    const problem = assetUrlProblem(text, needsFileName);
    if (problem) refuse(path, problem);
    return problem === undefined;
  };
  if (s.rescue) {
    const kernelOk = assetUrl(["rescue", "kernelUrl"], s.rescue.kernelUrl, true);
    const initrdOk = assetUrl(["rescue", "initrdUrl"], s.rescue.initrdUrl, true);
    if (kernelOk && initrdOk) {
      const assets = rescueBootAssets(s.rescue);
      if (assets.kernel.path === assets.initrd.path) {
        refuse(["rescue", "initrdUrl"], `${JSON.stringify(s.rescue.initrdUrl)} is stored as ${assets.initrd.path}, the same file as rescue.kernelUrl; allowed: URLs whose file names differ`);
      }
    }
  }
  if (s.ipxeChainEfi) assetUrl(["ipxeChainEfi", "url"], s.ipxeChainEfi.url, false);

  // homePublicCidrs: a range broader than /8 needs the same opt-in as 0.0.0.0/0.
  s.homePublicCidrs.forEach((text, i) => {
    const c = parseIpv4Cidr(text);
    // 0.0.0.0/0 and ranges that are not public are reported by checkSemantics.
    if (typeof c === "string" || c.prefix === 0 || c.prefix >= BROADEST_HOME_PREFIX || s.acceptHandshakesFromAnyAddress || !isPublicCidr(c)) return;
    refuse(
      ["homePublicCidrs", i],
      `${text} spans 2^${32 - c.prefix} addresses, broader than /${BROADEST_HOME_PREFIX}: as good as opening UDP ${s.wireguard.listenPort} to every address; set acceptHandshakesFromAnyAddress: true to accept this deliberately, or list the home router's public IP (e.g. 198.51.100.7/32) or its ISP's range (a /${BROADEST_HOME_PREFIX} or narrower)`,
    );
  });

  // Whom the alert policies notify (lib/input/notification-channels.ts).
  s.observability.notificationChannels.forEach((entry, i) => {
    const wrong = notificationChannelProblem(entry);
    if (wrong) refuse(["observability", "notificationChannels", i], wrong);
  });

  // Special addresses used as hosts.
  for (const [vlan, router] of Object.entries(s.bootVlanGateways)) {
    const c = s.bootVlanCidrs.includes(vlan) ? parseIpv4Cidr(vlan) : undefined;
    const ip = parseIpv4(router);
    if (!c || typeof c === "string" || typeof ip === "string" || !cidrContains(c, ip)) continue; // reported by checkSemantics
    const special = specialAddressOf(c, ip.toString());
    if (special) refuse(["bootVlanGateways", vlan], `${router} is ${special} of ${vlan}, not a router's address; allowed: a host address of ${vlan}, e.g. ${nthAddress(c, 1)}`);
  }
  const services = parseIpv4Cidr(s.network.servicesCidr);
  const clusterIp = parseIpv4(s.matchbox.clusterIp);
  if (typeof services !== "string" && typeof clusterIp !== "string" && cidrContains(services, clusterIp)) {
    const special = specialAddressOf(services, clusterIp.toString());
    const allowed = `allowed: another address of network.servicesCidr ${services.text}, e.g. ${nthAddress(services, Math.min(10, 2 ** (32 - services.prefix) - 2))}`;
    if (special) refuse(["matchbox", "clusterIp"], `${s.matchbox.clusterIp} is ${special} of network.servicesCidr ${services.text}; ${allowed}`);
    // Kubernetes gives the range's first host to the API server's own Service,
    // kubernetes.default (pkg/controlplane/services.go, ServiceIPRange:
    // "Select the first valid IP from ServiceClusterIPRange to use as the GenericAPIServer service IP").
    else if (clusterIp.toString() === nthAddress(services, 1)) {
      refuse(["matchbox", "clusterIp"], `${s.matchbox.clusterIp} is the first host of network.servicesCidr ${services.text}, which Kubernetes gives the API server's own Service (kubernetes.default); ${allowed}`);
    } else {
      const next = parseIpv4(bootReportClusterIp(s));
      if (typeof next === "string" || !cidrContains(services, next) || specialAddressOf(services, next.toString())) {
        refuse(["matchbox", "clusterIp"], `${s.matchbox.clusterIp} leaves no room for the boot-report receiver's Service, which takes the next address (${bootReportClusterIp(s)}), a host address of network.servicesCidr ${services.text} too; ${allowed}`);
      }
    }
  }
  return problems;
}
