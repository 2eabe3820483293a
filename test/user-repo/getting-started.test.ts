// docs/getting-started.md followed literally, offline, by a new user on a copy
// of this repository: every `npm …` command of the page (and of the README's
// quick start) runs in order, as bash runs it, with the user's data written
// where the page says to write it; each exits as the page says, and
// check-deployable refuses exactly what is still missing at that point (the
// Talos checksums, which come from the network, and the container images
// pinned by tag only), each with what to do. Every command of the page is
// either run here or listed below with why it cannot run offline, so a new
// command on the page must be classified to keep this test green.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseDocument } from "yaml";
import { DEPLOYED_IMAGES, imageDigestProblems } from "../../bin/check-deployable";
import { REPO_ROOT } from "../../lib/input/settings";
import { copyRepository } from "../support/repository-copy";

const TIMEOUT_MS = 300_000;
const PAGE = readFileSync(join(REPO_ROOT, "docs/getting-started.md"), "utf8");
const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

/** The numbered steps of the page: number → its text (up to the next step or section). */
function steps(markdown: string): Map<number, string> {
  const section = markdown.slice(markdown.indexOf("## The steps"), markdown.indexOf("\n## ", markdown.indexOf("## The steps") + 1));
  const out = new Map<number, string>();
  const re = /^(\d+)\. \*\*/gm;
  const starts = [...section.matchAll(re)].map((m) => ({ n: Number(m[1]), at: m.index! }));
  starts.forEach((s, i) => out.set(s.n, section.slice(s.at, starts[i + 1]?.at ?? section.length)));
  return out;
}

/** The fenced blocks of a step, with their language, indentation removed. */
function blocks(step: string, lang: string): string[] {
  return [...step.matchAll(new RegExp(`^( *)\`\`\`${lang}\\n([\\s\\S]*?)^\\1\`\`\``, "gm"))].map((m) =>
    m[2]
      .split("\n")
      .map((l) => l.slice(m[1].length))
      .join("\n")
      .trim(),
  );
}

/** The command lines of a step's sh blocks (continuations joined, comments and blank lines dropped). */
function commandLines(step: string): string[] {
  return blocks(step, "sh").flatMap((b) =>
    b
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#")),
  );
}

/** Commands of the page that cannot run offline here, by how they start, with why. */
const NEEDS_MORE: readonly [RegExp, string][] = [
  [/^npm ci\b/, "reinstalls node_modules (the copy links this repository's); .ci/run runs it on a clean clone"],
  [/^npm test\b/, "the whole test suite, this test included"],
  [/^gcloud /, "needs a GCP account and project"],
  [/^curl /, "needs the network (GitHub's release checksums; the deployed boot path)"],
  [/^scripts\/build-ipxe-efi\.sh /, "needs Debian's source packages (test/unit/scripts.test.ts checks its error without them)"],
  [/^gh release /, "needs GitHub"],
  [/^npx cdktf deploy /, "needs GCP credentials and the state bucket"],
];

function childEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0" };
  for (const key of ["SITE_CONFIG", "JEST_WORKER_ID", "REQUIRE_E2E", "CDKTF_OUTDIR", "NETBOOT_KEY_DIR", "XDG_CONFIG_HOME", "CI"]) delete env[key];
  return env;
}

