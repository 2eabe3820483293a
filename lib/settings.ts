import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import siteSchema from "../sites/site.schema.json";
import {
  cidrContains,
  cidrsOverlap,
  isPrivateCidr,
  isPublicCidr,
  lastAddress,
  parseIpv4,
  parseIpv4Cidr,
  type Ipv4Cidr,
} from "./cidr";
import { talosMetalKernelArgs } from "./matchbox/talos-kernel-args";
import { checkAgainstSchema } from "./schema-check";
import { DataFileError, YamlSource, type Problem } from "./yaml-source";

/** The repository root: every relative path in settings is resolved from here. */
export const REPO_ROOT = resolve(__dirname, "..");
export const EXAMPLE_SITE_FILE = resolve(REPO_ROOT, "sites/example.yaml");

/** One site, as written in `sites/*.yaml` and checked against `sites/site.schema.json`. */
export interface SiteSettings {
  /** true only for the built-in example site; CI refuses to deploy it. */
  readonly example: boolean;
  readonly gcp: { readonly project: string; readonly region: string; readonly zone: string };
  readonly namePrefix: string;
  /** Public address(es) of the home router: the only sources of UDP 51820. */
  readonly homePublicCidrs: readonly string[];
  readonly acceptHandshakesFromAnyAddress: boolean;
  /** Private boot VLAN(s) at home, routed through the tunnel. */
  readonly bootVlanCidrs: readonly string[];
  /** Default gateway per boot VLAN, keyed by CIDR. */
  readonly bootVlanGateways: Readonly<Record<string, string>>;
  readonly network: {
    readonly nodesCidr: string;
    readonly podsCidr: string;
    readonly servicesCidr: string;
    readonly controlPlaneCidr: string;
    readonly controlPlaneAuthorizedCidrs: readonly string[];
  };
  readonly gke: {
    readonly mode: "create" | "existing";
    readonly clusterName: string;
    readonly location?: string;
    readonly machineType: string;
    readonly spot: boolean;
    readonly nodeCount: number;
    readonly releaseChannel: "RAPID" | "REGULAR" | "STABLE";
    readonly deletionProtection: boolean;
  };
  readonly wireguard: {
    readonly tunnelCidr: string;
    readonly gatewayAddress: string;
    readonly listenPort: number;
    readonly mtu: number;
    readonly persistentKeepalive: number;
    readonly privateKeySecret: string;
    readonly peersFile: string;
    readonly gatewayPublicKeyFile: string;
    readonly endpoint?: string;
  };
  readonly matchbox: {
    readonly clusterIp: string;
    readonly inventoryFile: string;
    readonly rpcEndpoint?: string;
    readonly assetsVolumeGi: number;
    readonly dataVolumeGi: number;
  };
  readonly talos: {
    readonly version: string;
    readonly schematic: string;
    readonly kernelSha256: string | null;
    readonly initramfsSha256: string | null;
    /** The schematic's `customization.extraKernelArgs`, appended after Talos's own (the Image Factory's metal cmdline). */
    readonly schematicExtraKernelArgs?: readonly string[];
    readonly configSecrets: { readonly controlplane: string; readonly worker: string };
  };
  readonly rescue?: {
    readonly kernelUrl: string;
    readonly kernelSha256: string;
    readonly initrdUrl: string;
    readonly initrdSha256: string;
    readonly args: readonly string[];
  };
  /** The embedded-script iPXE EFI binary for UEFI HTTP boot (docs/adr/0008). */
  readonly ipxeChainEfi?: { readonly url: string; readonly sha256: string };
  readonly state: { readonly backend: "local" | "gcs"; readonly bucket?: string; readonly prefix: string };
  readonly observability: { readonly alertOnUnknownMac: boolean };
}

/** Settings plus where they came from, so later errors can name the file. */
export interface LoadedSite {
  readonly settings: SiteSettings;
  /** Path shown in messages (relative to the repository root when inside it). */
  readonly file: string;
  /** Resolves a path from settings (peers file, inventory) against the repository root. */
  resolvePath(path: string): string;
}

/** The project file whose `context.site` names the repository's default site (the CDK convention for project defaults). */
export const CDKTF_JSON_FILE = resolve(REPO_ROOT, "cdktf.json");

/**
 * The one site resolution rule for every command: `SITE_CONFIG` if set
 * (relative to the working directory), else `context.site` in cdktf.json
 * (relative to the repository root), else the built-in example site.
 */
export function siteFileFromEnv(env: NodeJS.ProcessEnv = process.env, cdktfJson: string = CDKTF_JSON_FILE): string {
  const chosen = env.SITE_CONFIG?.trim();
  if (chosen) return resolve(process.cwd(), chosen);
  const configured = defaultSiteFromCdktfJson(cdktfJson);
  return configured ? resolve(REPO_ROOT, configured) : EXAMPLE_SITE_FILE;
}

function defaultSiteFromCdktfJson(file: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DataFileError(displayPath(file), [{ file: displayPath(file), field: "", message: `cannot read it as JSON: ${(err as Error).message}` }]);
  }
  const site = (parsed as { context?: { site?: unknown } } | null)?.context?.site;
  if (site === undefined || site === null) return undefined;
  if (typeof site !== "string" || site.trim() === "") {
    throw new DataFileError(displayPath(file), [
      { file: displayPath(file), field: "context.site", message: `got ${JSON.stringify(site)}; must be the path of a site file relative to the repository root, e.g. "sites/home.yaml"` },
    ]);
  }
  return site.trim();
}

/** Whether an absolute path lies inside this repository. */
export function isInsideRepository(file: string): boolean {
  return !relative(REPO_ROOT, file).startsWith("..");
}

export function displayPath(file: string): string {
  return isInsideRepository(file) ? relative(REPO_ROOT, file) : file;
}

/** Reads and validates a site file; throws DataFileError listing every problem. */
export function loadSite(file: string = siteFileFromEnv()): LoadedSite {
  const source = YamlSource.read(file, displayPath(file));
  return { settings: parseSite(source), file: source.file, resolvePath: (p) => resolve(REPO_ROOT, p) };
}

export function parseSite(source: YamlSource): SiteSettings {
  const value = source.value() ?? {};
  const schemaProblems = checkAgainstSchema(siteSchema, value, source);
  if (schemaProblems.length > 0) throw new DataFileError(`site settings ${source.file}`, schemaProblems);
  const settings = value as SiteSettings;
  const problems = checkSemantics(settings, source);
  if (problems.length > 0) throw new DataFileError(`site settings ${source.file}`, problems);
  return settings;
}

const PRIVATE_HINT = "allowed: RFC 1918 (10/8, 172.16/12, 192.168/16) or 100.64.0.0/10";

function checkSemantics(s: SiteSettings, src: YamlSource): Problem[] {
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
            "0.0.0.0/0 opens UDP 51820 to every address; set acceptHandshakesFromAnyAddress: true to accept this deliberately (for a home line whose public IP changes), or list the home router's public IP",
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
    if (!/^[^\s]+$/.test(arg)) problems.push(src.problem(["talos", "schematicExtraKernelArgs", i], `${JSON.stringify(arg)} is not one kernel argument; allowed: one token without spaces or newlines, e.g. console=ttyS1,115200n8`));
  });
  if (s.gke.mode === "existing" && !s.gke.location) {
    problems.push(src.problem(["gke", "location"], 'missing: gke.mode is "existing", so gke.location must name the cluster\'s zone or region'));
  }
  return problems;
}
