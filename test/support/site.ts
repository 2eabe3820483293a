import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { EXAMPLE_SITE_FILE, parseSite, type SiteSettings } from "../../lib/settings";
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
