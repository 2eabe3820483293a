import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { checkDeployable, main } from "../../bin/check-deployable";
import { EXAMPLE_SITE_FILE, REPO_ROOT, loadSite, type LoadedSite } from "../../lib/settings";
import { exampleSiteValue, siteFrom } from "../support/site";

/** A site as a real user would deploy it: gcs state, not the example, Matchbox via port-forward. */
function productionEdit(site: Record<string, any>): void {
  site.example = false;
  site.gcp.project = "homelab-boot-123456";
  site.state = { backend: "gcs", bucket: "homelab-boot-tfstate", prefix: "netboot" };
  site.matchbox.rpcEndpoint = "127.0.0.1:8081";
}

function loaded(edit: (s: Record<string, any>) => void, file = "sites/home.yaml"): LoadedSite {
  return { settings: siteFrom(edit, file), file, resolvePath: (p) => resolve(REPO_ROOT, p) };
}

describe("check-deployable", () => {
  test("refuses the example site, naming the file and what to do", () => {
    const result = checkDeployable(loadSite(EXAMPLE_SITE_FILE));
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("refusing to deploy sites/example.yaml");
    expect(result.stderr).toContain("is the example site (example: true)");
    expect(result.stderr).toContain("state.backend: local");
  });

  test("accepts a non-example site with gcs state", () => {
    const result = checkDeployable(loaded(productionEdit));
    expect(result).toEqual({ ok: true, stderr: "", stdout: expect.stringContaining("gs://homelab-boot-tfstate/netboot") });
  });

  test("refuses local state even when the site is not the example", () => {
    const result = checkDeployable(
      loaded((s) => {
        productionEdit(s);
        s.state = { backend: "local" };
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("state.backend: local");
    expect(result.stderr).not.toContain("example site");
  });

  test("refuses a site whose Matchbox endpoint CI cannot reach", () => {
    const result = checkDeployable(
      loaded((s) => {
        productionEdit(s);
        delete s.matchbox.rpcEndpoint;
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("matchbox.rpcEndpoint is unset");
  });

  describe("main", () => {
    let dir: string;
    let err: jest.SpyInstance;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "netboot-deployable-"));
      jest.spyOn(process.stdout, "write").mockImplementation(() => true);
      err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    });
    afterEach(() => {
      jest.restoreAllMocks();
      rmSync(dir, { recursive: true, force: true });
    });

    test("--github-output appends the facts the workflows use", () => {
      const site = exampleSiteValue();
      productionEdit(site);
      const file = join(dir, "home.yaml");
      const out = join(dir, "github-output");
      writeFileSync(file, stringify(site));
      writeFileSync(out, "earlier=kept\n");
      expect(main([file, "--github-output"], { GITHUB_OUTPUT: out })).toBe(0);
      const lines = readFileSync(out, "utf8").split("\n");
      expect(lines).toEqual(
        expect.arrayContaining(["earlier=kept", "project=homelab-boot-123456", "cluster_name=netboot", "cluster_location=europe-west4-a", "state_bucket=homelab-boot-tfstate"]),
      );
    });

    test("exits 1 and writes no outputs for a refused site", () => {
      const out = join(dir, "github-output");
      writeFileSync(out, "");
      expect(main([EXAMPLE_SITE_FILE, "--github-output"], { GITHUB_OUTPUT: out })).toBe(1);
      expect(readFileSync(out, "utf8")).toBe("");
      expect(err.mock.calls.join("")).toContain("example site");
    });
  });

  test("the npm script's entry point exits 1 with the reason on stderr", () => {
    const tsx = join(REPO_ROOT, "node_modules/.bin/tsx");
    const run = spawnSync(tsx, ["bin/check-deployable.ts", "sites/example.yaml"], { cwd: REPO_ROOT, encoding: "utf8", timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("refusing to deploy sites/example.yaml");
    expect(run.stdout).toBe("");
  });
});
