import { App, Testing } from "cdktf";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NetbootSite } from "../site";
import { addNetbootStacks } from "../../stacks";
import { normalizeMac, type CanonicalMac } from "../mac";
import { BOOT_IPXE, matchboxStoreFromTerraform, renderIpxe, selectGroup, type MatchboxStore, type StoredGroup, type StoredProfile } from "./selection";

/** What Matchbox will hold for a site: synthesized exactly as `cdktf synth` writes the matchbox-config stack. */
export function synthesizedMatchboxStore(site: NetbootSite): MatchboxStore {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "netboot-preview-")), skipValidation: true });
  const stacks = addNetbootStacks(app, site);
  return matchboxStoreFromTerraform(JSON.parse(Testing.synth(stacks.matchboxConfig)));
}

export type PreviewResult =
  | { readonly kind: "invalid-mac"; readonly message: string }
  | { readonly kind: "boot"; readonly mac: CanonicalMac; readonly group: StoredGroup; readonly profile: StoredProfile; readonly ipxe: string }
  | { readonly kind: "not-found"; readonly mac: CanonicalMac; readonly reason: string };

/** Which group and profile Matchbox would select for `mac`, and the exact `/ipxe` answer. */
export function previewBoot(site: NetbootSite, store: MatchboxStore, macInput: string): PreviewResult {
  const parsed = normalizeMac(macInput);
  if ("error" in parsed) return { kind: "invalid-mac", message: parsed.error };
  const group = selectGroup(store.groups, { mac: parsed.mac });
  if (!group) {
    const machine = site.machines.find((m) => m.mac === parsed.mac);
    const reason = machine
      ? `machine "${machine.name}" has boot: ${machine.boot}, so it has no group: Matchbox answers 404 and the machine boots from its disk`
      : "no machine in the inventory has this MAC and there is no catch-all group: Matchbox answers 404 (No matching profile/group)";
    return { kind: "not-found", mac: parsed.mac, reason };
  }
  const profile = store.profiles.get(group.profile);
  if (!profile) return { kind: "not-found", mac: parsed.mac, reason: `group ${group.name} names profile ${group.profile}, which does not exist: Matchbox answers 404` };
  return { kind: "boot", mac: parsed.mac, group, profile, ipxe: renderIpxe(profile) };
}

export function formatPreview(result: PreviewResult, baseUrl: string): string {
  switch (result.kind) {
    case "invalid-mac":
      return `error: ${result.message}\n`;
    case "not-found":
      return `MAC      ${result.mac}\nresult   HTTP 404 from ${baseUrl}/ipxe?mac=${result.mac.replace(/:/g, "-")}\nwhy      ${result.reason}\n`;
    case "boot": {
      const meta = Object.entries(result.group.metadata)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      return [
        `MAC      ${result.mac}`,
        `group    ${result.group.name}  (selector mac=${result.group.selector.mac})`,
        `profile  ${result.profile.name}${result.profile.hasGenericConfig ? "  (serves a Talos machine config at /generic)" : "  (no machine config)"}`,
        `metadata ${meta}`,
        "",
        `# ${baseUrl}/boot.ipxe`,
        BOOT_IPXE.trimEnd(),
        "",
        `# ${baseUrl}/ipxe?mac=${result.mac.replace(/:/g, "-")}`,
        result.ipxe.trimEnd(),
        "",
        "kernel arguments:",
        ...result.profile.args.map((a) => `  ${a}`),
        "",
      ].join("\n");
    }
  }
}