describe("docs/getting-started.md, followed literally on a copy of the repository with a new user's data", () => {
  let copy = "";
  let home = "";
  const ran: { step: number; command: string; status: number | null }[] = [];
  const skipped: { step: number; command: string; why: string }[] = [];

  /** Runs one line of the page as bash runs it, in the copy, with the user's home. */
  function sh(command: string): SpawnSyncReturns<string> {
    return spawnSync("bash", ["-c", command], { cwd: copy, env: childEnv(home), encoding: "utf8", timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  }

  /** The user's own values, standing in for what a user types at each placeholder. */
  const USER = {
    project: "nbuser-home-424242",
    bucket: "nbuser-home-tfstate",
    home: "81.2.69.160/32",
    macs: ["02:4e:42:00:00:01", "02:4e:42:00:00:02"],
    endpoint: "81.2.69.161",
  };
  const substitute = (command: string) =>
    command
      .replace("<mac>", USER.macs[0])
      .replace(/"\$\(terraform -chdir=cdktf\.out\/stacks\/network output -raw wireguard_endpoint_ip\)"/, USER.endpoint);

  function runStep(n: number, expectStatus: (command: string) => number): SpawnSyncReturns<string>[] {
    const step = steps(PAGE).get(n);
    if (!step) throw new Error(`docs/getting-started.md has no step ${n}`);
    const results: SpawnSyncReturns<string>[] = [];
    for (const line of commandLines(step)) {
      // `npm ci && …`: npm ci is not run here (below); the rest is.
      let command = line;
      if (command.startsWith("npm ci && ")) {
        skipped.push({ step: n, command: "npm ci", why: NEEDS_MORE[0][1] });
        command = command.slice("npm ci && ".length);
      }
      const why = NEEDS_MORE.find(([re]) => re.test(command))?.[1];
      if (why) {
        skipped.push({ step: n, command, why });
        continue;
      }
      const result = sh(substitute(command));
      ran.push({ step: n, command, status: result.status });
      expect({ step: n, command, status: result.status, stderr: result.status === expectStatus(command) ? "" : result.stderr }).toEqual({
        step: n,
        command,
        status: expectStatus(command),
        stderr: "",
      });
      results.push(result);
    }
    return results;
  }

  beforeAll(() => {
    copy = copyRepository("netboot-getting-started-");
    home = mkdtempSync(join(tmpdir(), "netboot-user-home-"));
  }, TIMEOUT_MS);

  afterAll(() => {
    for (const dir of [copy, home]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the page has at most twelve numbered steps, and the README's quick start runs on the untouched copy", () => {
    expect(steps(PAGE).size).toBeGreaterThanOrEqual(8);
    expect(steps(PAGE).size).toBeLessThanOrEqual(12);
    const quick = blocks(README.slice(README.indexOf("## Quick start")), "sh")[0].split("\n")[0].replace(/\s+#.*$/, "");
    expect(quick).toBe("npm ci && npm run synth");
    const synth = sh(quick.replace(/^npm ci && /, ""));
    expect({ status: synth.status, stderr: synth.status === 0 ? "" : synth.stderr }).toEqual({ status: 0, stderr: "" });
  }, TIMEOUT_MS);

  test("every offline step succeeds in order, and check-deployable then refuses exactly what is still missing", () => {
    // Step 1: the quick start again (npm ci aside).
    runStep(1, () => 0);

    // Step 2: the page's cp, then the fields it names, the state and Matchbox blocks as the page shows them, and cdktf.json.
    runStep(2, () => 0);
    const siteFile = join(copy, "sites/home.yaml");
    expect(existsSync(siteFile)).toBe(true);
    const site = parseDocument(readFileSync(siteFile, "utf8"));
    const shown = parse(blocks(steps(PAGE).get(2)!, "yaml")[0]);
    site.set("example", false);
    site.setIn(["gcp", "project"], USER.project);
    site.set("homePublicCidrs", [USER.home]);
    site.setIn(["network", "controlPlaneAuthorizedCidrs"], [USER.home]);
    site.set("state", { ...shown.state, bucket: USER.bucket });
    site.set("matchbox", shown.matchbox);
    site.set("observability", { ...(parse(readFileSync(siteFile, "utf8")).observability ?? {}), notificationChannels: ["ops@nbuser.example"] });
    writeFileSync(siteFile, site.toString());
    const cdktf = JSON.parse(readFileSync(join(copy, "cdktf.json"), "utf8"));
    writeFileSync(join(copy, "cdktf.json"), `${JSON.stringify({ ...cdktf, context: { ...cdktf.context, site: "sites/home.yaml" } }, null, 2)}\n`);

    // Step 3 is gcloud only. Step 4: the keys, by the page's commands; the router's printed key into peers.yaml, the example laptop removed.
    runStep(3, () => 0);
    const keys = runStep(4, () => 0);
    expect(readFileSync(join(copy, "wireguard/gateway.pub"), "utf8")).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(existsSync(join(home, ".config/netboot/wireguard/gateway.key"))).toBe(true);
    // The public key is the last line npm shows (npm prints its own header lines first).
    const routerKey = keys[keys.length - 1].stdout.trim().split("\n").pop() ?? "";
    expect(routerKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const peers = parseDocument(readFileSync(join(copy, "wireguard/peers.yaml"), "utf8"));
    const peerList = parse(readFileSync(join(copy, "wireguard/peers.yaml"), "utf8")).peers as { name: string }[];
    const router = peerList.findIndex((p) => p.name === "home-router");
    expect(router).toBeGreaterThanOrEqual(0);
    peers.setIn(["peers", router, "publicKey"], routerKey);
    peerList.forEach((p, i) => p.name !== "home-router" && peers.deleteIn(["peers", i]));
    writeFileSync(join(copy, "wireguard/peers.yaml"), peers.toString());

    // Step 5: the user's machines instead of the example's; validate and boot-preview of the first.
    const inventory = parseDocument(readFileSync(join(copy, "matchbox-config/machines.yaml"), "utf8"));
    inventory.set("machines", [
      { name: "cp-01", mac: USER.macs[0], role: "controlplane", address: "10.0.20.10" },
      { name: "worker-01", mac: USER.macs[1], role: "worker" },
    ]);
    writeFileSync(join(copy, "matchbox-config/machines.yaml"), inventory.toString());
    const [validate, preview] = runStep(5, () => 0);
    expect(validate.stdout).toMatch(/^checked: sites\/home\.yaml \(settings\); wireguard\/peers\.yaml \(1 peer\(s\)\); wireguard\/gateway\.pub/m);
    expect(preview.stdout).toContain(USER.macs[0]);

    // Step 6 needs the network (curl): the checksums stay unset. Step 7: the build needs Debian's sources; the setting as the page shows it.
    runStep(6, () => 0);
    runStep(7, () => 0);
    const chain = parse(blocks(steps(PAGE).get(7)!, "yaml")[0]).ipxeChainEfi;
    const withChain = parseDocument(readFileSync(siteFile, "utf8"));
    withChain.set("ipxeChainEfi", { url: chain.url.replace("<owner>/<repo>", "nbuser/netboot"), sha256: "b".repeat(64) });
    writeFileSync(siteFile, withChain.toString());

    // Step 8: check-deployable refuses, and exactly what is still missing.
    const [check] = runStep(8, (c) => (c.startsWith("npm run check-deployable") ? 1 : 0));
    const problems = check.stderr.split("\n").filter((l) => l.startsWith("  - "));
    const images = imageDigestProblems(DEPLOYED_IMAGES);
    expect(problems.map((p) => p.replace(/:.*$/, "").replace(/^ {2}- /, ""))).toEqual([
      "sites/home.yaml",
      "sites/home.yaml",
      ...images.map((p) => p.replace(/:.*$/, "")),
    ]);
    expect(problems[0]).toMatch(/talos\.kernelSha256: is unset .*; set it to the SHA-256 of .*sha256sum\.txt/);
    expect(problems[1]).toMatch(/talos\.initramfsSha256: is unset .*; set it to the SHA-256 of/);
    for (const image of problems.slice(2)) expect(image).toMatch(/is pinned by tag only.*; run docker buildx imagetools inspect \S+ and append the digest/);
    expect(check.stderr).not.toMatch(/^warning:/m);

    // Steps 9–12: the deploy, the router's config (offline, with the endpoint a deploy prints), the boot-VLAN check, the boot.
    for (const n of [9, 10, 11, 12]) runStep(n, () => 0);
    expect(existsSync(join(home, ".config/netboot/wireguard/home-router.conf"))).toBe(true);

    // Every npm command of the page ran; everything else was classified.
    const pageCommands = [...steps(PAGE).values()].flatMap(commandLines);
    expect(ran.length + skipped.length).toBe(pageCommands.length + pageCommands.filter((c) => c.startsWith("npm ci && ")).length);
    const runOrSkipped = (c: string) => ran.some((r) => r.command === c.replace(/^npm ci && /, "")) || skipped.some((s) => s.command === c);
    expect(pageCommands.filter((c) => c.startsWith("npm ") && !runOrSkipped(c))).toEqual([]);
    expect(ran.map((r) => r.command).filter((c) => c.startsWith("npm run")).length).toBeGreaterThanOrEqual(7);
    process.stdout.write(`getting-started: ran ${ran.length} command(s); not run here (each with why):\n${skipped.map((s) => `  step ${s.step}: ${s.command.slice(0, 70)} — ${s.why}`).join("\n")}\n`);
  }, TIMEOUT_MS);
});
