import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { resolve } from "node:path";
import { completeSite, type NetbootSite } from "../../lib/site";
import { EXAMPLE_SITE_FILE, parseSite, REPO_ROOT, type SiteSettings } from "../../lib/settings";
import { YamlSource } from "../../lib/yaml-source";

/** The example site's raw YAML value, for tests that derive variants of it. */
export function exampleSiteValue(): Record<string, any> {
  return parse(readFileSync(EXAMPLE_SITE_FILE, "utf8"));
}

/** Parses a site variant built from the example by `edit`; throws DataFileError when invalid. */
export function siteFrom(edit: (site: Record<string, any>) => void = () => {}, file = "test-site.yaml"): SiteSettings {
  const value = exampleSiteValue();
  edit(value);
  return parseSite(YamlSource.parse(stringify(value), file));
}

/** A whole site (settings, peers, keys, scripts) from the example with `edit` applied to its settings. */
export function netbootSiteFrom(edit: (site: Record<string, any>) => void = () => {}): NetbootSite {
  return completeSite({ settings: siteFrom(edit), file: "test-site.yaml", resolvePath: (p) => resolve(REPO_ROOT, p) });
}

/** The tests' own data (settings, peers, inventory, gateway key, Talos configs), never the files a user edits. */
export const FIXTURES = resolve(REPO_ROOT, "test/fixtures");
export const FIXTURE_SITE_FILE = resolve(FIXTURES, "site/site.yaml");
const FIXTURE_SITE_SHOWN = "test/fixtures/site/site.yaml";

/** The tests' own fixture site's raw YAML value. */
export function fixtureSiteValue(): Record<string, any> {
  return parse(readFileSync(FIXTURE_SITE_FILE, "utf8"));
}

/** A whole site from the tests' own fixture (test/fixtures/site), with `edit` applied to its settings. */
export function fixtureSiteFrom(edit: (site: Record<string, any>) => void = () => {}): NetbootSite {
  const value = fixtureSiteValue();
  edit(value);
  const settings = parseSite(YamlSource.parse(stringify(value), FIXTURE_SITE_SHOWN));
  return completeSite({ settings, file: FIXTURE_SITE_SHOWN, resolvePath: (p) => resolve(REPO_ROOT, p) });
}
