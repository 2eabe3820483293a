// npm run discovered on replayed reports: the receiver's /status
// (netboot.boot-status/v1, the contract of the boot-report receiver) and the
// JSON that `talosctl get <resource> --insecure -o json` prints (Talos v1.13.9
// cmd/talosctl/cmd/talos/output/json.go: indented objects {node, metadata, spec}
// one after another; the spec field names are the resources' yaml tags in
// pkg/machinery/resources/{block/disk.go,network/link_status.go,hardware/*.go}).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { bootView, changeLines, diffBootViews } from "../../lib/commands/boot-diff";
import { discoveredCommand } from "../../lib/commands/discovered";
import { parseInventory } from "../../lib/input/inventory";
import { YamlSource } from "../../lib/input/yaml-source";
import { appendEntries } from "../../lib/model/discovery/append";
import { discoveredMachines, largestDiskSelector } from "../../lib/model/discovery/entries";
import { parseStatus, parseTalosResources } from "../../lib/input/discovery-reports";
import type { CanonicalMac } from "../../lib/input/mac";
import { runCommand } from "../support/commands";
import { FIXTURE_SITE_FILE, siteFrom } from "../support/site";

const HOSTILE = "x\n- name: evil\n  boot: install\n# ::error::pwn \u001b[31m **bold** <b>`](http://e.vil)|*";
const dir = mkdtempSync(join(tmpdir(), "netboot-discovered-"));
const at = "2026-12-07T10:00:00Z";

const report = (over: Record<string, unknown>) => ({ machine: null, mac: null, address: null, identifiedBy: null, firstSeen: at, lastSeen: at, talosVersion: "v1.13.9", phase: "maintenance", phaseSince: at, installedAt: null, error: null, etcd: null, events: 3, logLines: 10, dropped: 0, ...over });
const STATUS = {
  schema: "netboot.boot-status/v1",
  generatedAt: at,
  receiverStartedAt: at,
  machines: [
    // One server, two NICs: booted from ...9a first, then from ...99.
    report({ mac: "02:6e:62:00:00:99", address: "10.0.20.99", lastSeen: "2026-12-07T10:05:00Z" }),
    report({ mac: "02-6E-62-00-00-9A", address: "10.0.20.100", lastSeen: "2026-12-07T09:30:00Z" }),
    // Reports no disks.
    report({ mac: "02:6e:62:00:00:a1", address: "10.0.20.101" }),
    // Hostile values in every field the receiver passes on.
    report({ mac: "02:6e:62:00:00:b1", address: HOSTILE, firstSeen: HOSTILE, lastSeen: HOSTILE, phase: HOSTILE, talosVersion: HOSTILE, hardware: { dmi: HOSTILE, memoryMiB: 64, disks: [{ name: HOSTILE, size: 1, prettySize: HOSTILE, model: HOSTILE }] } }),
    // Listed machines: identified, or only by a listed MAC: not discovered.
    report({ machine: "fixture-cp-1", mac: "02:6e:62:00:00:01", address: "10.0.20.31", phase: "running" }),
    report({ mac: "02:6e:62:00:00:02", address: "10.0.20.32" }),
  ],
};

const resource = (node: string, type: string, id: string, spec: Record<string, unknown>) => ({ node, metadata: { namespace: "x", type, id, version: 1, owner: "x", phase: "running" }, spec });
const disk = (node: string, id: string, spec: Record<string, unknown>) => resource(node, "Disks.block.talos.dev", id, { dev_path: `/dev/${id}`, readonly: false, cdrom: false, rotational: false, ...spec });
const link = (node: string, id: string, mac: string, up: boolean) => resource(node, "LinkStatuses.net.talos.dev", id, { hardwareAddr: mac, linkState: up, kind: "", busPath: `pci-${id}`, speedMbit: 1000, type: "ether" });
const system = (node: string, spec: Record<string, unknown>) => resource(node, "SystemInformations.hardware.talos.dev", "systeminformation", spec);
const talosctlJson = (values: unknown[]) => values.map((v) => `${JSON.stringify(v, null, 4)}\n`).join("");

