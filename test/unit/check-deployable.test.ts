import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { checkDeployable as checkDeployableWith, DEPLOYED_IMAGES, imageDigestProblems, main as mainWith } from "../../bin/check-deployable";
import {
  DOCS_PLACEHOLDERS,
  DOCUMENTATION_RANGES,
  EXAMPLE_GATEWAY_PUBLIC_KEY,
  EXAMPLE_HOME_CIDR,
  EXAMPLE_MACS,
  EXAMPLE_PEER_PUBLIC_KEYS,
  EXAMPLE_PROJECT,
} from "../../lib/commands/example-site";
import { fixtureSiteFrom as fixtureNetbootSite } from "../support/site";
import { buildStacks, resources, synthJson } from "../support/synth";
import { normalizeMac } from "../../lib/input/mac";
import { parseSite, REPO_ROOT, type LoadedSite } from "../../lib/input/settings";
import { checkWireguardKey } from "../../lib/input/wireguard/keys";
import { YamlSource } from "../../lib/input/yaml-source";
import { fixtureSiteValue } from "../support/site";
import { runCommand } from "../support/commands";

// Every site here is built from the tests' own fixtures (test/fixtures/site),
// never from sites/example.yaml, wireguard/ or matchbox-config/: users edit
// those in place, and their edits must not change what these tests expect.
// Where a test needs one of the example's values, it takes it from
// lib/commands/example-site.ts and writes it into a temporary copy of the fixtures.

const FIXTURE_DIR = resolve(REPO_ROOT, "test/fixtures/site");

/**
 * The images pinned by digest only: every test but the image tests checks a
 * site, not the code's images (WIREGUARD_IMAGE is pinned by tag until its
 * digest is confirmed; the image tests below show that refusal).
 */
const PINNED_IMAGES = DEPLOYED_IMAGES.filter((image) => image.ref.includes("@sha256:"));
const checkDeployable = (loaded: LoadedSite) => checkDeployableWith(loaded, PINNED_IMAGES);
const main = (argv: readonly string[], env: NodeJS.ProcessEnv) => mainWith(argv, env, PINNED_IMAGES);
/** A public address of no documentation range, standing in for a user's home router in these tests. */
const HOME_CIDR = "81.2.69.160/32";
/** How the site file is shown in messages: a user's site. */
const SHOWN = "sites/home.yaml";
/** The data files as a user's site names them; in these tests they live in a temporary directory. */
const PEERS = "wireguard/peers.yaml";
const GATEWAY_PUB = "wireguard/gateway.pub";
const INVENTORY = "matchbox-config/machines.yaml";

