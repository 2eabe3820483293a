import { normalizeMac } from "../../input/mac";
import type { BootPlan } from "./boot-plan";

/** A profile's boot section as Matchbox stores it. */
export interface StoredProfile {
  readonly name: string;
  readonly kernel: string;
  readonly initrd: readonly string[];
  readonly args: readonly string[];
  readonly hasGenericConfig: boolean;
}

export interface StoredGroup {
  readonly name: string;
  readonly profile: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface MatchboxStore {
  readonly profiles: ReadonlyMap<string, StoredProfile>;
  readonly groups: readonly StoredGroup[];
}

/** Matchbox v0.11.0's `/boot.ipxe` (http/ipxe.go): chains to `/ipxe` with the machine's labels. */
export const BOOT_IPXE =
  "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n";

/**
 * What Matchbox will hold for a boot plan, by logical name (Matchbox's own
 * names add a content hash: constructs/matchbox-boot-config.ts), with selector
 * MACs as Matchbox normalizes them on read.
 */
export function matchboxStoreFromPlan(plan: BootPlan): MatchboxStore {
  const profiles = new Map<string, StoredProfile>(
    plan.profiles.map((p) => [p.name, { name: p.name, kernel: p.kernel, initrd: [...p.initrd], args: [...p.args], hasGenericConfig: p.machine !== undefined }]),
  );
  const groups = plan.groups.map((g): StoredGroup => {
    // The discovery catch-all has no selector at all (it matches every request).
    if (g.selector.mac === undefined) return { name: g.name, profile: g.profile, selector: {}, metadata: { ...g.metadata } };
    const parsed = normalizeMac(g.selector.mac);
    // Matchbox skips a group whose selector MAC does not parse; the inventory never writes one.
    if ("error" in parsed) throw new Error(`group ${g.name}: Matchbox would skip this group: ${parsed.error}`);
    return { name: g.name, profile: g.profile, selector: { mac: parsed.mac }, metadata: { ...g.metadata } };
  });
  return { profiles, groups };
}

/** Labels from an `/ipxe` query as Matchbox parses them: first value of each key; `mac` normalized or dropped. */
export function labelsFromQuery(query: URLSearchParams): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of new Set(query.keys())) {
    const value = query.get(key) ?? "";
    if (key === "mac") {
      const parsed = normalizeMac(value);
      if ("mac" in parsed) labels.mac = parsed.mac;
    } else labels[key] = value;
  }
  return labels;
}

const selectorKey = (g: StoredGroup) =>
  Object.entries(g.selector)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");

/**
 * Matchbox's group selection (server.go SelectGroup): groups with more
 * selector pairs first (ties by the sorted "k=v" string, reversed); the first
 * group whose every selector equals a label wins. Undefined means HTTP 404.
 */
export function selectGroup(groups: readonly StoredGroup[], labels: Readonly<Record<string, string>>): StoredGroup | undefined {
  const ordered = [...groups].sort((a, b) => {
    const bySize = Object.keys(b.selector).length - Object.keys(a.selector).length;
    if (bySize !== 0) return bySize;
    const ka = selectorKey(a);
    const kb = selectorKey(b);
    return ka < kb ? 1 : ka > kb ? -1 : 0;
  });
  return ordered.find((g) => Object.entries(g.selector).every(([k, v]) => labels[k] === v));
}

/** Matchbox's `/ipxe` template (http/ipxe.go) over a profile's boot section. */
export function renderIpxe(profile: StoredProfile): string {
  const kernelLine = ["kernel", profile.kernel, ...profile.args].join(" ");
  return `#!ipxe\n${kernelLine}\n${profile.initrd.map((i) => `initrd ${i}\n`).join("")}boot\n`;
}
