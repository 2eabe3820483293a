import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";
import { validateCommand } from "../../lib/commands/validate";
import { FIXTURE_SITE_FILE } from "../support/site";
import { writeInventory } from "../support/inventory";

describe("the commands' bundle (scripts/build.js)", () => {
  beforeAll(() => {
    const built = spawnSync(process.execPath, ["scripts/build.js"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    if (built.status !== 0) throw new Error(`scripts/build.js failed:\n${built.stderr}`);
  }, 90_000);

  test("carries the schemas' validators compiled ahead of time", () => {
    const bundle = require("node:fs").readFileSync(join(REPO_ROOT, "dist/bin/validate.js"), "utf8") as string;
    expect(bundle).toContain("https://github.com/netboot/netboot/matchbox-config/machines.schema.json");
  });

  test("the precompiled validators report what ajv compiling at run time reports, message for message", () => {
    // Schema problems of several kinds (pattern with description, enum, type, unknown field, missing field).
    const file = writeInventory((m) => {
      m[0].name = "CP_01";
      m[1].role = "boss";
      m[2].installDisk = 7;
      m[3].ip = "10.0.20.9";
      delete m[4].mac;
    });
    const inProcess = validateCommand([file], { SITE_CONFIG: FIXTURE_SITE_FILE });
    const bundled = spawnSync(process.execPath, ["dist/bin/validate.js", file], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, SITE_CONFIG: FIXTURE_SITE_FILE },
      timeout: 30_000,
    });
    expect(inProcess.code).toBe(1);
    expect(inProcess.stderr.split("\n").filter(Boolean)).toHaveLength(5);
    expect(bundled.status).toBe(1);
    expect(bundled.stderr).toBe(`site: test/fixtures/site/site.yaml\n${inProcess.stderr}`);
  });
});
