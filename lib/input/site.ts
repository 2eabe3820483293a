import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadInventory, type Machine } from "./inventory";
import { readWireguardKeyFile } from "./wireguard/keys";
import { loadPeers, type WireguardPeer } from "./wireguard/peers";
import { loadSite, REPO_ROOT, siteFileFromEnv, type LoadedSite, type SiteSettings } from "./settings";
import { readPatchFile } from "./talos/patch-files";
import { DataFileError } from "./yaml-source";

/** Everything a synth reads from disk, loaded and validated once, before any stack is built. */
export interface NetbootSite {
  readonly settings: SiteSettings;
  /** The settings file, as shown in messages. */
  readonly file: string;
  readonly peers: readonly WireguardPeer[];
  /** The machine inventory (matchbox.inventoryFile). */
  readonly machines: readonly Machine[];
  /** The gateway's public key (wireguard/gateway.pub). */
  readonly gatewayPublicKey: string;
  /** Project scripts shipped to pods; the tests run the same files. */
  readonly scripts: { readonly gateway: string; readonly fetchAssets: string; readonly bootReportReceiver: string };
  /** Every Talos patch file named in the settings or the inventory, by its repository-relative path, byte for byte. */
  readonly patchFiles: ReadonlyMap<string, string>;
}

export const GATEWAY_SCRIPT_FILE = join(REPO_ROOT, "wireguard", "gateway.sh");
export const FETCH_ASSETS_SCRIPT_FILE = join(REPO_ROOT, "constructs", "matchbox-server", "fetch-assets.sh");
export const BOOT_REPORT_RECEIVER_SCRIPT_FILE = join(REPO_ROOT, "constructs", "boot-report-receiver", "receiver.js");

/** Loads the site chosen by SITE_CONFIG (or the example); throws DataFileError on any invalid input. */
export function loadNetbootSite(file: string = siteFileFromEnv()): NetbootSite {
  return completeSite(loadSite(file));
}

/**
 * Reads the files the settings name (peers, gateway public key, inventory, Talos patch files) and the project's pod scripts.
 * `inventory` replaces the settings' matchbox.inventoryFile (validate's argument): its path and how it is shown.
 */
export function completeSite(loaded: LoadedSite, inventory?: { readonly file: string; readonly shown: string }): NetbootSite {
  const { settings } = loaded;
  // Every path first, by the one rule: a refused path is reported before any file is opened.
  const gatewayKeyFile = loaded.resolvePath(settings.wireguard.gatewayPublicKeyFile, ["wireguard", "gatewayPublicKeyFile"]);
  const peersFile = loaded.resolvePath(settings.wireguard.peersFile, ["wireguard", "peersFile"]);
  const inventoryFile = inventory?.file ?? loaded.resolvePath(settings.matchbox.inventoryFile, ["matchbox", "inventoryFile"]);
  // The gateway's key, when readable, so that a peer holding it is refused; an unreadable key file is reported below.
  const gatewayKey = readWireguardKeyFile(gatewayKeyFile);
  const peers = loadPeers(peersFile, settings.wireguard.peersFile, settings, "key" in gatewayKey ? gatewayKey.key : undefined);
  const machines = loadInventory(inventoryFile, inventory?.shown ?? settings.matchbox.inventoryFile, settings);
  return {
    settings,
    file: loaded.file,
    peers,
    machines,
    gatewayPublicKey: readPublicKey(gatewayKeyFile, settings.wireguard.gatewayPublicKeyFile),
    scripts: { gateway: readFileSync(GATEWAY_SCRIPT_FILE, "utf8"), fetchAssets: readFileSync(FETCH_ASSETS_SCRIPT_FILE, "utf8"), bootReportReceiver: readFileSync(BOOT_REPORT_RECEIVER_SCRIPT_FILE, "utf8") },
    // Read here, with the rest of the input, so no construct reads files (the checks above validated them).
    patchFiles: new Map([...settings.talos.patches, ...machines.flatMap((m) => m.patches)].map((path) => [path, patchText(path)])),
  };
}

function patchText(path: string): string {
  const read = readPatchFile(path);
  if ("text" in read) return read.text;
  throw new DataFileError(path, [{ file: path, field: "", message: read.error }]);
}

function readPublicKey(path: string, shown: string): string {
  // A file only its owner may read is how wg:keygen writes a private key; a public key is committed, world-readable data.
  if ((statSync(path).mode & 0o044) === 0) {
    throw new DataFileError(shown, [
      {
        file: shown,
        field: "",
        message: "the gateway's public key file is readable only by its owner, as the private key files wg:keygen writes are (mode 0600); a public key is committed and world-readable: if it holds the public key wg:keygen printed, chmod 644 it; never put the private key here",
      },
    ]);
  }
  const read = readWireguardKeyFile(path);
  if ("key" in read) return read.key;
  throw new DataFileError(shown, [
    { file: shown, field: "", message: `the gateway's public key: ${read.error}. Create the key pair as docs/boot-path.md, "Gateway key" describes.` },
  ]);
}