const uuid = "30373237-3132-584d-5136-333830325a4b";
const FACTS: Record<string, unknown[]> = {
  "node-99.json": [
    disk("10.0.20.99", "sda", { size: 600127266816, pretty_size: "600 GB", model: "LOGICAL VOLUME", serial: "PDNLH0BRH8Z1AB", wwid: "naa.600508b1001c3a5d", transport: "sas" }),
    disk("10.0.20.99", "sdb", { size: 300000000000, pretty_size: "300 GB", model: "LOGICAL VOLUME", serial: "PDNLH0BRH8Z1AC", wwid: "naa.600508b1001c3a5e", transport: "sas" }),
    disk("10.0.20.99", "sdc", { size: 2000000000000, pretty_size: "2.0 TB", model: "USB stick", serial: "U1", wwid: "t10.usb", transport: "usb" }),
    disk("10.0.20.99", "sr0", { size: 4000000000000, pretty_size: "4 TB", cdrom: true, transport: "sata" }),
    disk("10.0.20.99", "loop0", { size: 9000000000000, pretty_size: "9 TB", readonly: true, transport: "" }),
    link("10.0.20.99", "eno1", "02:6e:62:00:00:99", true),
    link("10.0.20.99", "eno2", "02:6e:62:00:00:9a", false),
    system("10.0.20.99", { manufacturer: "HP", productName: "ProLiant DL360 Gen9", serialnumber: "CZJ1234567", uuid }),
    resource("10.0.20.99", "Processors.hardware.talos.dev", "CPU_1", { productName: "Intel(R) Xeon(R) CPU E5-2630 v3", coreCount: 8, threadCount: 16 }),
    resource("10.0.20.99", "MemoryModules.hardware.talos.dev", "DIMM_1", { sizeMiB: 16384 }),
    resource("10.0.20.99", "MemoryModules.hardware.talos.dev", "DIMM_2", { sizeMiB: 16384 }),
  ],
  "node-100.json": [system("10.0.20.100", { manufacturer: "HP", productName: "ProLiant DL360 Gen9", serialnumber: "CZJ1234567", uuid })],
  "node-101.json": [link("10.0.20.101", "eth0", "02:6e:62:00:00:a1", true), system("10.0.20.101", { uuid: "other" })],
  "node-b1.json": [
    disk(HOSTILE, "sda", { size: 100, pretty_size: HOSTILE, model: HOSTILE, serial: HOSTILE, wwid: HOSTILE, transport: "sata" }),
    link(HOSTILE, HOSTILE, "02:6e:62:00:00:b1", true),
    system(HOSTILE, { manufacturer: HOSTILE, productName: HOSTILE, serialnumber: HOSTILE, uuid: HOSTILE }),
  ],
};
const statusFile = join(dir, "status.json");
writeFileSync(statusFile, JSON.stringify(STATUS, null, 2));
const factFiles = Object.entries(FACTS).map(([name, values]) => {
  writeFileSync(join(dir, name), talosctlJson(values));
  return join(dir, name);
});
const factArgs = factFiles.flatMap((f) => ["--facts", f]);

const COMMENTED = `# The inventory, with the user's own comments.
machines:
  # first machine
  - name: fixture-cp-1
    mac: 02:6e:62:00:00:01   # on the sticker
    role: controlplane
    address: 10.0.20.31
    installDiskSelector:
      model: LOGICAL VOLUME
      size: ">= 100GB"

  - name: fixture-cp-2 # second
    mac: 02:6e:62:00:00:02
    role: controlplane
    installDisk: /dev/nvme0n1
# a trailing comment the user keeps
`;
const siteOn = siteFrom((s) => (s.discovery = { enabled: true }));
const ON_SITE_FILE = join(dir, "site-on.yaml");
writeFileSync(ON_SITE_FILE, readFileSync(FIXTURE_SITE_FILE, "utf8").replace(/\n*$/, "\ndiscovery:\n  enabled: true\n"));

const reports = parseStatus(JSON.stringify(STATUS), "status.json");
const resources = factFiles.flatMap((f) => parseTalosResources(readFileSync(f, "utf8"), f));
const inventory = parseInventory(YamlSource.parse(COMMENTED, "machines.yaml"), siteOn);
const found = discoveredMachines(reports, resources, inventory);

