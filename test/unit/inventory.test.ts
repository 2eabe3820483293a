import { parseInventory, RESERVED_MACHINE_NAMES } from "../../lib/input/inventory";
import { PROFILE_NAMES, talosProfileName } from "../../lib/model/matchbox/boot-plan";
import { normalizeMac } from "../../lib/input/mac";
import { validateCommand } from "../../lib/commands/validate";
import { DataFileError, YamlSource } from "../../lib/input/yaml-source";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { REPO_ROOT } from "../../lib/input/settings";
import { FIXTURE_INVENTORY, writeInventory } from "../support/inventory";
import { FIXTURE_SITE_FILE, fixtureSiteValue, siteFrom } from "../support/site";
import { runCommand } from "../support/commands";

/** The validate command in-process (the same function bin/validate.ts runs). */
function validate(file: string) {
  const result = validateCommand([file], { SITE_CONFIG: FIXTURE_SITE_FILE });
  return { status: result.code, stdout: result.stdout, stderr: result.stderr };
}

/** The real command, as `npm run validate` starts it. */
function validateProcess(file: string, site = FIXTURE_SITE_FILE) {
  return runCommand("validate", [file], { env: { SITE_CONFIG: site } });
}

describe("MAC addresses", () => {
  test.each([
    ["aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:01"],
    ["AA:BB:CC:DD:EE:01", "aa:bb:cc:dd:ee:01"],
    ["aa-bb-cc-dd-ee-01", "aa:bb:cc:dd:ee:01"],
    ["AA-BB-CC-DD-EE-01", "aa:bb:cc:dd:ee:01"],
    ["aabb.ccdd.ee01", "aa:bb:cc:dd:ee:01"],
  ])("%s is written as %s", (input, canonical) => {
    expect(normalizeMac(input)).toEqual({ mac: canonical });
  });

  test.each([
    ["aa:bb:cc:dd:ee", /has 10 hex digits, not 12/],
    ["aa:bb:cc:dd:ee:01:02", /has 14 hex digits, not 12/],
    ["gg:bb:cc:dd:ee:01", /contains characters that are not hex digits/],
    ["aa:bb-cc:dd:ee:01", /is not a MAC address/],
    ["01:00:5e:00:00:01", /is a multicast address/],
    ["00:00:00:00:00:00", /all-zero address/],
    ["ff:ff:ff:ff:ff:ff", /broadcast address/],
    ["aabbccddee01", /has no separators; write it as aa:bb:cc:dd:ee:01/],
  ])("%s is refused", (input, message) => {
    const result = normalizeMac(input);
    expect("error" in result && result.error).toMatch(message);
  });
});

