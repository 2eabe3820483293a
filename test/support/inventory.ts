import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "../../lib/input/settings";

/** The tests' own inventory (test/fixtures/site), which a user's pull request never changes. */
export const FIXTURE_INVENTORY = join(REPO_ROOT, "test/fixtures/site/machines.yaml");

/** The fixture inventory's machines, for tests that derive variants of it. */
export function fixtureMachines(): Record<string, any>[] {
  return parse(readFileSync(FIXTURE_INVENTORY, "utf8")).machines;
}

/** Writes an inventory (the fixture's, edited) to a temp file and returns its path. */
export function writeInventory(edit: (machines: Record<string, any>[]) => Record<string, any>[] | void = () => {}): string {
  const machines = fixtureMachines();
  const result = edit(machines) ?? machines;
  const file = join(mkdtempSync(join(tmpdir(), "netboot-inventory-")), "machines.yaml");
  writeFileSync(file, stringify({ machines: result }));
  return file;
}
