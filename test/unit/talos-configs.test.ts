import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseInventory, type Machine } from "../../lib/input/inventory";
import { bootPlan, INSTALLER_IMAGE_PLACEHOLDER } from "../../lib/model/matchbox/boot-plan";
import { machineSchematic, netbootMachinePatches, usesHostnameConfig } from "../../lib/model/talos/machine-patches";
import { DataFileError, YamlSource } from "../../lib/input/yaml-source";
import { siteFrom } from "../support/site";
import { REPO_ROOT } from "../../lib/input/settings";

/** One inventory entry on the fixture site (or a variant), parsed as `npm run validate` does. */
function machine(entry: Record<string, unknown>, site = siteFrom()): Machine {
  return parseInventory(YamlSource.parse(stringify({ machines: [{ name: "m1", mac: "02:6e:62:00:01:01", role: "controlplane", ...entry }] }), "machines.yaml"), site)[0];
}

/** Every problem the inventory entry gets, one line each. */
function problems(entry: Record<string, unknown>, site = siteFrom()): string[] {
  try {
    machine(entry, site);
  } catch (err) {
    if (err instanceof DataFileError) return err.message.split("\n").slice(1).map((l) => l.trim());
    throw err;
  }
  throw new Error("expected the entry to be refused");
}

const IMAGE = "factory.talos.dev/metal-installer/abc:v1.13.9";

describe("netboot's Talos patches, per inventory shape (exact YAML)", () => {
  test("static address, install disk path: the NIC by MAC with its address and default route; HostnameConfig with auto off", () => {
    const site = siteFrom();
    expect(netbootMachinePatches(site, machine({ address: "10.0.20.50", installDisk: "/dev/nvme0n1" }, site), IMAGE)).toEqual([
      [
        "machine:",
        "  install:",
        "    disk: /dev/nvme0n1",
        `    image: ${IMAGE}`,
        "  network:",
        "    interfaces:",
        "      - deviceSelector:",
        "          hardwareAddr: 02:6e:62:00:01:01",
        "        dhcp: false",
        "        addresses:",
        "          - 10.0.20.50/24",
        "        routes:",
        "          - network: 0.0.0.0/0",
        "            gateway: 10.0.20.1",
        "",
      ].join("\n"),
      'apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: m1\nauto: "off"\n',
      // Where the installed system reports: the boot-report receiver at the gateway's tunnel IP
      // (kinds and fields of Talos v1.13.9 pkg/machinery/config/types/runtime/event_sink.go and kmsg_log.go).
      "apiVersion: v1alpha1\nkind: EventSinkConfig\nendpoint: 10.99.0.1:4002\n",
      "apiVersion: v1alpha1\nkind: KmsgLogConfig\nname: netboot-boot-reports\nurl: tcp://10.99.0.1:4001\n",
    ]);
  });

  test("DHCP, a disk selector, labels and taints; values YAML 1.1 would misread are quoted", () => {
    const site = siteFrom();
    const m = machine(
      {
        hostname: "m1.lab.example",
        installDiskSelector: { size: ">= 1TB", type: "ssd", model: "on" },
        nodeLabels: { "example.com/rack": "12", "example.com/flag": "yes" },
        nodeTaints: ["example.com/dedicated=storage:NoSchedule", "example.com/quiet:PreferNoSchedule"],
      },
      site,
    );
    expect(netbootMachinePatches(site, m, IMAGE)[0]).toBe(
      [
        "machine:",
        "  install:",
        "    diskSelector:",
        '      size: ">= 1TB"',
        "      type: ssd",
        '      model: "on"',
        `    image: ${IMAGE}`,
        "  network:",
        "    interfaces:",
        "      - deviceSelector:",
        "          hardwareAddr: 02:6e:62:00:01:01",
        "        dhcp: true",
        "  nodeLabels:",
        '    example.com/rack: "12"',
        '    example.com/flag: "yes"',
        "  nodeTaints:",
        "    example.com/dedicated: storage:NoSchedule",
        "    example.com/quiet: PreferNoSchedule",
        "",
      ].join("\n"),
    );
    expect(netbootMachinePatches(site, m, IMAGE)[1]).toContain("hostname: m1.lab.example\n");
  });

  test("Talos before 1.12 gets machine.network.hostname and no HostnameConfig document", () => {
    expect(usesHostnameConfig("v1.11.5")).toBe(false);
    expect(usesHostnameConfig("v1.12.0")).toBe(true);
    const site = siteFrom((v) => (v.talos.version = "v1.11.5"));
    const patches = netbootMachinePatches(site, machine({}, site), IMAGE);
    expect(patches.map((p) => p.match(/^kind: (\w+)$/m)?.[1] ?? "v1alpha1")).toEqual(["v1alpha1", "EventSinkConfig", "KmsgLogConfig"]);
    expect(patches[0]).toContain("    hostname: m1\n");
  });

  test("kernel arguments: the site's and the machine's go into the machine's own schematic, after the schematic's own", () => {
    const site = siteFrom((v) => Object.assign(v.talos, { schematicExtraKernelArgs: ["net.ifnames=0"], extensions: ["siderolabs/iscsi-tools"] }));
    const m = machine({ kernelArgs: ["console=ttyS1,115200n8"] }, site);
    expect(machineSchematic(site, m)).toBe(
      [
        "customization:",
        "  extraKernelArgs:",
        "    - net.ifnames=0",
        "    - console=ttyS0,115200n8",
        "    - console=ttyS1,115200n8",
        "  systemExtensions:",
        "    officialExtensions:",
        "      - siderolabs/iscsi-tools",
        "",
      ].join("\n"),
    );
    // No arguments of its own and none from the site: the site's schematic serves.
    const plain = siteFrom((v) => (v.talos.kernelArgs = []));
    expect(machineSchematic(plain, machine({}, plain))).toBeUndefined();
  });

  test("patch files follow netboot's patches: the site's, then the machine's", () => {
    const site = siteFrom();
    const m = machine({ patches: ["test/fixtures/site/patches/worker-1.yaml"] }, site);
    const [spec] = bootPlan(site, [m]).talosConfigs;
    expect(spec.patchFiles).toEqual(["test/fixtures/site/patches/all-machines.yaml", "test/fixtures/site/patches/worker-1.yaml"]);
    expect(spec.patches[0]).toContain(`image: "${INSTALLER_IMAGE_PLACEHOLDER}"`);
  });
});

