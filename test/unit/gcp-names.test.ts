// Every GCP name built from namePrefix comes from the one table the site check
// reads (lib/input/gcp-names.ts), so no prefixed name escapes the length check.
import { PREFIXED_GCP_NAMES, prefixedName, type PrefixedGcpName } from "../../lib/input/gcp-names";
import { synthesizedStacks } from "../support/app-run";

type StackJson = Record<string, any>;

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
  const table = Object.keys(PREFIXED_GCP_NAMES) as PrefixedGcpName[];
  let prefixed: string[];
  beforeAll(async () => {
    const stacks = await synthesizedStacks((v) => (v.namePrefix = "lab7"));
    expect(Object.keys(stacks).sort()).toEqual(["boot-server", "gke", "matchbox-config", "network"]);
    prefixed = Object.values(stacks)
      .flatMap(googleResourceNames)
      .filter((n) => n.startsWith("lab7-"));
  }, 60_000);

  test("GIVEN namePrefix lab7 THEN every GCP name starting with it is one of the checked names", () => {
    const checked = new Set(table.map((k) => prefixedName("lab7", k)));
    expect(prefixed.filter((n) => !checked.has(n))).toEqual([]);
  });

  test("every checked name is really created (no stale entry in the table)", () => {
    expect(table.filter((k) => !prefixed.includes(prefixedName("lab7", k)))).toEqual([]);
  });
});
