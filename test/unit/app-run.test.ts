import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { fixtureSiteValue } from "../support/site";
import { runApp } from "../support/app-run";

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

// PEM private keys, and WireGuard private keys as a config line.
const PRIVATE_KEY_PATTERNS = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /PrivateKey\s*=\s*[A-Za-z0-9+/]{42,43}=/];

describe("the app (main.ts) on the example site", () => {
  const run = runApp();

  test("synthesizes every stack", () => {
    expect(run.status).toBe(0);
    expect(readdirSync(join(run.outdir, "stacks")).sort()).toEqual(["boot-server", "gke", "matchbox-config", "network"].sort());
  });

  test("no private-key material anywhere in the synthesized output", () => {
    const files = filesUnder(run.outdir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const pattern of PRIVATE_KEY_PATTERNS) expect({ file, leaked: pattern.test(text) }).toEqual({ file, leaked: false });
    }
  });

  test("the scan would catch a leak (the patterns match real key material)", () => {
    expect(PRIVATE_KEY_PATTERNS[0].test("-----BEGIN EC PRIVATE KEY-----")).toBe(true);
    expect(PRIVATE_KEY_PATTERNS[1].test("PrivateKey = EMZXSFu0d5S+KRtXH1m399yondzqY7081bK2wSkSYmM=")).toBe(true);
  });
});

describe("the app on invalid settings", () => {
  test("exits 1, names the file and field, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-bad-site-"));
    const site = fixtureSiteValue();
    site.homePublicCidrs = ["192.168.1.0/24"];
    const file = join(dir, "home.yaml");
    writeFileSync(file, stringify(site));
    const run = runApp({ SITE_CONFIG: file });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/home\.yaml:\d+: homePublicCidrs\[0\]: 192\.168\.1\.0\/24 is not a public range/);
    expect(existsSync(run.outdir)).toBe(false);
  });
});
