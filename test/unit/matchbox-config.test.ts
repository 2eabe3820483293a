import { Testing } from "cdktf";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoTempDir } from "../support/files";
import { stringify } from "yaml";
import { loadInventory } from "../../lib/input/inventory";
import { terraformLiteral as escapeTerraformTemplate, terraformLiteralValue } from "../../lib/model/terraform-strings";
import { formatPreview, plannedMatchboxStore, previewBoot } from "../../lib/model/matchbox/preview";
import { BOOT_IPXE, labelsFromQuery, selectGroup } from "../../lib/model/matchbox/selection";
import type { NetbootSite } from "../../lib/input/site";
import { addNetbootStacks } from "../../stacks";
import { fixtureMachines, FIXTURE_INVENTORY } from "../support/inventory";
import { FIXTURE_SITE_FILE, FIXTURES, fixtureSiteValue, fixtureSiteFrom, siteFrom } from "../support/site";
import { bootPlan } from "../../lib/model/matchbox/boot-plan";
import { runApp } from "../support/app-run";
import { resources, synthJson, structureOnly } from "../support/synth";
import { runCommand } from "../support/commands";

const fixtureSite = fixtureSiteFrom();
const withMachines = (edit: (m: Record<string, any>[]) => void): NetbootSite => {
  const machines = fixtureMachines();
  edit(machines);
  const file = join(mkdtempSync(join(tmpdir(), "netboot-inv-")), "machines.yaml");
  writeFileSync(file, stringify({ machines }));
  return { ...fixtureSite, machines: loadInventory(file, "machines.yaml", fixtureSite.settings) };
};
const stackJson = (site: NetbootSite) => synthJson(addNetbootStacks(Testing.app(), site).matchboxConfig);