describe("bad Talos fields in the inventory: file, entry and field named", () => {
  // Inside the repository, as patch files must be (ignored by git: test/.tmp-*).
  const dir = mkdtempSync(join(REPO_ROOT, "test", ".tmp-patches-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "list.yaml"), "- a\n- b\n");
  writeFileSync(join(dir, "broken.yaml"), "machine: [\n");
  // Outside the repository: a file and a directory, reached through links inside it.
  const outside = mkdtempSync(join(tmpdir(), "netboot-patch-outside-"));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, "p.yaml"), "machine:\n  kubelet: {}\n");
  symlinkSync(join(outside, "p.yaml"), join(dir, "link.yaml"));
  symlinkSync(outside, join(dir, "outside-dir"));
  execFileSync("mkfifo", [join(dir, "fifo.yaml")]);

  test("each problem is placed on its field's own line, not the entry's first line", () => {
    const text = [
      "machines:",
      "  - name: m1", // 2
      "    mac: 02:6e:62:00:01:01",
      "    role: controlplane",
      "    kernelArgs:",
      "      - console=ttyS1,115200n8",
      "      - talos.config=http://elsewhere/", // 7
      "    nodeLabels:",
      "      kubernetes.io/role: x", // 9
      "    patches:",
      `      - ${join(dir, "missing.yaml")}`, // 11
    ].join("\n");
    let err: unknown;
    try {
      parseInventory(YamlSource.parse(text, "machines.yaml"), siteFrom());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as DataFileError).problems.map((p) => [p.field, p.line])).toEqual([
      ["machines[0].kernelArgs[1]", 7],
      ["machines[0].nodeLabels.kubernetes.io/role", 9],
      ["machines[0].patches[0]", 11],
    ]);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["both installDisk and installDiskSelector", { installDisk: "/dev/sda", installDiskSelector: { type: "ssd" } }, /machines\[0\]\.installDiskSelector: give either installDisk or installDiskSelector, not both/],
    ["an install disk that leaves /dev", { installDisk: "/dev/../etc/passwd" }, /machines\[0\]\.installDisk: \/dev\/\.\.\/etc\/passwd leaves \/dev/],
    ["an unknown selector field", { installDiskSelector: { vendor: "HP" } }, /installDiskSelector\.vendor: unknown field; allowed here: size, name, model, serial, modalias, uuid, wwid, type, busPath/],
    ["an empty selector", { installDiskSelector: {} }, /installDiskSelector: {2}must NOT have fewer than 1 properties|installDiskSelector: must NOT have fewer than 1 properties/],
    ["a kernel argument with a space", { kernelArgs: ["console=ttyS1 quiet"] }, /kernelArgs\[0\]: "console=ttyS1 quiet" is not one kernel argument/],
    ["a kernel argument the profile owns", { kernelArgs: ["talos.config=http://evil/"] }, /kernelArgs\[0\]: talos\.config= is set by the boot profile itself/],
    ["a repeated kernel argument", { kernelArgs: ["console=ttyS0,115200n8"] }, /kernelArgs\[0\]: console=ttyS0,115200n8 is already on the command line/],
    ["a label key that is not a qualified name", { nodeLabels: { "bad key": "x" } }, /nodeLabels\.bad key: "bad key": the name must be 1-63 characters/],
    ["a label under kubernetes.io a node may not set", { nodeLabels: { "node-role.kubernetes.io/storage": "" } }, /nodeLabels\.node-role\.kubernetes\.io\/storage: .*NodeRestriction/],
    ["a label value too long", { nodeLabels: { "example.com/a": "x".repeat(64) } }, /nodeLabels\.example\.com\/a: "x{64}": a label value must be at most 63 characters/],
    ["a taint without effect", { nodeTaints: ["example.com/a=b"] }, /nodeTaints\[0\]: "example\.com\/a=b" has no effect; write key\[=value\]:Effect/],
    ["a taint with an unknown effect", { nodeTaints: ["example.com/a=b:Never"] }, /nodeTaints\[0\]: "example\.com\/a=b:Never": effect "Never"; allowed: NoSchedule, PreferNoSchedule, NoExecute/],
    ["two taints with one key", { nodeTaints: ["example.com/a:NoSchedule", "example.com/a=x:NoExecute"] }, /nodeTaints\[1\]: a second taint with key "example\.com\/a"/],
    ["a taint on a worker", { role: "worker", nodeTaints: ["example.com/a:NoSchedule"] }, /nodeTaints: Talos applies node taints with the node's own credentials/],
    ["a patch file that does not exist", { patches: ["patches/missing.yaml"] }, /patches\[0\]: "patches\/missing\.yaml" does not exist; a patch file is reviewed data that CI deploys from/],
    ["a patch file outside the repository", { patches: [join(tmpdir(), "netboot-outside.yaml")] }, /patches\[0\]: ".*netboot-outside\.yaml" is outside the repository; a patch file is reviewed data/],
    ["a patch file that is a list", { patches: [join(dir, "list.yaml")] }, /patches\[0\]: ".*list\.yaml" document 1 is not a mapping/],
    ["a patch file with a YAML error", { patches: [join(dir, "broken.yaml")] }, /patches\[0\]: ".*broken\.yaml" document 1: YAML syntax/],
    ["a patch file that is a symlink to a file outside the repository", { patches: [join(dir, "link.yaml")] }, /patches\[0\]: ".*link\.yaml" resolves through a symbolic link to a file outside the repository; a patch file is reviewed data/],
    ["a patch file in a symlinked directory outside the repository", { patches: [join(dir, "outside-dir", "p.yaml")] }, /patches\[0\]: ".*outside-dir\/p\.yaml" resolves through a symbolic link to a file outside the repository/],
    ["a patch file that is a FIFO", { patches: [join(dir, "fifo.yaml")] }, /patches\[0\]: ".*fifo\.yaml" is a FIFO \(named pipe\), not a regular file/],
  ])("%s", (_name, entry, message) => {
    const found = problems(entry);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^machines\.yaml:\d+: machine "m1": /);
    expect(found[0]).toMatch(message);
  });
});

