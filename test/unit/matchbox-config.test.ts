import { App, Testing } from "cdktf";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadInventory } from "../../lib/inventory";
import { terraformLiteral as escapeTerraformTemplate, terraformLiteralValue } from "../../lib/terraform-strings";
import { formatPreview, previewBoot, synthesizedMatchboxStore } from "../../lib/matchbox/preview";
import { BOOT_IPXE, labelsFromQuery, matchboxStoreFromTerraform, selectGroup } from "../../lib/matchbox/selection";
import type { NetbootSite } from "../../lib/site";
import { addNetbootStacks } from "../../stacks";
import { fixtureMachines, FIXTURE_INVENTORY } from "../support/inventory";
import { FIXTURE_SITE_FILE, fixtureSiteValue, fixtureSiteFrom, siteFrom } from "../support/site";
import { bootPlan } from "../../lib/matchbox/boot-plan";
import { runApp } from "../support/app-run";
import { resources, synthJson } from "../support/synth";

const fixtureSite = fixtureSiteFrom();
const withMachines = (edit: (m: Record<string, any>[]) => void): NetbootSite => {
  const machines = fixtureMachines();
  edit(machines);
  const file = join(mkdtempSync(join(tmpdir(), "netboot-inv-")), "machines.yaml");
  writeFileSync(file, stringify({ machines }));
  return { ...fixtureSite, machines: loadInventory(file, "machines.yaml", fixtureSite.settings) };
};
const stackJson = (site: NetbootSite) => synthJson(addNetbootStacks(Testing.app(), site).matchboxConfig);