/** The one for_each resource of a type (profiles, groups): an instance per profile or group name. */
const forEachOf = (json: any, type: "matchbox_profile" | "matchbox_group"): any => {
  const all = Object.values<any>(resources(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type} resource, found ${all.length}`);
  return all[0];
};
/** The kernel, initrd and arguments by boot hash that profiles share (the stack's one local). */
const bootValues = (json: any): Record<string, any> => {
  const locals = Object.values<any>(json.locals ?? {});
  if (locals.length !== 1) throw new Error(`expected one local (the boot values), found ${locals.length}`);
  return locals[0];
};
/** A profile instance by its logical name (Matchbox's own name adds a content hash at apply time), with its boot values. */
const byLogicalName = (json: any, type: "matchbox_profile" | "matchbox_group", name: string): any => {
  const instance = forEachOf(json, type).for_each[name];
  if (!instance || type === "matchbox_group") return instance;
  return { ...instance, ...bootValues(json)[instance.boot_hash] };
};
const logicalNames = (json: any, type: "matchbox_profile" | "matchbox_group") => Object.keys(forEachOf(json, type).for_each).sort();

describe("matchbox-config stack", () => {
  const json = stackJson(fixtureSite);
  const groups = Object.values<any>(forEachOf(json, "matchbox_group").for_each);
  const profile = (name: string) => byLogicalName(json, "matchbox_profile", name);
  const group = (name: string) => byLogicalName(json, "matchbox_group", name);

  test("snapshot", () => {
    expect(structureOnly(json)).toMatchSnapshot();
  });

  test("one profile per installing machine, shared maintenance and rescue profiles", () => {
    expect(logicalNames(json, "matchbox_profile")).toEqual(["rescue", "talos-fixture-cp-1", "talos-fixture-cp-2", "talos-fixture-worker-1", "talos-maintenance"]);
    const withoutRescue = bootPlan(siteFrom((v) => delete v.rescue), []).profiles;
    expect(withoutRescue.map((p) => p.name)).toEqual(["talos-maintenance"]);
  });

  test("Talos PXE arguments: Talos's, the site's, the machine's; initrd= names the initramfs loaded; talos.config reaches /generic through the tunnel", () => {
    const talos = [
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
      // The fixture site's talos.kernelArgs.
      "console=ttyS0,115200n8",
    ];
    // Escaped for Terraform: Matchbox must store ${mac:hexhyp} for iPXE to expand.
    const configUrl = "talos.config=http://10.99.0.1:8080/generic?mac=$${mac:hexhyp}";
    // Where Talos reports (the gateway's tunnel IP, the receiver's ports), on every Talos profile.
    const reports = ["talos.events.sink=10.99.0.1:4002", "talos.logging.kernel=tcp://10.99.0.1:4001"];
    expect(profile("talos-fixture-cp-1").args).toEqual([...talos, "console=ttyS1,115200n8", ...reports, configUrl]);
    expect(profile("talos-fixture-cp-2").args).toEqual([...talos, ...reports, configUrl]);
    for (const name of ["talos-fixture-cp-1", "talos-fixture-cp-2", "talos-fixture-worker-1"]) {
      const p = profile(name);
      expect(p.kernel).toBe("/assets/talos/v1.13.9/kernel-amd64");
      expect(p.initrd).toEqual(["/assets/talos/v1.13.9/initramfs-amd64.xz"]);
      expect(p.initrd[0].endsWith(`/${p.args[0].slice("initrd=".length)}`)).toBe(true);
    }
    // Maintenance has no config URL: the receiver learns the booting NIC's MAC from netboot.mac= (discovery).
    expect(profile("talos-maintenance").args).toEqual([...talos, ...reports, "netboot.mac=$${mac:hexhyp}"]);
    // Only a machine's own profile serves a generated config (the next test).
    expect(profile("talos-maintenance").machine).toBe("");
    expect(profile("talos-fixture-cp-1").machine).toBe("fixture-cp-1");
  });

  test("each installing machine's /generic is its own generated config, escaped once for Matchbox's Go template", () => {
    const configs = json.data.talos_machine_configuration as Record<string, any>;
    expect(Object.keys(configs)).toHaveLength(1);
    const [id] = Object.keys(configs);
    expect(forEachOf(json, "matchbox_profile").generic_config).toBe(
      `\${each.value.machine == "" ? null : replace(data.talos_machine_configuration.${id}[each.value.machine].machine_configuration, "{{", "{{\\"{{\\"}}")}`,
    );
    expect(Object.keys(configs[id].for_each)).toEqual(["fixture-cp-1", "fixture-cp-2", "fixture-worker-1"]);
    expect(configs[id].for_each["fixture-cp-1"].machine_type).toBe("controlplane");
    expect(configs[id]).toMatchObject({
      cluster_name: "fixture-cluster",
      cluster_endpoint: "https://10.0.20.31:6443",
      machine_type: "${each.value.machine_type}",
      config_patches: "${each.value.config_patches}",
      talos_version: "v1.13.9",
      kubernetes_version: "v1.36.3",
      docs: false,
      examples: false,
    });
    expect(configs[id].machine_secrets).toMatch(/^\$\{talos_machine_secrets\.talos-configs_secrets_\w+\.machine_secrets\}$/);
  });

  test("config patches: netboot's own (the machine's own schematic's installer), then the site's file, then the machine's, as written", () => {
    const configs = json.data.talos_machine_configuration as Record<string, any>;
    const of = (machine: string) => Object.values<any>(configs)[0].for_each[machine].config_patches as string[];
    const [own, hostname, eventSink, kmsgLog, site] = of("fixture-cp-1");
    expect(own).toMatch(/^ {4}image: "factory\.talos\.dev\/metal-installer\/\$\{talos_image_factory_schematic\.talos-configs_schematic-\w+\.id\}:v1\.13\.9"$/m);
    expect(hostname).toBe('apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: fixture-cp-1\nauto: "off"\n');
    // The installed system reports too (Talos v1.13.9 runtime/event_sink.go, kmsg_log.go).
    expect(eventSink).toBe("apiVersion: v1alpha1\nkind: EventSinkConfig\nendpoint: 10.99.0.1:4002\n");
    expect(kmsgLog).toBe("apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: netboot-boot-reports\nurl: tcp://10.99.0.1:4001\n");
    expect(site).toBe(readFileSync(join(FIXTURES, "site/patches/all-machines.yaml"), "utf8"));
    expect(of("fixture-worker-1").slice(4)).toEqual(["all-machines.yaml", "worker-1.yaml"].map((f) => readFileSync(join(FIXTURES, "site/patches", f), "utf8")));
    // One schematic per distinct set of kernel arguments, carrying the schematic's, the site's and the machine's.
    const schematics = Object.values<any>(json.resource.talos_image_factory_schematic).map((s) => s.schematic).sort();
    expect(schematics).toEqual([
      "customization:\n  extraKernelArgs:\n    - console=ttyS0,115200n8\n",
      "customization:\n  extraKernelArgs:\n    - console=ttyS0,115200n8\n    - console=ttyS1,115200n8\n",
    ]);
  });

  test("cluster secrets once, protected from replacement; talosctl's client config is a sensitive output", () => {
    const secrets = Object.values<any>(json.resource.talos_machine_secrets);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatchObject({ talos_version: "v1.13.9", lifecycle: { prevent_destroy: true, ignore_changes: ["talos_version"] } });
    expect(json.import).toBeUndefined();
    expect(json.output.talosconfig).toMatchObject({ sensitive: true, value: expect.stringMatching(/^\$\{data\.talos_client_configuration\.\S+\.talos_config\}$/) });
    const client = Object.values<any>(json.data.talos_client_configuration)[0];
    expect(client).toMatchObject({ cluster_name: "fixture-cluster", endpoints: ["10.0.20.31"], nodes: ["10.0.20.31"] });
  });

  test("an existing cluster's secrets are imported from its secrets file, never generated", () => {
    const existing = stackJson(fixtureSiteFrom((v) => Object.assign(v.talos.cluster, { existing: true, secretsFile: "/home/op/netboot-talos/secrets.yaml" })));
    expect(existing.import).toEqual([{ id: "/home/op/netboot-talos/secrets.yaml", to: expect.stringMatching(/^talos_machine_secrets\.talos-configs_secrets_\w+$/) }]);
    expect(() => fixtureSiteFrom((v) => (v.talos.cluster.existing = true))).toThrow(/talos\.cluster\.secretsFile: missing: talos\.cluster\.existing is true, so the cluster's secrets must be imported, never generated/);
  });

  test("names end in a content hash and every profile and group is created before the old one is destroyed (no 404 window)", () => {
    for (const type of ["matchbox_profile", "matchbox_group"] as const) expect(forEachOf(json, type).lifecycle).toEqual({ create_before_destroy: true });
    // A shared profile: <name>-<hash of its boot values>; a machine's profile: <name>-<hash of its boot values and its generated config> (known at apply).
    expect(profile("talos-maintenance").boot_hash).toMatch(/^[0-9a-f]{10}$/);
    expect(forEachOf(json, "matchbox_profile").name).toMatch(
      /^\$\{each\.value\.machine == "" \? "\$\{each\.key\}-\$\{each\.value\.boot_hash\}" : "\$\{each\.key\}-\$\{substr\(nonsensitive\(sha256\("\$\{each\.value\.boot_hash\}\\n\$\{replace\(data\.talos_machine_configuration\.talos-configs_\w+\[each\.value\.machine\]\.machine_configuration, "\{\{", "\{\{\\"\{\{\\"\}\}"\)\}"\)\), 0, 10\)\}"\}$/,
    );
    // A group: <name>-<hash of its profile's name and its own content>.
    expect(group("fixture-cp-1").content_hash).toMatch(/^[0-9a-f]{10}$/);
    expect(forEachOf(json, "matchbox_group").name).toMatch(/^\$\{each\.key\}-\$\{substr\(sha256\("\$\{matchbox_profile\.boot_profiles_\w+\[each\.value\.profile\]\.name\}\\n\$\{each\.value\.content_hash\}"\), 0, 10\)\}$/);
    // Another rescue argument: other boot values, so another name: the new profile never overwrites the old one's file.
    const changed = stackJson(fixtureSiteFrom((v) => v.rescue.args.push("toram")));
    expect(byLogicalName(changed, "matchbox_profile", "rescue").boot_hash).not.toBe(profile("rescue").boot_hash);
  });

  test("one group per machine, selector = canonical MAC only, metadata for Matchbox's logs", () => {
    // fixture-disk boots from its disk, so it has no group.
    expect(logicalNames(json, "matchbox_group")).toEqual(["fixture-cp-1", "fixture-cp-2", "fixture-maintenance", "fixture-rescue", "fixture-worker-1"]);
    for (const g of groups) {
      expect(Object.keys(g.selector)).toEqual(["mac"]);
      expect(g.selector.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    }
    expect(group("fixture-cp-1").profile).toBe("talos-fixture-cp-1");
    expect(forEachOf(json, "matchbox_group").profile).toMatch(/^\$\{matchbox_profile\.boot_profiles_\w+\[each\.value\.profile\]\.name\}$/);
    expect(group("fixture-cp-1").metadata).toEqual({ name: "fixture-cp-1", mac: "02:6e:62:00:00:01" });
  });

  test("no catch-all group (an empty selector would serve a cluster config to any MAC)", () => {
    expect(groups.every((g) => g.selector && Object.keys(g.selector).length > 0)).toBe(true);
  });

  test("pasted MAC spellings are written in canonical form", () => {
    expect(group("fixture-worker-1").selector.mac).toBe("02:6e:62:00:00:04");
    const other = stackJson(withMachines((m) => (m[0].mac = "0E6E.6200.0001")));
    expect(byLogicalName(other, "matchbox_group", "fixture-cp-1").selector.mac).toBe("0e:6e:62:00:00:01");
  });

  test("boot modes: maintenance → maintenance profile, disk → no group, rescue → rescue profile when configured", () => {
    const other = stackJson(withMachines((m) => ((m[0].boot = "maintenance"), (m[1].boot = "disk"))));
    expect(byLogicalName(other, "matchbox_group", "fixture-cp-1").profile).toBe("talos-maintenance");
    expect(byLogicalName(other, "matchbox_group", "fixture-cp-2")).toBeUndefined();
    expect(byLogicalName(other, "matchbox_profile", "talos-fixture-cp-1")).toBeUndefined();
    expect(byLogicalName(other, "matchbox_group", "fixture-rescue").profile).toBe("rescue");

    const rescueSite = fixtureSiteFrom((v) => {
      v.rescue = { kernelUrl: "https://example.org/rescue/vmlinuz", kernelSha256: "a".repeat(64), initrdUrl: "https://example.org/rescue/initrd.img", initrdSha256: "b".repeat(64), args: ["boot=live"] };
    });
    const rescue = byLogicalName(stackJson(rescueSite), "matchbox_profile", "rescue");
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
    const dir = repoTempDir("bad-inv");
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
});

describe("Talos kernel arguments", () => {
  test("the schematic's extraKernelArgs follow Talos's own arguments in every Talos profile, before talos.config", () => {
    const site = siteFrom((v) => (v.talos.schematicExtraKernelArgs = ["console=ttyS2,115200n8", "net.ifnames=0"]));
    const plan = bootPlan(site, fixtureSite.machines);
    const talosProfiles = plan.profiles.filter((p) => p.name !== "rescue");
    expect(talosProfiles).toHaveLength(4);
    for (const { args } of talosProfiles) {
      const at = args.indexOf("proc_mem.force_override=never");
      // Then the site's talos.kernelArgs.
      expect(args.slice(at + 1, at + 4)).toEqual(["console=ttyS2,115200n8", "net.ifnames=0", "console=ttyS0,115200n8"]);
      // netboot's report arguments come after everything the site and the machine add, then
      // talos.config (installing) or netboot.mac (maintenance): exactly one of them, last.
      const sink = args.indexOf("talos.events.sink=10.99.0.1:4002");
      expect(args.slice(sink, sink + 2)).toEqual(["talos.events.sink=10.99.0.1:4002", "talos.logging.kernel=tcp://10.99.0.1:4001"]);
      expect(args.slice(sink + 2)).toHaveLength(1);
      expect(args[sink + 2]).toMatch(/^(talos\.config=|netboot\.mac=\$\{mac:hexhyp\}$)/);
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
  const store = plannedMatchboxStore(fixtureSite);
  const preview = (mac: string, site: NetbootSite = fixtureSite, s = store) => previewBoot(site, s, mac);

  test("a known control-plane MAC gets its group, its profile and the exact iPXE script", () => {
    const result = preview("02:6e:62:00:00:01");
    expect(result.kind).toBe("boot");
    if (result.kind !== "boot") return;
    expect(result.group.name).toBe("fixture-cp-1");
    expect(result.profile.name).toBe("talos-fixture-cp-1");
    expect(result.ipxe).toBe(
      "#!ipxe\n" +
        "kernel /assets/talos/v1.13.9/kernel-amd64 initrd=initramfs-amd64.xz talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 " +
        "nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1 proc_mem.force_override=never console=ttyS0,115200n8 console=ttyS1,115200n8 " +
        "talos.events.sink=10.99.0.1:4002 talos.logging.kernel=tcp://10.99.0.1:4001 talos.config=http://10.99.0.1:8080/generic?mac=${mac:hexhyp}\n" +
        "initrd /assets/talos/v1.13.9/initramfs-amd64.xz\n" +
        "boot\n",
    );
    expect(formatPreview(result, "http://10.99.0.1:8080")).toContain("# http://10.99.0.1:8080/ipxe?mac=02-6e-62-00-00-01");
  });

  test("where each kernel argument applies, and the machine's Talos config patches", () => {
    const result = preview("02:6e:62:00:00:01");
    if (result.kind !== "boot") throw new Error(result.kind);
    const origin = (arg: string) => result.args.find((a) => a.arg === arg);
    expect(origin("initrd=initramfs-amd64.xz")).toEqual({ arg: "initrd=initramfs-amd64.xz", from: "iPXE: names the initramfs it loaded", installed: false });
    expect(origin("console=tty0")).toEqual({ arg: "console=tty0", from: "Talos v1.13.9 metal defaults", installed: true });
    expect(origin("console=ttyS0,115200n8")).toEqual({ arg: "console=ttyS0,115200n8", from: "the site (talos.kernelArgs)", installed: true });
    expect(origin("console=ttyS1,115200n8")).toEqual({ arg: "console=ttyS1,115200n8", from: "this machine (kernelArgs)", installed: true });
    expect(result.args.find((a) => a.arg.startsWith("talos.config="))).toMatchObject({ installed: false });
    // The report arguments are PXE only: the installed system reports through its config's EventSinkConfig and KmsgLogConfig.
    expect(origin("talos.events.sink=10.99.0.1:4002")).toEqual({ arg: "talos.events.sink=10.99.0.1:4002", from: "netboot: Talos's events to the boot-report receiver", installed: false });
    expect(origin("talos.logging.kernel=tcp://10.99.0.1:4001")).toEqual({ arg: "talos.logging.kernel=tcp://10.99.0.1:4001", from: "netboot: the kernel log to the boot-report receiver", installed: false });
    const text = formatPreview(result, "http://10.99.0.1:8080");
    expect(text).toContain("kind: EventSinkConfig\nendpoint: 10.99.0.1:4002");
    expect(text).toMatch(/^ {2}talos\.events\.sink=10\.99\.0\.1:4002 +PXE only {3}netboot: Talos's events to the boot-report receiver$/m);
    expect(text).toMatch(/^ {2}console=ttyS1,115200n8 +installed {2}this machine \(kernelArgs\)$/m);
    expect(text).toContain('    diskSelector:\n      model: LOGICAL VOLUME\n      size: ">= 100GB"\n    image: "factory.talos.dev/metal-installer/<id of the schematic below>:v1.13.9"');
    expect(text).toContain("  nodeLabels:\n    topology.kubernetes.io/zone: rack-1\n    netboot.example/chassis: dl360-gen9\n");
    expect(text).toContain("# patch file test/fixtures/site/patches/all-machines.yaml (passed as written)");
    expect(text).toContain("Installer schematic (Image Factory; its arguments reach the installed system):\ncustomization:\n  extraKernelArgs:\n    - console=ttyS0,115200n8\n    - console=ttyS1,115200n8\n");
  });

  test("another spelling of the MAC selects the same machine (as Matchbox normalizes it)", () => {
    const result = preview("02-6E-62-00-00-04");
    expect(result.kind === "boot" && [result.group.name, result.profile.name]).toEqual(["fixture-worker-1", "talos-fixture-worker-1"]);
  });

  test("a machine in maintenance boots Talos without a config", () => {
    const site = withMachines((m) => (m[1].boot = "maintenance"));
    const result = preview("02:6e:62:00:00:02", site, plannedMatchboxStore(site));
    expect(result.kind === "boot" && result.profile.name).toBe("talos-maintenance");
    expect(result.kind === "boot" && result.ipxe).not.toContain("talos.config");
    // It reports all the same: Talos reads the sink and kernel-log arguments without any config (maintenance mode too),
    // and the kernel prints the NIC's MAC (iPXE expands it) for the receiver.
    expect(result.kind === "boot" && result.ipxe).toMatch(/ talos\.events\.sink=10\.99\.0\.1:4002 talos\.logging\.kernel=tcp:\/\/10\.99\.0\.1:4001 netboot\.mac=\$\{mac:hexhyp\}\n/);
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

  test("the preview's profiles are what the stack writes: the same arguments, Terraform-escaped in the JSON", () => {
    const json = stackJson(fixtureSite);
    for (const [name, p] of store.profiles) {
      expect(byLogicalName(json, "matchbox_profile", name).args.map(terraformLiteralValue)).toEqual(p.args);
    }
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
    runCommand("boot-preview", [mac], { env: { SITE_CONFIG: FIXTURE_SITE_FILE } });

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
  /**
   * Every resource and data source of the matchbox-config stack, keyed by type
   * and logical id, without cdktf metadata; each for_each instance and each
   * entry of a local on its own (`…["key"]`), and each moved block.
   */
  const flatten = (site: NetbootSite) => {
    const out = new Map<string, string>();
    const json = stackJson(site);
    const all = { ...json.resource, ...Object.fromEntries(Object.entries<any>(json.data).map(([t, v]) => [`data.${t}`, v])) };
    for (const [type, byId] of Object.entries<Record<string, any>>(all)) {
      for (const [id, body] of Object.entries(byId)) {
        const { ["//"]: _meta, for_each: instances, ...rest } = body;
        out.set(`${type}.${id}`, JSON.stringify(rest));
        for (const [key, value] of Object.entries(instances ?? {})) out.set(`${type}.${id}[${JSON.stringify(key)}]`, JSON.stringify(value));
      }
    }
    for (const [name, entries] of Object.entries<Record<string, unknown>>(json.locals ?? {})) {
      for (const [key, value] of Object.entries(entries)) out.set(`local.${name}[${JSON.stringify(key)}]`, JSON.stringify(value));
    }
    for (const { from, to } of json.moved ?? []) out.set(`moved ${from}`, to);
    return out;
  };
  const diff = (before: Map<string, string>, after: Map<string, string>) => ({
    added: [...after.keys()].filter((k) => !before.has(k)).sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort(),
  });
  const base = flatten(fixtureSite);

  // A machine's own entries, in sorted order: its config, its group, its profile, and the moved blocks from their 0.1 addresses.
  const own = (machine: string) => [
    expect.stringMatching(new RegExp(`^data\\.talos_machine_configuration\\.talos-configs_\\w+\\["${machine}"\\]$`)),
    expect.stringMatching(new RegExp(`^matchbox_group\\.boot_groups_\\w+\\["${machine}"\\]$`)),
    expect.stringMatching(new RegExp(`^matchbox_profile\\.boot_profiles_\\w+\\["talos-${machine}"\\]$`)),
    expect.stringMatching(new RegExp(`^moved matchbox_group\\.boot_group-${machine}_\\w+$`)),
    expect.stringMatching(new RegExp(`^moved matchbox_profile\\.boot_profile-talos-${machine}_\\w+$`)),
  ];

  test("adding a machine adds its config, its profile and its group, and nothing else", () => {
    const after = flatten(withMachines((m) => m.push({ name: "fixture-worker-9", mac: "02:6e:62:00:00:99", role: "worker" })));
    expect(diff(base, after)).toEqual({ added: own("fixture-worker-9"), removed: [], changed: [] });
  });

  test("switching a machine to disk removes its config, profile and group, and nothing else", () => {
    const after = flatten(withMachines((m) => (m[2].boot = "disk")));
    expect(diff(base, after)).toEqual({ added: [], removed: own("fixture-worker-1"), changed: [] });
  });

  test("putting a machine into maintenance changes its group and drops its config, profile, own schematic and own boot values", () => {
    const after = flatten(withMachines((m) => (m[0].boot = "maintenance")));
    const [config, group, profile, movedGroup, movedProfile] = own("fixture-cp-1");
    expect(diff(base, after)).toEqual({
      added: [],
      // fixture-cp-1 alone has its own kernel arguments: its boot values and its schematic go with it.
      removed: [config, expect.stringMatching(/^local\.boot_boot-values_\w+\["[0-9a-f]{10}"\]$/), profile, movedProfile, expect.stringMatching(/^talos_image_factory_schematic\./)],
      changed: [group],
    });
    expect(movedGroup).toBeDefined();
  });
});
