import type { SiteSettings } from "./settings";

/** One file Matchbox serves from its assets directory, fetched at start and checked by SHA-256. */
export interface BootAsset {
  /** Path below Matchbox's assets directory, e.g. `talos/v1.13.9/kernel-amd64`. */
  readonly path: string;
  readonly url: string;
  /** Lower-case hex SHA-256; null while the operator has not filled it in. */
  readonly sha256: string | null;
  /** The settings field that holds the checksum, for error messages. */
  readonly setting: string;
}

export interface TalosBootAssets {
  readonly kernel: BootAsset;
  readonly initramfs: BootAsset;
}

/**
 * The Talos kernel and initramfs for the site's version and Image Factory
 * schematic (the initramfs carries the schematic's extensions).
 */
export function talosBootAssets(talos: SiteSettings["talos"]): TalosBootAssets {
  const base = `https://factory.talos.dev/image/${talos.schematic}/${talos.version}`;
  return {
    kernel: { path: `talos/${talos.version}/kernel-amd64`, url: `${base}/kernel-amd64`, sha256: talos.kernelSha256, setting: "talos.kernelSha256" },
    initramfs: {
      path: `talos/${talos.version}/initramfs-amd64.xz`,
      url: `${base}/initramfs-amd64.xz`,
      sha256: talos.initramfsSha256,
      setting: "talos.initramfsSha256",
    },
  };
}

export function rescueBootAssets(rescue: NonNullable<SiteSettings["rescue"]>): { kernel: BootAsset; initrd: BootAsset } {
  const name = (url: string) => url.split("/").pop()!.replace(/[^A-Za-z0-9._-]/g, "_");
  return {
    kernel: { path: `rescue/${name(rescue.kernelUrl)}`, url: rescue.kernelUrl, sha256: rescue.kernelSha256, setting: "rescue.kernelSha256" },
    initrd: { path: `rescue/${name(rescue.initrdUrl)}`, url: rescue.initrdUrl, sha256: rescue.initrdSha256, setting: "rescue.initrdSha256" },
  };
}

/** Where UEFI HTTP-boot firmware loads the embedded-script iPXE binary from (docs/adr/0008). */
export const IPXE_CHAIN_EFI_PATH = "ipxe/netboot-chain.efi";

/** Every asset a site serves. */
export function siteBootAssets(site: SiteSettings): BootAsset[] {
  const talos = talosBootAssets(site.talos);
  const rescue = site.rescue ? rescueBootAssets(site.rescue) : undefined;
  const chain = site.ipxeChainEfi
    ? [{ path: IPXE_CHAIN_EFI_PATH, url: site.ipxeChainEfi.url, sha256: site.ipxeChainEfi.sha256, setting: "ipxeChainEfi.sha256" }]
    : [];
  return [talos.kernel, talos.initramfs, ...(rescue ? [rescue.kernel, rescue.initrd] : []), ...chain];
}

/**
 * The manifest `fetch-assets.sh` reads: one asset per line,
 * `<sha256|UNSET> <path> <url> <setting>`.
 */
export function renderAssetManifest(assets: readonly BootAsset[]): string {
  return assets.map((a) => `${a.sha256 ?? "UNSET"} ${a.path} ${a.url} ${a.setting}\n`).join("");
}