describe("matchbox-config stack", () => {
  const json = stackJson(fixtureSite);
  const profiles = Object.values(resources(json, "matchbox_profile")) as any[];
  const groups = Object.values(resources(json, "matchbox_group")) as any[];
  const profile = (name: string) => profiles.find((p) => p.name === name);

  test("snapshot", () => {
    expect(json).toMatchSnapshot();
  });

  test("profiles for both roles, maintenance, and rescue because the site defines one", () => {
    expect(profiles.map((p) => p.name).sort()).toEqual(["rescue", "talos-controlplane", "talos-maintenance", "talos-worker"]);
    const withoutRescue = bootPlan(siteFrom((v) => delete v.rescue), []).profiles;
    expect(withoutRescue.map((p) => p.name).sort()).toEqual(["talos-controlplane", "talos-maintenance", "talos-worker"]);
  });

  test("Talos PXE arguments; initrd= names the initramfs actually loaded; talos.config reaches /generic through the tunnel", () => {
    for (const name of ["talos-controlplane", "talos-worker"]) {
      const p = profile(name);
      expect(p.kernel).toBe("/assets/talos/v1.13.9/kernel-amd64");
      expect(p.initrd).toEqual(["/assets/talos/v1.13.9/initramfs-amd64.xz"]);
      expect(p.args).toEqual([
        "initrd=initramfs-amd64.xz",
        // Talos v1.13's metal amd64 command line (Image Factory cmdline-metal-amd64 order).
        "talos.platform=metal",
        "console=tty0",
        "init_on_alloc=1",
        "slab_nomerge",
        "pti=on",
        "consoleblank=0",
        "nvme_core.io_timeout=4294967295",
        "printk.devkmsg=on",
        "selinux=1",
        "module.sig_enforce=1",
        "proc_mem.force_override=never",
        // Escaped for Terraform: Matchbox must store ${mac:hexhyp} for iPXE to expand.
        "talos.config=http://10.99.0.1:8080/generic?mac=$${mac:hexhyp}",
      ]);
      expect(p.initrd[0].endsWith(`/${p.args[0].slice("initrd=".length)}`)).toBe(true);
      expect(p.generic_config).toMatch(/data\.google_secret_manager_secret_version|local\.talos-/);
    }
    expect(profile("talos-maintenance").args.some((a: string) => a.startsWith("talos.config"))).toBe(false);
    expect(profile("talos-maintenance").generic_config).toBeUndefined();
  });

  test("the machine config comes from Secret Manager, with the factory installer and per-machine template values", () => {
    const secrets = Object.values(json.data.google_secret_manager_secret_version) as any[];
    expect(secrets.map((s) => s.secret).sort()).toEqual(["nbfix-talos-controlplane", "nbfix-talos-worker"]);
    const config = profile("talos-controlplane").generic_config;
    expect(config).toContain("factory.talos.dev/metal-installer/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba:v1.13.9");
    for (const key of ["{{.install_disk}}", "{{.hostname}}", "{{.address_cidr}}", "{{.gateway}}", "{{.mac}}"]) expect(config).toContain(key);
    // A literal "{{" in the secret is escaped for Matchbox's Go template.
    expect(JSON.stringify(json.locals)).toContain('replace(trimprefix(data.google_secret_manager_secret_version');
    expect(JSON.stringify(json.locals)).toContain('\\"{{\\", \\"{{\\\\\\"{{\\\\\\"}}\\"');
  });

  test("one group per machine, selector = canonical MAC only, every template key in the metadata", () => {
    // fixture-disk boots from its disk, so it has no group.
    expect(groups.map((g) => g.name).sort()).toEqual(["fixture-cp-1", "fixture-cp-2", "fixture-maintenance", "fixture-rescue", "fixture-worker-1"]);
    for (const g of groups) {
      expect(Object.keys(g.selector)).toEqual(["mac"]);
      expect(g.selector.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(Object.keys(g.metadata).sort()).toEqual(["address_cidr", "gateway", "hostname", "install_disk", "mac", "name"]);
    }
    const cp1 = groups.find((g) => g.name === "fixture-cp-1");
    expect(cp1.profile).toMatch(/^\$\{matchbox_profile\.boot_profile-talos-controlplane_\w+\.name\}$/);
    expect(cp1.metadata).toEqual({ name: "fixture-cp-1", mac: "02:6e:62:00:00:01", hostname: "fixture-cp-1", install_disk: "/dev/sda", address_cidr: "10.0.20.31/24", gateway: "10.0.20.1" });
    // DHCP: the template keys are present and empty, so the config template omits the static address.
    const cp2 = groups.find((g) => g.name === "fixture-cp-2");
    expect(cp2.metadata).toEqual({ name: "fixture-cp-2", mac: "02:6e:62:00:00:02", hostname: "cp-2.fixture.test", install_disk: "/dev/nvme0n1", address_cidr: "", gateway: "" });
  });

  test("no catch-all group (an empty selector would serve a cluster config to any MAC)", () => {
    expect(groups.every((g) => g.selector && Object.keys(g.selector).length > 0)).toBe(true);
  });

  test("pasted MAC spellings are written in canonical form", () => {
    expect(groups.find((x) => x.name === "fixture-worker-1").selector.mac).toBe("02:6e:62:00:00:04");
    const g = Object.values(resources(stackJson(withMachines((m) => (m[0].mac = "0E6E.6200.0001"))), "matchbox_group")) as any[];
    expect(g.find((x) => x.name === "fixture-cp-1").selector.mac).toBe("0e:6e:62:00:00:01");
  });

  test("boot modes: maintenance → maintenance profile, disk → no group, rescue → rescue profile when configured", () => {
    const g = Object.values(resources(stackJson(withMachines((m) => ((m[0].boot = "maintenance"), (m[1].boot = "disk")))), "matchbox_group")) as any[];
    expect(g.find((x) => x.name === "fixture-cp-1").profile).toMatch(/talos-maintenance/);
    expect(g.find((x) => x.name === "fixture-cp-2")).toBeUndefined();
    expect(g.find((x) => x.name === "fixture-rescue").profile).toMatch(/boot_profile-rescue_/);

    const rescueSite = fixtureSiteFrom((v) => {
      v.rescue = { kernelUrl: "https://example.org/rescue/vmlinuz", kernelSha256: "a".repeat(64), initrdUrl: "https://example.org/rescue/initrd.img", initrdSha256: "b".repeat(64), args: ["boot=live"] };
    });
    const rescueJson = stackJson(rescueSite);
    const rescue = (Object.values(resources(rescueJson, "matchbox_profile")) as any[]).find((p) => p.name === "rescue");
    expect(rescue).toMatchObject({ kernel: "/assets/rescue/vmlinuz", initrd: ["/assets/rescue/initrd.img"], args: ["initrd=initrd.img", "boot=live"] });
  });

  test("the provider is configured from the boot-server stack's endpoint and client TLS; the endpoint can be overridden", () => {
    expect(json.provider.matchbox[0].endpoint).toBe("10.99.0.1:8081");
    expect(json.provider.matchbox[0].client_key).toMatch(/tls_private_key\.matchbox-tls_client-key_\w+\.private_key_pem/);
    const ci = stackJson(fixtureSiteFrom((v) => (v.matchbox.rpcEndpoint = "127.0.0.1:8081")));
    expect(ci.provider.matchbox[0].endpoint).toBe("127.0.0.1:8081");
    expect(json.terraform.required_providers.matchbox.source).toBe("poseidon/matchbox");
  });

  test("synth fails on an invalid inventory and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-bad-inv-"));
    const inventory = join(dir, "machines.yaml");
    writeFileSync(inventory, readFileSync(FIXTURE_INVENTORY, "utf8").replace("02:6e:62:00:00:02", "02:6e:62:00:00:01"));
    const site = fixtureSiteValue();
    site.matchbox.inventoryFile = inventory;
    const siteFile = join(dir, "site.yaml");
    writeFileSync(siteFile, stringify(site));
    const run = runApp({ SITE_CONFIG: siteFile });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/machines\.yaml:\d+: machine "fixture-cp-2": machines\[1\]\.mac: duplicate MAC 02:6e:62:00:00:01/);
    expect(require("node:fs").existsSync(run.outdir)).toBe(false);
  });

  test("1,000 machines synthesize in a few seconds", () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({
      name: `node-${i}`,
      mac: `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
      role: i < 3 ? "controlplane" : "worker",
    }));
    const big = withMachines((m) => m.splice(0, m.length, ...many));
    const started = Date.now();
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "netboot-big-")) });
    const stacks = addNetbootStacks(app, big);
    const groups = Object.keys(resources(synthJson(stacks.matchboxConfig), "matchbox_group"));
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`synth of 1,000 machines: ${seconds.toFixed(2)} s\n`);
    expect(groups).toHaveLength(1000);
    expect(seconds).toBeLessThan(10);
  });
});

describe("Talos kernel arguments", () => {
  test("the schematic's extraKernelArgs follow Talos's own arguments in every Talos profile, before talos.config", () => {
    const site = siteFrom((v) => (v.talos.schematicExtraKernelArgs = ["console=ttyS1,115200n8", "net.ifnames=0"]));
    const plan = bootPlan(site, []);
    for (const name of ["talos-controlplane", "talos-worker", "talos-maintenance"]) {
      const args = plan.profiles.find((p) => p.name === name)!.args;
      const at = args.indexOf("proc_mem.force_override=never");
      expect(args.slice(at + 1, at + 3)).toEqual(["console=ttyS1,115200n8", "net.ifnames=0"]);
    }
  });
});

describe("Terraform string escaping", () => {
  test("escapes ${ and %{ so Terraform hands them to Matchbox literally", () => {
    expect(escapeTerraformTemplate("a=${mac:hexhyp} %{x}")).toBe("a=$${mac:hexhyp} %%{x}");
    expect(terraformLiteralValue(escapeTerraformTemplate("${a}${b}"))).toBe("${a}${b}");
  });

  test("a bare ${ in a literal fails loudly (Terraform would evaluate it)", () => {
    expect(() => terraformLiteralValue("mac=${mac:hexhyp}")).toThrow(/Terraform would evaluate "\$\{mac:hexhyp\}/);
  });
});

describe("boot preview", () => {
  const store = synthesizedMatchboxStore(fixtureSite);
  const preview = (mac: string, site: NetbootSite = fixtureSite, s = store) => previewBoot(site, s, mac);

  test("a known control-plane MAC gets its group, its profile and the exact iPXE script", () => {
    const result = preview("02:6e:62:00:00:01");
    expect(result.kind).toBe("boot");
    if (result.kind !== "boot") return;
    expect(result.group.name).toBe("fixture-cp-1");
    expect(result.profile.name).toBe("talos-controlplane");
    expect(result.ipxe).toBe(
      "#!ipxe\n" +
        "kernel /assets/talos/v1.13.9/kernel-amd64 initrd=initramfs-amd64.xz talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 " +
        "nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1 proc_mem.force_override=never talos.config=http://10.99.0.1:8080/generic?mac=${mac:hexhyp}\n" +
        "initrd /assets/talos/v1.13.9/initramfs-amd64.xz\n" +
        "boot\n",
    );
    expect(formatPreview(result, "http://10.99.0.1:8080")).toContain("# http://10.99.0.1:8080/ipxe?mac=02-6e-62-00-00-01");
  });

  test("another spelling of the MAC selects the same machine (as Matchbox normalizes it)", () => {
    const result = preview("02-6E-62-00-00-04");
    expect(result.kind === "boot" && [result.group.name, result.profile.name]).toEqual(["fixture-worker-1", "talos-worker"]);
  });

  test("a machine in maintenance boots Talos without a config", () => {
    const site = withMachines((m) => (m[1].boot = "maintenance"));
    const result = preview("02:6e:62:00:00:02", site, synthesizedMatchboxStore(site));
    expect(result.kind === "boot" && result.profile.name).toBe("talos-maintenance");
    expect(result.kind === "boot" && result.ipxe).not.toContain("talos.config");
  });

  test("a machine on disk gets a 404, with the reason", () => {
    const result = preview("02:6e:62:00:00:05");
    expect(result).toEqual({ kind: "not-found", mac: "02:6e:62:00:00:05", reason: expect.stringMatching(/machine "fixture-disk" has boot: disk, so it has no group: Matchbox answers 404/) });
  });

  test("an unknown MAC gets a 404 (no catch-all group)", () => {
    expect(preview("02:00:00:00:00:99")).toMatchObject({ kind: "not-found", reason: expect.stringMatching(/no machine in the inventory has this MAC/) });
  });

  test("an invalid MAC is an error", () => {
    expect(preview("zz")).toMatchObject({ kind: "invalid-mac" });
  });

  test("the store is read from the synthesized JSON: unescaped escaping would fail loudly", () => {
    const broken = JSON.parse(JSON.stringify(stackJson(fixtureSite)));
    for (const p of Object.values<any>(broken.resource.matchbox_profile)) p.args = p.args.map((a: string) => a.replace("$${", "${"));
    expect(() => matchboxStoreFromTerraform(broken)).toThrow(/Terraform would evaluate/);
  });
});

describe("Matchbox selection rules", () => {
  const g = (name: string, selector: Record<string, string>) => ({ name, profile: name, selector, metadata: {} });

  test("the group with the most matching selectors wins; an unmatched request gets none", () => {
    const groups = [g("default", {}), g("by-mac", { mac: "aa:bb:cc:dd:ee:01" }), g("installed", { mac: "aa:bb:cc:dd:ee:01", os: "installed" })];
    expect(selectGroup(groups, { mac: "aa:bb:cc:dd:ee:01", os: "installed" })?.name).toBe("installed");
    expect(selectGroup(groups, { mac: "aa:bb:cc:dd:ee:01" })?.name).toBe("by-mac");
    expect(selectGroup(groups, { mac: "aa:bb:cc:dd:ee:02" })?.name).toBe("default");
    expect(selectGroup(groups.slice(1), { mac: "aa:bb:cc:dd:ee:02" })).toBeUndefined();
  });

  test("labels come from the query; the MAC is normalized, an unparseable one dropped", () => {
    expect(labelsFromQuery(new URLSearchParams("mac=AA-BB-CC-DD-EE-01&uuid=x&uuid=y"))).toEqual({ mac: "aa:bb:cc:dd:ee:01", uuid: "x" });
    expect(labelsFromQuery(new URLSearchParams("mac=nonsense"))).toEqual({});
  });

  test("/boot.ipxe is Matchbox v0.11.0's chain script", () => {
    expect(BOOT_IPXE).toBe("#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n");
  });
});

describe("npm run boot-preview (the real command)", () => {
  const run = (mac: string) =>
    require("node:child_process").spawnSync(join(__dirname, "../../node_modules/.bin/tsx"), ["bin/boot-preview.ts", mac], {
      cwd: join(__dirname, "../.."),
      encoding: "utf8",
      env: { ...process.env, SITE_CONFIG: FIXTURE_SITE_FILE },
    });

  test("prints the group, profile and iPXE script for a known MAC (exit 0), a 404 for an unknown one (exit 3)", () => {
    const known = run("02:6E:62:00:00:04");
    expect(known.status).toBe(0);
    expect(known.stdout).toMatch(/^group {4}fixture-worker-1 /m);
    expect(known.stdout).toContain("kernel /assets/talos/v1.13.9/kernel-amd64 initrd=initramfs-amd64.xz");
    const unknown = run("02:00:00:00:00:01");
    expect(unknown.status).toBe(3);
    expect(unknown.stdout).toMatch(/HTTP 404/);
  });
});

describe("an inventory-only pull request changes exactly its groups", () => {
  /** Every resource of the matchbox-config stack, keyed by type and logical id, without cdktf metadata. */
  const flatten = (site: NetbootSite) => {
    const out = new Map<string, string>();
    const json = stackJson(site);
    for (const [type, byId] of Object.entries<Record<string, any>>(json.resource)) {
      for (const [id, body] of Object.entries(byId)) {
        const { ["//"]: _meta, ...rest } = body;
        out.set(`${type}.${id}`, JSON.stringify(rest));
      }
    }
    return out;
  };
  const diff = (before: Map<string, string>, after: Map<string, string>) => ({
    added: [...after.keys()].filter((k) => !before.has(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)),
  });
  const base = flatten(fixtureSite);

  test("adding a machine adds one group and nothing else", () => {
    const after = flatten(withMachines((m) => m.push({ name: "fixture-worker-9", mac: "02:6e:62:00:00:99", role: "worker" })));
    expect(diff(base, after)).toEqual({ added: [expect.stringMatching(/^matchbox_group\.boot_group-fixture-worker-9_\w+$/)], removed: [], changed: [] });
  });

  test("switching a machine to disk removes its group and nothing else", () => {
    const after = flatten(withMachines((m) => (m[2].boot = "disk")));
    expect(diff(base, after)).toEqual({ added: [], removed: [expect.stringMatching(/^matchbox_group\.boot_group-fixture-worker-1_\w+$/)], changed: [] });
  });

  test("putting a machine into maintenance changes its group only", () => {
    const after = flatten(withMachines((m) => (m[0].boot = "maintenance")));
    expect(diff(base, after)).toEqual({ added: [], removed: [], changed: [expect.stringMatching(/^matchbox_group\.boot_group-fixture-cp-1_\w+$/)] });
  });
});
