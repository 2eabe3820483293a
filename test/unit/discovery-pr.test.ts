// .github/scripts/discovery-pr.js on samples: the discovery pull request's
// body from `npm run discovered -- --json`, with hostile values in every field.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

const SCRIPT = join(REPO_ROOT, ".github/scripts/discovery-pr.js");
const HOSTILE = "````\n## owned @octocat <img src=x onerror=alert(1)> [link](http://e.vil) **b** |t| \u202e\u0000\r";
const dir = mkdtempSync(join(tmpdir(), "netboot-discovery-pr-"));

const sample = [
  {
    mac: "02:6e:62:00:00:99",
    otherMacs: ["02:6e:62:00:00:9a"],
    address: "10.0.20.99",
    firstSeen: "2026-12-07T10:00:00Z",
    lastSeen: "2026-12-07T10:05:00Z",
    phase: "maintenance",
    talosVersion: "v1.13.9",
    facts: {
      links: [{ id: "eno1", mac: "02:6e:62:00:00:99", up: true, physical: true }],
      disks: [{ id: "sda", devPath: "/dev/sda", size: 600127266816, prettySize: "600 GB", model: "LOGICAL VOLUME", serial: "PDNLH0BRH8Z1AB", wwid: "naa.600508b1001c3a5d", transport: "sas", rotational: false, readonly: false, cdrom: false }],
      system: { manufacturer: "HP", productName: "ProLiant DL360 Gen9", serialNumber: "CZJ1234567", uuid: "u-1" },
      cpus: [{ productName: "Intel(R) Xeon(R) CPU E5-2630 v3", coreCount: 8, threadCount: 16 }],
      memoryMiB: 32768,
    },
    notes: [],
    entry: { name: "new-000099", mac: "02:6e:62:00:00:99", boot: "maintenance", installDiskSelector: { wwid: "naa.600508b1001c3a5d" } },
  },
  {
    mac: "02:6e:62:00:00:b1",
    otherMacs: [],
    address: HOSTILE,
    firstSeen: HOSTILE,
    lastSeen: HOSTILE,
    phase: HOSTILE,
    talosVersion: HOSTILE,
    facts: { links: [{ id: HOSTILE, mac: HOSTILE, up: true, physical: true }], disks: [{ devPath: HOSTILE, prettySize: HOSTILE, model: HOSTILE, serial: HOSTILE, wwid: HOSTILE, transport: HOSTILE }], system: { manufacturer: HOSTILE, productName: HOSTILE, serialNumber: HOSTILE, uuid: HOSTILE }, cpus: [{ productName: HOSTILE, coreCount: HOSTILE, threadCount: 1 }], memoryMiB: HOSTILE },
    notes: [HOSTILE],
    kernelLog: { dmi: HOSTILE, memoryMiB: HOSTILE, disks: [{ name: HOSTILE, size: 1, prettySize: HOSTILE, model: HOSTILE }] },
    entry: { name: "new-0000b1", mac: "02:6e:62:00:00:b1", boot: "maintenance", installDiskSelector: { [HOSTILE]: HOSTILE } },
  },
];

const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });

describe("discovery pull request body (.github/scripts/discovery-pr.js)", () => {
  const file = join(dir, "discovered.json");
  writeFileSync(file, JSON.stringify(sample));
  const diff = join(dir, "boot-diff.md");
  writeFileSync(diff, "```diff\n+ new-000099  02:6e:62:00:00:99  talos-maintenance\n```\n");
  const r = run("body", file, diff, "https://github.com/o/r/actions/runs/1");

  test("lists each machine's facts and proposed entry, then the boot-diff and the run", () => {
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('system  "HP" "ProLiant DL360 Gen9" serial "CZJ1234567" uuid "u-1"');
    expect(r.stdout).toContain('disk    "/dev/sda" "600 GB" model "LOGICAL VOLUME" serial "PDNLH0BRH8Z1AB" wwid "naa.600508b1001c3a5d" "sas"');
    expect(r.stdout).toContain('- name: "new-000099"\n  mac: "02:6e:62:00:00:99"\n  boot: maintenance\n  installDiskSelector:\n    wwid: "naa.600508b1001c3a5d"');
    expect(r.stdout).toContain("also booted from \"02:6e:62:00:00:9a\"");
    expect(r.stdout).toContain("### boot-diff\n\n```diff\n+ new-000099");
    expect(r.stdout.trimEnd().endsWith("Written by https://github.com/o/r/actions/runs/1")).toBe(true);
  });

  test("hostile values are data: only inside fences no value can close, one line each, no control characters anywhere", () => {
    const lines = r.stdout.split("\n");
    let fence: string | undefined;
    const outside: string[] = [];
    for (const line of lines) {
      const m = /^(`{3,})/.exec(line);
      if (fence === undefined && m) fence = m[1];
      else if (fence !== undefined && line === fence) fence = undefined;
      else if (fence === undefined) outside.push(line);
      else expect(line.startsWith(fence)).toBe(false);
    }
    expect(fence).toBeUndefined();
    expect(outside.join("\n")).not.toMatch(/owned|octocat|onerror|e\.vil/);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(r.stdout).not.toMatch(/^## owned/m);
  });

  test("bad input names the file; usage errors exit 2", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"not": "a list"}');
    expect(run("body", bad)).toMatchObject({ status: 1, stderr: expect.stringContaining(`${bad}: not npm run discovered -- --json output`) });
    expect(run()).toMatchObject({ status: 2 });
  });
});

describe("discovery-pr.js names (the title and commit of open-inventory-pr.sh)", () => {
  test("the proposed entries' names, one a line; a machine without an entry has none", () => {
    const file = join(dir, "names.json");
    writeFileSync(file, JSON.stringify([...sample, { ...sample[0], mac: null, entry: undefined }]));
    const r = run("names", file);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("new-000099\nnew-0000b1\n");
  });

  test("a name that is not a DNS label (it would reach a title) is refused, quoted; no names are written", () => {
    const file = join(dir, "bad-names.json");
    writeFileSync(file, JSON.stringify([{ ...sample[0], entry: { ...sample[0].entry, name: "x\n::error::y" } }]));
    const r = run("names", file);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('error: entry name "x\\n::error::y" is not a machine name (a DNS label) as npm run discovered writes it\n');
  });

  test("usage: names takes one file", () => {
    expect(run("names").status).toBe(2);
    expect(run("names", "a", "b").stderr).toContain("discovery-pr.js names <discovered.json>");
  });
});
