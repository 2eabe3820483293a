import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { resolve } from "node:path";
import { completeSite, type NetbootSite } from "../../lib/input/site";
import { loadedSite, parseSite, REPO_ROOT, type SiteSettings } from "../../lib/input/settings";
import { YamlSource } from "../../lib/input/yaml-source";

/**
 * The tests' own data (settings, peers, inventory, gateway key, Talos configs),
 * never the files a user edits (sites/, matchbox-config/, wireguard/): a pull
 * request that adds a machine or a peer must not change what a test expects.
 */
export const FIXTURES = resolve(REPO_ROOT, "test/fixtures");
export const FIXTURE_SITE_FILE = resolve(FIXTURES, "site/site.yaml");
export const FIXTURE_SITE_SHOWN = "test/fixtures/site/site.yaml";

/** The fixture site's raw YAML value, for tests that derive variants of it. */
export function fixtureSiteValue(): Record<string, any> {
  return parse(readFileSync(FIXTURE_SITE_FILE, "utf8"));
}

/** Parses a settings variant built from the fixture site by `edit`; throws DataFileError when invalid. */
export function siteFrom(edit: (site: Record<string, any>) => void = () => {}, file = FIXTURE_SITE_SHOWN): SiteSettings {
  const value = fixtureSiteValue();
  edit(value);
  return parseSite(YamlSource.parse(stringify(value), file));
}

/** A whole site (settings, peers, inventory, gateway key, scripts) from the fixture, with `edit` applied to its settings. */
export function fixtureSiteFrom(edit: (site: Record<string, any>) => void = () => {}): NetbootSite {
  return completeSite(loadedSite(siteFrom(edit), FIXTURE_SITE_SHOWN));
}