describe("npm run validate", () => {
  test("a valid inventory is reported with its counts (the real command, as a process, on the tests' own site)", () => {
    const run = validateProcess("test/fixtures/site/machines.yaml", FIXTURE_SITE_FILE);
    // Which site the result is for, once, on stderr (stdout stays the result).
    expect(run.stderr).toBe("site: test/fixtures/site/site.yaml\n");
    expect(run.status).toBe(0);
    // Every file synth checks, by name, then the inventory's counts: six machines; the one with boot: disk has no group.
    expect(run.stdout).toBe(
      "checked: test/fixtures/site/site.yaml (settings); test/fixtures/site/peers.yaml (2 peer(s)); test/fixtures/site/gateway.pub (the gateway's public key); " +
        "test/fixtures/site/machines.yaml (inventory); Talos patch file(s) test/fixtures/site/patches/all-machines.yaml, test/fixtures/site/patches/worker-1.yaml\n" +
        "test/fixtures/site/machines.yaml: 6 machine(s) valid, 5 with a Matchbox group\n",
    );
  });

  describe("checks what synth checks, not only the inventory", () => {
    let dir: string;
    beforeEach(() => {
      // Inside the repository, as data files must be (ignored by git: test/.tmp-*).
      dir = mkdtempSync(join(REPO_ROOT, "test", ".tmp-validate-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** A variant of the fixture site in `dir`, with its own peers file and gateway key file written there. */
    function siteWith(files: { peers?: string; gatewayPub?: string; patch?: string }): string {
      const site = fixtureSiteValue();
      const rel = relative(REPO_ROOT, dir);
      if (files.peers !== undefined) {
        writeFileSync(join(dir, "peers.yaml"), files.peers);
        site.wireguard.peersFile = `${rel}/peers.yaml`;
      }
      if (files.gatewayPub !== undefined) {
        writeFileSync(join(dir, "gateway.pub"), files.gatewayPub);
        site.wireguard.gatewayPublicKeyFile = `${rel}/gateway.pub`;
      }
      if (files.patch !== undefined) site.talos.patches = [files.patch];
      const file = join(dir, "site.yaml");
      writeFileSync(file, stringify(site));
      return file;
    }

    test.each([
      ["the peers file", { peers: "peers:\n  - name: home-router\n    publicKey: not-a-key\n    tunnelAddress: 10.99.0.2\n" }, /peers\.yaml:\d+: .*publicKey: "not-a-key" is not a WireGuard key/],
      ["the gateway's public key", { gatewayPub: "not a key\n" }, /gateway\.pub: .*the gateway's public key: it is not a WireGuard key file/],
      ["a Talos patch file", { patch: "test/fixtures/site/patches/no-such-patch.yaml" }, /no-such-patch\.yaml/],
    ])("a problem in %s fails validate (exit 1), as it fails synth", (_what, files, message) => {
      const run = validateProcess(FIXTURE_INVENTORY, siteWith(files));
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe("");
    });
  });

  const cases: [string, (m: Record<string, any>[]) => Record<string, any>[] | void, RegExp][] = [
    ["a MAC of the wrong length", (m) => void (m[0].mac = "aa:bb:cc:dd:ee"), /machine "fixture-cp-1": machines\[0\]\.mac: "aa:bb:cc:dd:ee" is not a MAC address: it has 10 hex digits/],
    ["a non-hex MAC", (m) => void (m[0].mac = "zz:bb:cc:dd:ee:01"), /machines\[0\]\.mac: "zz:bb:cc:dd:ee:01" is not a MAC address: it contains characters that are not hex digits/],
    ["a multicast MAC", (m) => void (m[0].mac = "01:bb:cc:dd:ee:01"), /machines\[0\]\.mac: "01:bb:cc:dd:ee:01" is a multicast address/],
    ["the all-zero MAC", (m) => void (m[0].mac = "00-00-00-00-00-00"), /all-zero address/],
    ["the broadcast MAC", (m) => void (m[0].mac = "FF:FF:FF:FF:FF:FF"), /broadcast address/],
    ["a duplicate MAC after normalization", (m) => void (m[1].mac = "02-6E-62-00-00-01"), /machine "fixture-cp-2": machines\[1\]\.mac: duplicate MAC 02-6E-62-00-00-01 \(= 02:6e:62:00:00:01\) \(also machines\[0\] "fixture-cp-1"\)/],
    ["a duplicate name", (m) => void (m[1].name = "fixture-cp-1"), /machines\[1\]\.name: duplicate name "fixture-cp-1" \(also machines\[0\] "fixture-cp-1"\)/],
    [
      "an installing machine named maintenance",
      (m) => void (m[0].name = "maintenance"),
      /machine "maintenance": machines\[0\]\.name: "maintenance" cannot install Talos under this name: an installing machine's Matchbox profile is talos-<name>, and talos-maintenance is the shared profile of every machine in maintenance; rename the machine/,
    ],
    ["a duplicate hostname", (m) => void ((m[0].hostname = "node"), (m[1].hostname = "node")), /machines\[1\]\.hostname: duplicate hostname "node"/],
    ["a duplicate address", (m) => void (m[1].address = "10.0.20.31"), /machines\[1\]\.address: duplicate address 10\.0\.20\.31/],
    ["an address outside the boot VLAN", (m) => void (m[0].address = "10.0.21.10"), /machines\[0\]\.address: 10\.0\.21\.10 is outside the boot VLAN\(s\) 10\.0\.20\.0\/24/],
    ["the VLAN's network address", (m) => void (m[0].address = "10.0.20.0"), /is the network or broadcast address of 10\.0\.20\.0\/24/],
    ["the gateway's address", (m) => void (m[0].address = "10.0.20.1"), /is the boot VLAN's gateway/],
    ["a name that is not a DNS label", (m) => void (m[0].name = "CP_01"), /machines\[0\]\.name: got "CP_01"; does not have the expected form \(Machine name: a DNS label/],
    ["an unknown role", (m) => void (m[0].role = "master"), /machines\[0\]\.role: got "master"; allowed: "controlplane", "worker"/],
    ["an unknown boot mode", (m) => void (m[0].boot = "pxe"), /machines\[0\]\.boot: got "pxe"; allowed: "install", "maintenance", "rescue", "disk"/],
    ["a missing MAC", (m) => void delete m[0].mac, /machines\[0\]: missing required field "mac"/],
    ["an unknown field", (m) => void (m[0].ip = "10.0.20.10"), /machines\[0\]\.ip: unknown field; allowed here: name, mac, role, hostname, address, installDisk, installDiskSelector, kernelArgs, nodeLabels, nodeTaints, patches, boot/],
  ];

  test.each(cases)("refuses %s: exit 1, one line naming file, line, machine and field", (_name, edit, message) => {
    const file = writeInventory(edit);
    const run = validate(file);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+: `));
  });

  test("the real command exits 1 and prints the problem on stderr", () => {
    const run = validateProcess(writeInventory((m) => void (m[0].mac = "aa:bb")));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/machines\.yaml:3: machine "fixture-cp-1": machines\[0\]\.mac: "aa:bb" is not a MAC address/);
  });

  test("reports every problem, one per line, with the line of each machine's field", () => {
    const file = writeInventory((m) => {
      m[0].mac = "nope";
      m[3].role = "boss";
    });
    const run = validate(file);
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    const text = require("node:fs").readFileSync(file, "utf8").split("\n") as string[];
    const lineOf = (needle: string) => String(text.findIndex((l) => l.trim() === needle) + 1);
    expect(lines.map((l) => l.split(":")[1])).toEqual([lineOf("mac: nope"), lineOf("role: boss")]);
  });

  test("a YAML syntax error is reported with its line", () => {
    const file = writeInventory(() => undefined);
    require("node:fs").writeFileSync(file, "machines:\n  - name: a\n    mac: [x\n");
    const run = validate(file);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/machines\.yaml:\d+: \(document\): YAML syntax/);
  });
});

describe("inventory model", () => {
  test("defaults: hostname = name, boot = install, installDisk = /dev/sda; address gets the VLAN prefix and gateway", () => {
    const [m] = parseInventory(YamlSource.parse("machines:\n  - name: n1\n    mac: AA-BB-CC-00-00-01\n    role: worker\n    address: 10.0.20.50\n", "m.yaml"), siteFrom());
    expect(m).toEqual({
      name: "n1",
      mac: "aa:bb:cc:00:00:01",
      role: "worker",
      hostname: "n1",
      addressCidr: "10.0.20.50/24",
      gateway: "10.0.20.1",
      installDisk: "/dev/sda",
      installDiskSelector: undefined,
      boot: "install",
      kernelArgs: [],
      nodeLabels: {},
      nodeTaints: [],
      patches: [],
    });
  });

  test("a static address needs the VLAN's gateway in the settings", () => {
    const site = siteFrom((v) => (v.bootVlanGateways = {}));
    expect(() => parseInventory(YamlSource.parse("machines:\n  - {name: n1, mac: aa:bb:cc:00:00:01, role: worker, address: 10.0.20.50}\n", "m.yaml"), site)).toThrow(
      /a static address needs the VLAN's gateway: add bootVlanGateways\."10\.0\.20\.0\/24"/,
    );
  });

  test("boot: rescue needs a rescue image in the site settings", () => {
    const site = siteFrom((v) => delete v.rescue);
    expect(() => parseInventory(YamlSource.parse("machines:\n  - {name: n1, mac: aa:bb:cc:00:00:01, role: worker, boot: rescue}\n", "m.yaml"), site)).toThrow(
      /machines\[0\]\.boot: boot: rescue needs a rescue image in the site settings/,
    );
  });

  test("errors are DataFileErrors (synth prints them and exits 1)", () => {
    expect(() => parseInventory(YamlSource.parse("machines: 3\n", "m.yaml"), siteFrom())).toThrow(DataFileError);
  });
});

describe("reserved machine names", () => {
  test("a machine named maintenance that does not install (no profile of its own) is fine", () => {
    const machines = parseInventory(YamlSource.parse("machines:\n  - { name: maintenance, mac: 02:6e:62:00:00:09, role: worker, boot: maintenance }\n", "m.yaml"), siteFrom());
    expect(machines.map((m) => [m.name, m.boot])).toEqual([["maintenance", "maintenance"]]);
  });

  test("a machine name is reserved exactly when its own profile (talos-<name>) would be a shared profile's name", () => {
    const shared = Object.values(PROFILE_NAMES);
    // Every shared profile an installing machine's profile name could equal is reserved...
    const collide = shared.filter((p) => p.startsWith("talos-")).map((p) => p.slice("talos-".length));
    expect([...RESERVED_MACHINE_NAMES].sort()).toEqual(collide.sort());
    // ...and a reserved name's profile is one of them.
    for (const name of RESERVED_MACHINE_NAMES) expect(shared).toContain(talosProfileName(name));
  });
});

describe("role", () => {
  const parse = (text: string) => parseInventory(YamlSource.parse(text, "machines.yaml"), siteFrom());
  test("a machine in maintenance, rescue or on disk may have no role yet (a discovered machine); one that installs must have one", () => {
    const machines = parse("machines:\n  - name: new-1\n    mac: 02:6e:62:00:01:01\n    boot: maintenance\n  - name: new-2\n    mac: 02:6e:62:00:01:02\n    boot: disk\n");
    expect(machines.map((m) => [m.name, m.role])).toEqual([["new-1", undefined], ["new-2", undefined]]);
    for (const boot of ["", "    boot: install\n"]) {
      let message = "";
      try {
        parse(`machines:\n  - name: new-1\n    mac: 02:6e:62:00:01:01\n${boot}`);
      } catch (err) {
        message = (err as DataFileError).message;
      }
      expect(message).toMatch(/machines\.yaml:\d+: machine "new-1": machines\[0\]\.boot: boot: install needs a role: add role: controlplane or role: worker/);
    }
  });
});