describe("discovered machines from replayed reports", () => {
  test("the machines no entry names; the one server booted through two NICs is one machine, with the MAC seen last", () => {
    expect(found.map((d) => [d.entry?.name, d.mac, d.otherMacs])).toEqual([
      ["new-000099", "02:6e:62:00:00:99", ["02:6e:62:00:00:9a"]],
      ["new-0000a1", "02:6e:62:00:00:a1", []],
      ["new-0000b1", "02:6e:62:00:00:b1", []],
    ]);
    expect(found[0].notes.join()).toMatch(/also booted from 02:6e:62:00:00:9a/);
  });

  test("the selector picks the largest installable disk by its WWID: not the USB stick, the CD-ROM or the read-only device", () => {
    expect(found[0].entry).toEqual({ name: "new-000099", mac: "02:6e:62:00:00:99", boot: "maintenance", installDiskSelector: { wwid: "naa.600508b1001c3a5d" } });
    expect(found[0].facts).toMatchObject({ memoryMiB: 32768, system: { productName: "ProLiant DL360 Gen9", serialNumber: "CZJ1234567" }, cpus: [{ coreCount: 8, threadCount: 16 }] });
    // A WWID shared by two disks (or empty) falls back to the serial; a * (Talos's glob) is never used.
    const d = (id: string, wwid: string, serial: string, size: number) => ({ id, devPath: `/dev/${id}`, size, prettySize: "", model: "", serial, wwid, transport: "sata", rotational: false, readonly: false, cdrom: false });
    expect(largestDiskSelector([d("sda", "w", "s1", 2), d("sdb", "w", "s2", 1)]).selector).toEqual({ serial: "s1" });
    const globbed = largestDiskSelector([d("sda", "w*", "s*", 2)]);
    expect(globbed.selector).toBeUndefined();
    expect(globbed.note).toMatch(/containing \* or a control character.*choose the install disk yourself/);
  });

  test("a machine that reports no disks gets an entry without a selector, and says why", () => {
    expect(found[1].entry).toEqual({ name: "new-0000a1", mac: "02:6e:62:00:00:a1", boot: "maintenance" });
    expect(found[1].notes).toContain("the machine reported no disks: choose installDisk or installDiskSelector yourself before boot: install");
  });

  test("a machine in no entry that installs or runs an installed Talos is listed with a note, and no entry is proposed for it", () => {
    const seen = (phase: string) =>
      discoveredMachines([{ machine: null, mac: "02:6e:62:00:00:c2" as CanonicalMac, address: "10.0.20.78", firstSeen: "2026-12-07T10:00:00Z", lastSeen: "2026-12-07T10:00:00Z", phase, talosVersion: "v1.13.9" }], [], [])[0];
    for (const phase of ["installing", "installed", "running"]) {
      expect(seen(phase).entry).toBeUndefined();
      expect(seen(phase).notes).toContainEqual(expect.stringMatching(new RegExp(`^it reports phase ${phase}: Talos installed, not discovery's maintenance mode`)));
    }
    for (const phase of ["booting", "maintenance"]) expect(seen(phase).entry).toMatchObject({ mac: "02:6e:62:00:00:c2", boot: "maintenance" });
  });

  test("without facts the note says how to read them, naming the machine's address only when it is an IP address", () => {
    const at = (address: string) =>
      discoveredMachines([{ machine: null, mac: "02:6e:62:00:00:c1" as CanonicalMac, address, firstSeen: "2026-12-07T10:00:00Z", lastSeen: "2026-12-07T10:00:00Z", phase: "maintenance", talosVersion: "v1.13.9" }], [], [])[0].notes;
    expect(at("10.0.20.77")).toEqual([expect.stringContaining("talosctl get disks --insecure -n 10.0.20.77 -o json")]);
    expect(at("10.0.20.77\n- name: evil")).toEqual([expect.stringContaining("talosctl get disks --insecure -n <address> -o json")]);
  });

  test("hostile values in every field stay data: one quoted line each in the listing, no selector from a value with * or a control character", () => {
    const text = discoveredCommand(["--status", statusFile, ...factArgs, "--inventory", writeInventory(COMMENTED)], { SITE_CONFIG: ON_SITE_FILE }).stdout;
    expect(found[2].entry?.installDiskSelector).toBeUndefined();
    for (const line of text.split("\n")) {
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(line).not.toMatch(/^\s*::/);
      expect(line).not.toMatch(/^\s*- name: evil/);
    }
    // What its kernel log named is data too.
    expect(text).toContain('kernel log: system "x\\n- name: evil\\n  boot: install');
    expect(text).toContain(`phase "x\\n- name: evil\\n  boot: install\\n# ::error::pwn \\u001b[31m **bold** <b>\`](http://e.vil)|*"`);
  });
});

function writeInventory(text: string): string {
  const file = join(mkdtempSync(join(dir, "inv-")), "machines.yaml");
  writeFileSync(file, text);
  return file;
}