/** The fixture site as a real user would deploy it: not the example, gcs state, Matchbox via port-forward, checksums set. */
function deployableValue(): Record<string, any> {
  const site = fixtureSiteValue();
  site.example = false;
  site.gcp.project = "nbfix-home-424242";
  site.state = { backend: "gcs", bucket: "nbfix-home-tfstate", prefix: "netboot" };
  site.matchbox.rpcEndpoint = "127.0.0.1:8081";
  // The fixture's public addresses are from documentation ranges, as the example's are; a deployed site has its own.
  site.homePublicCidrs = [HOME_CIDR];
  site.network.controlPlaneAuthorizedCidrs = [HOME_CIDR];
  // The UEFI chain binary, so that no warning is printed (the warning has its own test).
  site.ipxeChainEfi = { url: "https://example.test/netboot-chain.efi", sha256: "a".repeat(64) };
  expect(site.talos.kernelSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(site.talos.initramfsSha256).toMatch(/^[0-9a-f]{64}$/);
  return site;
}

interface DataEdits {
  /** Edits the fixture peers (`peers` array) before it is written. */
  readonly peers?: (peers: Record<string, any>[]) => void;
  /** Edits the fixture inventory (`machines` array) before it is written. */
  readonly machines?: (machines: Record<string, any>[]) => void;
  /** Content of the gateway public key file instead of the fixture's. */
  readonly gatewayPublicKey?: string;
}

function fixtureYaml(name: string): Record<string, any> {
  return parse(readFileSync(join(FIXTURE_DIR, name), "utf8"));
}

function write(dir: string, file: string, text: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}

/**
 * A deployable site whose data files are copies of the fixtures in `dir`,
 * named as in a user's repository, with `edit` applied to the settings and
 * `data` to the files.
 */
function siteIn(dir: string, edit: (site: Record<string, any>) => void = () => {}, data: DataEdits = {}): LoadedSite {
  const peers = fixtureYaml("peers.yaml");
  data.peers?.(peers.peers);
  const inventory = fixtureYaml("machines.yaml");
  data.machines?.(inventory.machines);
  write(dir, PEERS, stringify(peers));
  write(dir, INVENTORY, stringify(inventory));
  write(dir, GATEWAY_PUB, data.gatewayPublicKey ?? readFileSync(join(FIXTURE_DIR, "gateway.pub"), "utf8"));

  const value = deployableValue();
  value.wireguard.peersFile = PEERS;
  value.wireguard.gatewayPublicKeyFile = GATEWAY_PUB;
  value.matchbox.inventoryFile = INVENTORY;
  edit(value);
  const settings = parseSite(YamlSource.parse(stringify(value), SHOWN));
  return { settings, file: SHOWN, resolvePath: (p) => resolve(dir, p) };
}

/** The `  - ` problem lines of a refusal (the lines the pull-request workflow quotes). */
function problemLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("  - "));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "netboot-deployable-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("the example's recorded values (lib/commands/example-site.ts)", () => {
  test("are well-formed: WireGuard keys, canonical MACs, a valid project id", () => {
    expect(checkWireguardKey(EXAMPLE_GATEWAY_PUBLIC_KEY)).toBeUndefined();
    for (const key of Object.values(EXAMPLE_PEER_PUBLIC_KEYS)) expect(checkWireguardKey(key)).toBeUndefined();
    // Machines are compared after normalization, so the constants must already be canonical.
    for (const mac of Object.values(EXAMPLE_MACS)) expect(normalizeMac(mac)).toEqual({ mac });
    expect(EXAMPLE_PROJECT).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
  });
});

