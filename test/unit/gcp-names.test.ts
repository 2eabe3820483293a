// Every GCP name built from namePrefix comes from the one table the site check
// reads (lib/input/gcp-names.ts), so no prefixed name escapes the length check.
import { PREFIXED_GCP_NAMES, prefixedName, type PrefixedGcpName } from "../../lib/input/gcp-names";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, synthJson, type StackJson } from "../support/synth";

const NAME_FIELDS = new Set(["name", "account_id", "range_name"]);

/** Values of name-like fields anywhere inside google_* resources. */
function googleResourceNames(json: StackJson): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== "object") return;
    for (const [k, v] of Object.entries(value)) {
      if (NAME_FIELDS.has(k) && typeof v === "string") found.push(v);
      else walk(v);
    }
  };
  for (const [type, byId] of Object.entries<Record<string, unknown>>(json.resource ?? {})) {
    if (type.startsWith("google_")) walk(byId);
  }
  return found;
}

describe("prefixed GCP names", () => {
  const site = fixtureSiteFrom((v) => (v.namePrefix = "lab7"));
  const stacks = buildStacks(site);
  const names = [stacks.network, stacks.gke, stacks.bootServer].flatMap((s) => googleResourceNames(synthJson(s)));
  const prefixed = names.filter((n) => n.startsWith("lab7-"));
  const table = Object.keys(PREFIXED_GCP_NAMES) as PrefixedGcpName[];

  test("GIVEN namePrefix lab7 THEN every GCP name starting with it is one of the checked names", () => {
    const checked = new Set(table.map((k) => prefixedName("lab7", k)));
    expect(prefixed.filter((n) => !checked.has(n))).toEqual([]);
  });

  test("every checked name is really created (no stale entry in the table)", () => {
    expect(table.filter((k) => !prefixed.includes(prefixedName("lab7", k)))).toEqual([]);
  });
});