describe("--append", () => {
  test("keeps a commented inventory byte for byte outside the appended entries, which parse to exactly the proposed entries (hostile values included), and validates", () => {
    const after = appendEntries(COMMENTED, found);
    const cut = COMMENTED.indexOf("# a trailing comment");
    expect(after.startsWith(COMMENTED.slice(0, cut))).toBe(true);
    expect(after.endsWith(COMMENTED.slice(cut))).toBe(true);
    const doc = parseDocument(after);
    expect(doc.errors).toEqual([]);
    expect(doc.toJS().machines.slice(2)).toEqual(found.map((d) => d.entry));
    // Every added line is an entry line or a comment: no reported value escaped into YAML.
    const added = after.slice(cut, after.length - (COMMENTED.length - cut)).split("\n").filter(Boolean);
    for (const line of added) expect(line).toMatch(/^ {2}(# |- name: new-|  mac: |  boot: maintenance$|  installDiskSelector:$|    wwid: )/);
    expect(parseInventory(YamlSource.parse(after, "machines.yaml"), siteOn).map((m) => m.name)).toEqual(["fixture-cp-1", "fixture-cp-2", "new-000099", "new-0000a1", "new-0000b1"]);
  });

  test("done when: with discovery on, a fixture server in no inventory appears with a valid entry; --append + validate (the real command) + boot-diff show exactly one + line", () => {
    const one = { ...STATUS, machines: [STATUS.machines[0]] };
    const oneStatus = join(dir, "one.json");
    writeFileSync(oneStatus, JSON.stringify(one));
    const file = writeInventory(COMMENTED);
    const run = runCommand("discovered", ["--status", oneStatus, "--facts", factFiles[0], "--inventory", file, "--append"], { env: { SITE_CONFIG: ON_SITE_FILE } });
    expect(run.stderr).toMatch(/^site: /);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\+ new-000099 02:6e:62:00:00:99$/m);
    expect(run.stdout).toMatch(/appended 1 entry to .*machines\.yaml\n.*machine\(s\) valid/s);
    const validate = runCommand("validate", [file], { env: { SITE_CONFIG: ON_SITE_FILE } });
    expect(validate.status).toBe(0);
    const base = parseInventory(YamlSource.parse(COMMENTED, "machines.yaml"), siteOn);
    const head = parseInventory(YamlSource.parse(readFileSync(file, "utf8"), "machines.yaml"), siteOn);
    const lines = changeLines(diffBootViews(bootView(siteOn, base), bootView(siteOn, head)));
    expect(lines).toEqual(["+ new-000099  02:6e:62:00:00:99  talos-maintenance"]);

    // Installing it is a second change, its own lines in boot-diff, the disk the install writes on the boot line.
    const accepted = readFileSync(file, "utf8");
    const installing = parseDocument(accepted);
    const entry = (installing.get("machines") as { items: { set(k: string, v: string): void; get(k: string): unknown }[] }).items.find((m) => m.get("name") === "new-000099")!;
    entry.set("role", "worker");
    entry.set("boot", "install");
    const second = parseInventory(YamlSource.parse(installing.toString(), "machines.yaml"), siteOn);
    expect(changeLines(diffBootViews(bootView(siteOn, head), bootView(siteOn, second)))).toEqual([
      "~ new-000099  profile: talos-maintenance → talos-new-000099",
      '~ new-000099  role: "" → worker',
      "~ new-000099  boot: maintenance → install  (installs to selector wwid=naa.600508b1001c3a5d)",
    ]);
  });

  test("bad input: a status that is not the receiver's, or a facts file that is not talosctl's JSON, names the file; nothing is written", () => {
    const file = writeInventory(COMMENTED);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"schema": "other"}');
    const r = discoveredCommand(["--status", bad, "--inventory", file, "--append"], { SITE_CONFIG: ON_SITE_FILE });
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining(`${bad}: not the boot-report receiver's status`) });
    writeFileSync(bad, "{} garbage");
    expect(discoveredCommand(["--status", statusFile, "--facts", bad, "--inventory", file, "--append"], { SITE_CONFIG: ON_SITE_FILE }).stderr).toMatch(/not talosctl -o json output/);
    expect(readFileSync(file, "utf8")).toBe(COMMENTED);
    expect(discoveredCommand(["--inventory", file], { SITE_CONFIG: ON_SITE_FILE })).toMatchObject({ code: 2, stderr: expect.stringMatching(/--status <file> is required/) });
  });
});

describe("reading the receiver live", () => {
  test("without --status it reads GET /status through kubectl port-forward; where kubectl cannot reach it, it says what it tried and what to pass instead (exit 1)", () => {
    const run = runCommand("discovered", [], { env: { SITE_CONFIG: ON_SITE_FILE, PATH: "/nonexistent" } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: cannot read the receiver's \/status \(kubectl port-forward -n netboot-matchbox svc\/boot-report-receiver\): .*; or pass --status <file> with a saved GET \/status\n$/);
  });
});
