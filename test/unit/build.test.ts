import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";
import { validateCommand } from "../../lib/commands/validate";
import { FIXTURE_SITE_FILE } from "../support/site";
import { writeInventory } from "../support/inventory";

function withoutCi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CI: _ci, ...rest } = env;
  return rest;
}

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
      // The same environment as the in-process run: without CI, which makes the
      // path rule refuse an inventory argument outside the repository.
      env: { ...withoutCi(process.env), SITE_CONFIG: FIXTURE_SITE_FILE },
      timeout: 30_000,
    });
    expect(inProcess.code).toBe(1);
    expect(inProcess.stderr.split("\n").filter(Boolean)).toHaveLength(5);
    expect(bundled.status).toBe(1);
    expect(bundled.stderr).toBe(`site: test/fixtures/site/site.yaml\n${inProcess.stderr}`);
  });
});

describe("the bundle's up-to-date check", () => {
  const { build, buildIdentity, isUpToDate } = require("../../scripts/build.js") as {
    build(o?: { force?: boolean }): Promise<boolean>;
    buildIdentity(): string;
    isUpToDate(stamp: unknown): boolean;
  };
  const dir = mkdtempSync(join(tmpdir(), "netboot-build-stamp-"));
  const input = join(dir, "input.ts");
  const output = join(dir, "out.js");
  const fp = (file: string) => {
    const s = require("node:fs").statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  };
  const stampNow = () => ({ identity: buildIdentity(), inputs: { [input]: fp(input) }, outputs: [output], outputFingerprints: { [output]: fp(output) } });
  beforeEach(() => {
    writeFileSync(input, "export const a = 1;\n");
    writeFileSync(output, "exports.a = 1;\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("GIVEN nothing changed since the build THEN it is up to date", () => {
    expect(isUpToDate(stampNow())).toBe(true);
  });

  test("an input edited, even to the same size, means a new build", () => {
    const stamp = stampNow();
    writeFileSync(input, "export const a = 2;\n");
    utimesSync(input, new Date(), new Date(Date.now() + 5_000));
    expect(isUpToDate(stamp)).toBe(false);
  });

  test("an input deleted, an output changed or deleted, another build script or esbuild, or no stamp: a new build", () => {
    let stamp = stampNow();
    rmSync(input);
    expect(isUpToDate(stamp)).toBe(false);
    writeFileSync(input, "export const a = 1;\n");
    stamp = stampNow();
    writeFileSync(output, "tampered\n");
    expect(isUpToDate(stamp)).toBe(false);
    stamp = stampNow();
    rmSync(output);
    expect(isUpToDate(stamp)).toBe(false);
    writeFileSync(output, "exports.a = 1;\n");
    expect(isUpToDate({ ...stampNow(), identity: "another build" })).toBe(false);
    expect(isUpToDate(undefined)).toBe(false);
  });

  test("the repository's own stamp names every entry point's bundle and the sources they were built from", async () => {
    await build();
    expect(await build()).toBe(false); // nothing changed: nothing written
    const stamp = JSON.parse(readFileSync(join(REPO_ROOT, "dist/.build-stamp.json"), "utf8"));
    expect(stamp.outputs).toEqual(expect.arrayContaining(["dist/main.js", "dist/bin/validate.js"]));
    expect(Object.keys(stamp.inputs)).toEqual(expect.arrayContaining(["main.ts", "lib/input/settings.ts", "sites/site.schema.json", "lib/input/ajv-options.json"]));
    expect(isUpToDate(stamp)).toBe(true);
  });
});

describe("scripts/run.js (every npm command and cdktf.json's app)", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["scripts/run.js", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000 });

  test("runs the bundle as the main module, with the command's own arguments", () => {
    const r = run("wg-keygen");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: npm run wg:keygen -- <peer-name>/);
  });

  test("refuses an unknown entry, listing the known ones, exit 2", () => {
    const r = run("no-such-command");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("usage: node scripts/run.js <entry> [args...]; entries: main, boot-diff, boot-preview, boot-status, check-deployable, cluster-bootstrap, discovered, synth, validate, wg-keygen, wg-peer-config\n");
  });

  test("every npm script and cdktf.json's app that runs an entry names one that exists", () => {
    const scripts = Object.values(JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts as Record<string, string>);
    const app = JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")).app as string;
    const named = [...scripts, app].flatMap((c) => [...c.matchAll(/node scripts\/run\.js ([\w-]+)/g)].map((m) => m[1]));
    expect(named.length).toBeGreaterThanOrEqual(8);
    expect(app).toBe("node scripts/run.js main");
    const known = /entries: (.*)\n$/.exec(run().stderr)?.[1].split(", ");
    expect(known).toContain("main");
    expect(named.filter((entry) => !known!.includes(entry))).toEqual([]);
  });
});