describe("bad Talos settings: file and field named", () => {
  const problemsOf = (edit: (v: Record<string, any>) => void): string[] => {
    try {
      siteFrom(edit);
    } catch (err) {
      if (err instanceof DataFileError) return err.message.split("\n").slice(1).map((l) => l.trim());
      throw err;
    }
    throw new Error("expected the settings to be refused");
  };

  test.each<[string, (v: Record<string, any>) => void, RegExp]>([
    ["an existing cluster without its secrets file", (v) => (v.talos.cluster.existing = true), /talos\.cluster\.secretsFile: missing: talos\.cluster\.existing is true/],
    ["a secrets file inside the repository", (v) => Object.assign(v.talos.cluster, { existing: true, secretsFile: `${process.cwd()}/secrets.yaml` }), /talos\.cluster\.secretsFile: .*must stay outside the repository/],
    ["a secrets file for a new cluster", (v) => (v.talos.cluster.secretsFile = "/home/op/secrets.yaml"), /talos\.cluster\.secretsFile: only for an existing cluster/],
    ["an endpoint that is not https://host:port", (v) => (v.talos.cluster.endpoint = "https://10.0.20.10:6443/api"), /talos\.cluster\.endpoint: got "https:\/\/10\.0\.20\.10:6443\/api"; does not have the expected form/],
    ["a site kernel argument with a newline", (v) => (v.talos.kernelArgs = ["quiet\nboot"]), /talos\.kernelArgs\[0\]: "quiet\\nboot" is not one kernel argument/],
    ["a site kernel argument Talos already sets", (v) => (v.talos.kernelArgs = ["console=tty0"]), /talos\.kernelArgs\[0\]: console=tty0 is already on the command line/],
    ["a site patch file that does not exist", (v) => (v.talos.patches = ["nope.yaml"]), /talos\.patches\[0\]: "nope\.yaml" does not exist; a patch file is reviewed data/],
    ["no Kubernetes version", (v) => delete v.talos.kubernetesVersion, /talos: missing required field "kubernetesVersion"/],
  ])("%s", (_name, edit, message) => {
    expect(problemsOf(edit).join("\n")).toMatch(message);
  });
});