describe("check-deployable", () => {
  test("accepts a deployable site: not the example, gcs state, rpcEndpoint 127.0.0.1:8081, checksums set, own keys and MACs", () => {
    const result = checkDeployable(siteIn(dir));
    expect(result).toEqual({ ok: true, stderr: "", stdout: "deployable: sites/home.yaml (project nbfix-home-424242, state gs://nbfix-home-tfstate/netboot)\n" });
  });

  test("refuses a site marked example: true, naming the file, the field and what to do", () => {
    const result = checkDeployable(siteIn(dir, (s) => (s.example = true)));
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("error: refusing to deploy sites/home.yaml (1 problem):");
    expect(problemLines(result.stderr)).toEqual([expect.stringMatching(/^ {2}- sites\/home\.yaml: example: true marks the built-in example site; copy it to sites\/<name>\.yaml.*set example: false/)]);
  });

  test("refuses the example's project id", () => {
    const result = checkDeployable(siteIn(dir, (s) => (s.gcp.project = EXAMPLE_PROJECT)));
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([
      expect.stringContaining(`sites/home.yaml: gcp.project: ${EXAMPLE_PROJECT} is the example's placeholder project id; set gcp.project to the id of your GCP project`),
    ]);
  });

  test("refuses an empty network.controlPlaneAuthorizedCidrs for a cluster it creates (the IP endpoint would admit every address)", () => {
    const result = checkDeployable(siteIn(dir, (s) => (s.network.controlPlaneAuthorizedCidrs = [])));
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([
      expect.stringContaining("sites/home.yaml: network.controlPlaneAuthorizedCidrs: is empty, which leaves the control plane's IP endpoint open to every address"),
    ]);
    // An existing cluster's endpoints are not this repository's to set.
    expect(checkDeployable(siteIn(dir, (s) => Object.assign(s, { network: { ...s.network, controlPlaneAuthorizedCidrs: [] }, gke: { ...s.gke, mode: "existing", location: "europe-west1-b" } }))).stderr).not.toContain("controlPlaneAuthorizedCidrs");
  });

  test("refuses local state", () => {
    const result = checkDeployable(siteIn(dir, (s) => (s.state = { backend: "local" })));
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([expect.stringContaining("sites/home.yaml: state.backend: local keeps Terraform state on local disk")]);
    expect(result.stderr).toContain("set state.backend: gcs and state.bucket");
  });

  test.each([
    ["unset", undefined, "is unset"],
    ["another endpoint", "matchbox.example.test:8081", 'is "matchbox.example.test:8081"'],
  ])("refuses a Matchbox endpoint CI cannot reach (%s)", (_, endpoint, shown) => {
    const result = checkDeployable(
      siteIn(dir, (s) => {
        if (endpoint === undefined) delete s.matchbox.rpcEndpoint;
        else s.matchbox.rpcEndpoint = endpoint;
      }),
    );
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([expect.stringContaining(`sites/home.yaml: matchbox.rpcEndpoint: ${shown}; CI reaches Matchbox's gRPC API through kubectl port-forward, so set matchbox.rpcEndpoint: 127.0.0.1:8081`)]);
  });

  test.each([
    ["kernelSha256", "vmlinuz-amd64"],
    ["initramfsSha256", "initramfs-amd64.xz"],
  ])("refuses an unset talos.%s, saying where the checksum comes from", (field, asset) => {
    const result = checkDeployable(siteIn(dir, (s) => (s.talos[field] = null)));
    expect(result.ok).toBe(false);
    const lines = problemLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`sites/home.yaml: talos.${field}: is unset (null), so Matchbox's asset fetcher refuses to start; set it to the SHA-256 of ${asset}`);
    expect(lines[0]).toContain("https://github.com/siderolabs/talos/releases/download/v1.13.9/sha256sum.txt");
    expect(lines[0]).toContain('docs/machines.md, "Talos assets"');
  });

  test("refuses the example's gateway public key, naming the key file and the setting", () => {
    const result = checkDeployable(siteIn(dir, undefined, { gatewayPublicKey: `${EXAMPLE_GATEWAY_PUBLIC_KEY}\n` }));
    expect(result.ok).toBe(false);
    const lines = problemLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("wireguard/gateway.pub (wireguard.gatewayPublicKeyFile of sites/home.yaml): holds the example's gateway public key");
    expect(lines[0]).toContain("npm run -s wg:keygen -- gateway > wireguard/gateway.pub (the private key goes to ~/.config/netboot/wireguard/gateway.key)");
    expect(lines[0]).toContain("Secret Manager secret nbfix-wireguard-gateway-key");
  });

  test.each(Object.entries(EXAMPLE_PEER_PUBLIC_KEYS))("refuses a peer with the example's key of peer %s, naming the peers file, the peer and publicKey", (example, key) => {
    const result = checkDeployable(siteIn(dir, undefined, { peers: (peers) => (peers[1].publicKey = key) }));
    expect(result.ok).toBe(false);
    const lines = problemLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`wireguard/peers.yaml: peer "fixture-admin": peers[1].publicKey: is the public key of the example's peer "${example}"`);
    expect(lines[0]).toContain("npm run wg:keygen -- fixture-admin");
  });

  test.each(Object.entries(EXAMPLE_MACS))("refuses a machine with the example's MAC of %s in any spelling, naming the inventory, the machine and mac", (example, mac) => {
    const pasted = mac.toUpperCase().replace(/:/g, "-");
    const result = checkDeployable(siteIn(dir, undefined, { machines: (machines) => (machines[2].mac = pasted) }));
    expect(result.ok).toBe(false);
    const lines = problemLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`matchbox-config/machines.yaml: machine "fixture-worker-1": machines[2].mac: ${mac} is the MAC of the example's machine "${example}"`);
    expect(lines[0]).toContain("replace it with the MAC of the server's boot NIC");
  });

  test("reports every problem at once", () => {
    const result = checkDeployable(
      siteIn(
        dir,
        (s) => {
          s.example = true;
          s.gcp.project = EXAMPLE_PROJECT;
          s.state = { backend: "local" };
          delete s.matchbox.rpcEndpoint;
          s.talos.kernelSha256 = null;
          s.talos.initramfsSha256 = null;
        },
        {
          gatewayPublicKey: EXAMPLE_GATEWAY_PUBLIC_KEY,
          peers: (peers) => (peers[0].publicKey = EXAMPLE_PEER_PUBLIC_KEYS["home-router"]),
          machines: (machines) => {
            machines[0].mac = EXAMPLE_MACS["cp-01"];
            machines[5].mac = EXAMPLE_MACS["worker-02"];
          },
        },
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain("error: refusing to deploy sites/home.yaml (10 problems):");
    expect(problemLines(result.stderr)).toEqual([
      expect.stringContaining("sites/home.yaml: example: true"),
      expect.stringContaining("sites/home.yaml: gcp.project:"),
      expect.stringContaining("sites/home.yaml: state.backend: local"),
      expect.stringContaining("sites/home.yaml: matchbox.rpcEndpoint: is unset"),
      expect.stringContaining("sites/home.yaml: talos.kernelSha256: is unset"),
      expect.stringContaining("sites/home.yaml: talos.initramfsSha256: is unset"),
      expect.stringContaining("wireguard/gateway.pub (wireguard.gatewayPublicKeyFile of sites/home.yaml)"),
      expect.stringContaining('wireguard/peers.yaml: peer "fixture-router": peers[0].publicKey:'),
      expect.stringContaining('matchbox-config/machines.yaml: machine "fixture-cp-1": machines[0].mac:'),
      expect.stringContaining('matchbox-config/machines.yaml: machine "fixture-disk": machines[5].mac:'),
    ]);
  });

  test("an invalid data file is one more problem, listed with the others", () => {
    const result = checkDeployable(siteIn(dir, (s) => (s.state = { backend: "local" }), { peers: (peers) => (peers[0].publicKey = "not-a-key") }));
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([
      expect.stringContaining("sites/home.yaml: state.backend: local"),
      expect.stringMatching(/^ {2}- wireguard\/peers\.yaml:\d+: .*peers\[0\]\.publicKey: "not-a-key" is not a WireGuard key/),
    ]);
  });

  test.each([
    ["gcp.project", (s: Record<string, any>) => (s.gcp.project = DOCS_PLACEHOLDERS.project), `gcp.project: ${DOCS_PLACEHOLDERS.project} is the stand-in project id of the documentation's commands`],
    ["state.bucket", (s: Record<string, any>) => (s.state.bucket = DOCS_PLACEHOLDERS.bucket), `state.bucket: ${DOCS_PLACEHOLDERS.bucket} is the stand-in bucket of the documentation's commands`],
  ])("refuses the documentation's stand-in for %s, saying what to set", (_field, edit, message) => {
    const result = checkDeployable(siteIn(dir, edit));
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([expect.stringContaining(`sites/home.yaml: ${message}`)]);
  });

  test("refuses the example's home address (a documentation range) in homePublicCidrs and controlPlaneAuthorizedCidrs, and a documentation-range wireguard.endpoint", () => {
    const result = checkDeployable(
      siteIn(dir, (s) => {
        s.homePublicCidrs = [HOME_CIDR, EXAMPLE_HOME_CIDR];
        s.network.controlPlaneAuthorizedCidrs = [EXAMPLE_HOME_CIDR];
        s.wireguard.endpoint = "198.51.100.7";
      }),
    );
    expect(result.ok).toBe(false);
    expect(problemLines(result.stderr)).toEqual([
      expect.stringContaining(`sites/home.yaml: homePublicCidrs[1]: ${EXAMPLE_HOME_CIDR} is in 203.0.113.0/24, a documentation range (RFC 5737), like the example's home address`),
      expect.stringContaining(`sites/home.yaml: network.controlPlaneAuthorizedCidrs[0]: ${EXAMPLE_HOME_CIDR} is in 203.0.113.0/24, a documentation range`),
      expect.stringContaining("sites/home.yaml: wireguard.endpoint: 198.51.100.7 is in a documentation range (RFC 5737)"),
    ]);
  });

  test("the example site's public addresses are the recorded ones, all in documentation ranges (so the refusal above covers the shipped file)", () => {
    const example = parse(readFileSync(join(REPO_ROOT, "sites/example.yaml"), "utf8"));
    expect(example.gcp.project).toBe(EXAMPLE_PROJECT);
    expect(example.homePublicCidrs).toEqual([EXAMPLE_HOME_CIDR]);
    expect(example.network.controlPlaneAuthorizedCidrs).toEqual([EXAMPLE_HOME_CIDR]);
    expect(DOCUMENTATION_RANGES).toEqual(["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]);
  });

  test("warns (and still accepts) a site whose alert policies notify nobody, saying what to list", () => {
    const result = checkDeployable(siteIn(dir, (s) => delete s.observability));
    expect(result.ok).toBe(true);
    expect(result.stderr.split("\n").filter(Boolean)).toEqual([
      "warning: sites/home.yaml: observability.notificationChannels: is empty, so the alert policies (Matchbox gRPC TLS failures) notify nobody and their incidents show in the Cloud Console only; " +
        "list an email address (a channel is created for it) or the id of an existing channel, projects/nbfix-home-424242/notificationChannels/<id> (gcloud beta monitoring channels list --format='value(name)')",
    ]);
    expect(checkDeployable(siteIn(dir, (s) => (s.observability = { alertOnUnknownMac: true, notificationChannels: [] }))).stderr).toContain("(Matchbox gRPC TLS failures, unknown MACs) notify nobody");
    // One address is enough.
    expect(checkDeployable(siteIn(dir, (s) => (s.observability = { notificationChannels: ["ops@lab.example.test"] })))).toMatchObject({ ok: true, stderr: "" });
  });

  test("warns (and still accepts) a site without ipxeChainEfi whose machines boot over the network, saying how to build it", () => {
    const result = checkDeployable(siteIn(dir, (s) => delete s.ipxeChainEfi));
    expect(result.ok).toBe(true);
    expect(result.stderr.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^warning: sites\/home\.yaml: ipxeChainEfi: is unset, .*cannot boot, while iPXE clients can \(5 machine\(s\) boot over the network\); build it with scripts\/build-ipxe-efi\.sh --chain-url http:\/\/10\.99\.0\.1:8080\/boot\.ipxe --out <dir>/),
    ]);
    // Nothing to warn about when every machine boots from disk.
    const allOnDisk = checkDeployable(siteIn(dir, (s) => delete s.ipxeChainEfi, { machines: (m) => m.forEach((x) => (x.boot = "disk")) }));
    expect(allOnDisk).toMatchObject({ ok: true, stderr: "" });
  });

  test("DEPLOYED_IMAGES is every image the stacks deploy", () => {
    const json = synthJson(buildStacks(fixtureNetbootSite()).bootServer);
    const synthesized = [...Object.values(resources(json, "kubernetes_daemon_set_v1")), ...Object.values(resources(json, "kubernetes_deployment_v1"))].flatMap((w: any) =>
      [...(w.spec.template.spec.init_container ?? []), ...w.spec.template.spec.container].map((c: any) => c.image as string),
    );
    expect([...new Set(synthesized)].sort()).toEqual(DEPLOYED_IMAGES.map((i) => i.ref).sort());
  });

  test("refuses an image pinned by tag only, naming its constant and the exact command that prints the digest", () => {
    const tagOnly = DEPLOYED_IMAGES.filter((i) => !i.ref.includes("@sha256:"));
    expect(imageDigestProblems(tagOnly.length > 0 ? tagOnly : [{ owner: "X (x.ts)", ref: "quay.io/x/y:1.0" }])).toEqual(
      (tagOnly.length > 0 ? tagOnly : [{ owner: "X (x.ts)", ref: "quay.io/x/y:1.0" }]).map(
        (i) => expect.stringMatching(new RegExp(`^${i.owner.replace(/[()./]/g, "\\$&")}: .* is pinned by tag only, .*run docker buildx imagetools inspect ${i.ref.replace(/[.]/g, "\\.")} and append the digest of its Digest: line`)),
      ),
    );
    expect(imageDigestProblems(PINNED_IMAGES)).toEqual([]);
    // With the real images, a tag-only one refuses the whole site, listed with the site's own problems.
    const real = checkDeployableWith(siteIn(dir), DEPLOYED_IMAGES);
    expect(real.ok).toBe(tagOnly.length === 0);
  });

  describe("main", () => {
    let err: jest.SpyInstance;
    beforeEach(() => {
      jest.spyOn(process.stdout, "write").mockImplementation(() => true);
      err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    });
    afterEach(() => jest.restoreAllMocks());

    /** A site file in the temporary directory; its data files are the tests' own fixtures. */
    function siteFile(edit: (s: Record<string, any>) => void = () => {}): string {
      const site = deployableValue();
      edit(site);
      const file = join(dir, "home.yaml");
      writeFileSync(file, stringify(site));
      return file;
    }

    test("--github-output appends the facts the workflows use", () => {
      const file = siteFile();
      const out = join(dir, "github-output");
      writeFileSync(out, "earlier=kept\n");
      expect(main([file, "--github-output"], { GITHUB_OUTPUT: out })).toBe(0);
      const lines = readFileSync(out, "utf8").split("\n");
      expect(lines).toEqual(
        expect.arrayContaining([
          "earlier=kept",
          "project=nbfix-home-424242",
          "region=europe-west1",
          "cluster_name=nbfix-cluster",
          "cluster_location=europe-west1-b",
          "state_bucket=nbfix-home-tfstate",
          "inventory_file=test/fixtures/site/machines.yaml",
          "discovery=false",
          "matchbox_namespace=netboot-matchbox",
          "plan_stacks=network gke boot-server",
        ]),
      );
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toBe(`site: ${file}\n`);
    });

    test("exits 1 and writes no outputs for a refused site", () => {
      const file = siteFile((s) => (s.state = { backend: "local" }));
      const out = join(dir, "github-output");
      writeFileSync(out, "");
      expect(main([file, "--github-output"], { GITHUB_OUTPUT: out })).toBe(1);
      expect(readFileSync(out, "utf8")).toBe("");
      const stderr = err.mock.calls.map((c) => String(c[0])).join("");
      expect(stderr.startsWith(`site: ${file}\n`)).toBe(true);
      expect(stderr).toContain("state.backend: local");
    });
  });

  test("the npm script's entry point prints the site once, exits 1 and names the field on stderr", () => {
    const file = join(dir, "home.yaml");
    const site = deployableValue();
    site.talos.kernelSha256 = null;
    writeFileSync(file, stringify(site));
    const run = runCommand("check-deployable", [file]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.match(/^site: /gm)).toEqual(["site: "]);
    expect(run.stderr.startsWith(`site: ${file}\n`)).toBe(true);
    // The real command checks the real images too: each one pinned by tag only is one more problem.
    const images = imageDigestProblems(DEPLOYED_IMAGES).length;
    expect(run.stderr).toContain(`error: refusing to deploy ${file} (${1 + images} problem${images === 0 ? "" : "s"}):`);
    expect(run.stderr).toContain("talos.kernelSha256: is unset (null)");
    for (const image of DEPLOYED_IMAGES.filter((i) => !i.ref.includes("@sha256:"))) expect(run.stderr).toContain(`${image.owner}: ${image.ref} is pinned by tag only`);
  }, 60_000);
});
