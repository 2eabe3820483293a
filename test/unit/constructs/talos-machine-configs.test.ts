import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GO_TEMPLATE_LITERAL_BRACES, goTemplateLiteral, TalosMachineConfigs, type TalosMachineConfigsProps } from "../../../constructs/talos-machine-configs";
import { INSTALLER_IMAGE_PLACEHOLDER, type TalosConfigSpec } from "../../../lib/model/matchbox/boot-plan";
import type { SiteSettings } from "../../../lib/input/settings";
import { siteFrom } from "../../support/site";
import { build, dataOf, onlyOf, resourceTypes, resourcesOf, type Built, type Json } from "./support";

// The fixture site's talos settings and patch files (test/fixtures/site).
const SITE_PATCH = "test/fixtures/site/patches/all-machines.yaml";
const WORKER_PATCH = "test/fixtures/site/patches/worker-1.yaml";
const readPatch = (path: string) => readFileSync(join(__dirname, "../../..", path), "utf8");
const PATCH_FILES: ReadonlyMap<string, string> = new Map([SITE_PATCH, WORKER_PATCH].map((p) => [p, readPatch(p)]));
const FIXTURE_SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";

// netboot's own patches, shortened: the placeholder for the installer image,
// and a value with Terraform template syntax that Talos must receive as written.
const installPatch = (disk: string) => `machine:\n  install:\n    disk: ${disk}\n    image: ${INSTALLER_IMAGE_PLACEHOLDER}\n`;
const LABEL_PATCH = 'machine:\n  nodeLabels:\n    netboot.example/note: "${not_terraform} %{nor_this}"\n';
const WORKER_SCHEMATIC = "customization:\n  extraKernelArgs:\n    - console=ttyS1,115200n8\n";

const CP1: TalosConfigSpec = { machine: "fixture-cp-1", role: "controlplane", patches: [installPatch("/dev/sda"), LABEL_PATCH], patchFiles: [SITE_PATCH], kernelArgs: [] };
const WORKER: TalosConfigSpec = {
  machine: "fixture-worker-1",
  role: "worker",
  schematic: WORKER_SCHEMATIC,
  patches: [installPatch("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4")],
  patchFiles: [SITE_PATCH, WORKER_PATCH],
  kernelArgs: ["console=ttyS1,115200n8"],
};

let talos: SiteSettings["talos"];
function synth(props: Partial<TalosMachineConfigsProps> = {}): Built<TalosMachineConfigs> {
  return build(
    (scope) => new TalosMachineConfigs(scope, "talos", { settings: talos, configs: [CP1, WORKER], patchFiles: PATCH_FILES, controlPlaneAddresses: ["10.0.20.31"], ...props })
  );
}
const withCluster = (cluster: Partial<SiteSettings["talos"]["cluster"]>): SiteSettings["talos"] => ({ ...talos, cluster: { ...talos.cluster, ...cluster } });

const onlyData = (json: Json) => {
  const all = dataOf(json, "talos_machine_configuration");
  if (all.length !== 1) throw new Error(`expected one machine-config data source, found ${all.length}`);
  return all[0];
};
const secretsId = (json: Json) => Object.keys(json.resource.talos_machine_secrets)[0];
/**
 * One machine's config as the provider receives it: the one machine-config data
 * source's arguments, each `${each.value.<field>}` replaced by the machine's
 * instance value (the only per-instance form it uses).
 */
function machineConfig(json: Json, machine: string): { config: any } {
  const all = dataOf(json, "talos_machine_configuration");
  if (all.length !== 1) throw new Error(`expected one machine-config data source, found ${all.length}`);
  const { for_each: instances, ...args } = all[0];
  const values = instances?.[machine];
  if (!values) throw new Error(`expected an instance for ${machine}, found ${Object.keys(instances ?? {}).join(", ")}`);
  const config = Object.fromEntries(
    Object.entries(args).map(([key, value]) => {
      const field = typeof value === "string" ? /^\$\{each\.value\.(\w+)\}$/.exec(value)?.[1] : undefined;
      return [key, field ? values[field] : value];
    }),
  );
  return { config };
}

describe("TalosMachineConfigs", () => {
  // GIVEN the fixture site's talos settings (a new cluster), a control plane
  // using the site's schematic and a worker with its own.
  let fixture: Built<TalosMachineConfigs>;
  beforeAll(() => {
    talos = siteFrom().talos;
    fixture = synth();
  });

  test("the fixture settings are a new cluster on Talos v1.13.9 (what the assertions below rely on)", () => {
    expect(talos).toMatchObject({
      version: "v1.13.9",
      kubernetesVersion: "v1.36.3",
      schematic: FIXTURE_SCHEMATIC,
      cluster: { name: "fixture-cluster", endpoint: "https://10.0.20.31:6443", existing: false },
    });
    expect(talos.cluster.secretsFile).toBeUndefined();
  });

  test("GIVEN settings.version THEN one set of cluster secrets, which a plan can neither destroy nor regenerate on a Talos upgrade", () => {
    expect(resourceTypes(fixture.json)).toEqual(["talos_image_factory_schematic", "talos_machine_secrets"]);
    expect(onlyOf(fixture.json, "talos_machine_secrets")).toEqual({
      talos_version: "v1.13.9",
      lifecycle: { prevent_destroy: true, ignore_changes: ["talos_version"] },
    });
  });

  test("GIVEN a new cluster (existing false) THEN the secrets are generated: no import", () => {
    expect(fixture.json.import).toBeUndefined();
  });

  test("GIVEN an existing cluster with secretsFile THEN the secrets are imported from that file, never generated", () => {
    const { json } = synth({ settings: withCluster({ existing: true, secretsFile: "/home/op/netboot-talos/secrets.yaml" }) });
    expect(json.import).toEqual([{ id: "/home/op/netboot-talos/secrets.yaml", to: `talos_machine_secrets.${secretsId(json)}` }]);
  });

  // The settings check (lib/input/talos/settings-check.ts) refuses these first, with the field.
  test("GIVEN existing without secretsFile, or secretsFile without existing THEN it refuses (never new secrets for an existing cluster)", () => {
    const message = "talos.cluster.existing and talos.cluster.secretsFile go together: an existing cluster's secrets are imported from secretsFile, a new cluster's are generated";
    expect(() => synth({ settings: withCluster({ existing: true }) })).toThrow(message);
    expect(() => synth({ settings: withCluster({ existing: false, secretsFile: "/home/op/secrets.yaml" }) })).toThrow(message);
  });

  test("GIVEN configs THEN one machine config per machine, from the cluster's secrets and the settings' versions, without docs or examples", () => {
    const { json } = fixture;
    // One data source with an instance per machine, keyed by machine name.
    expect(Object.keys(onlyData(json).for_each)).toEqual(["fixture-cp-1", "fixture-worker-1"]);
    expect(onlyData(json)).toMatchObject({ machine_type: "${each.value.machine_type}", config_patches: "${each.value.config_patches}" });
    const { config } = machineConfig(json, "fixture-cp-1");
    expect(config).toEqual({
      cluster_name: "fixture-cluster",
      cluster_endpoint: "https://10.0.20.31:6443",
      machine_type: "controlplane",
      machine_secrets: `\${talos_machine_secrets.${secretsId(json)}.machine_secrets}`,
      talos_version: "v1.13.9",
      kubernetes_version: "v1.36.3",
      config_patches: expect.any(Array),
      docs: false,
      examples: false,
    });
    expect(machineConfig(json, "fixture-worker-1").config.machine_type).toBe("worker");
  });

  test("GIVEN a machine without its own schematic THEN netboot's patches install the site schematic's installer, escaped, then the patch files byte for byte", () => {
    expect(machineConfig(fixture.json, "fixture-cp-1").config.config_patches).toEqual([
      `machine:\n  install:\n    disk: /dev/sda\n    image: factory.talos.dev/metal-installer/${FIXTURE_SCHEMATIC}:v1.13.9\n`,
      'machine:\n  nodeLabels:\n    netboot.example/note: "$${not_terraform} %%{nor_this}"\n',
      readPatch(SITE_PATCH),
    ]);
    // The fixture patch has Go-template braces and quoted values: passed unchanged.
    expect(readPatch(SITE_PATCH)).toContain('content: "site patch {{ not a template }} enabled: \\"on\\""');
  });

  test("GIVEN a machine with its own schematic THEN an Image Factory schematic is created and its installer is used; the site's and machine's patch files follow in order", () => {
    const { json } = fixture;
    const [schematicId] = Object.keys(json.resource.talos_image_factory_schematic);
    expect(json.resource.talos_image_factory_schematic[schematicId]).toEqual({ schematic: WORKER_SCHEMATIC });
    expect(machineConfig(json, "fixture-worker-1").config.config_patches).toEqual([
      `machine:\n  install:\n    disk: /dev/disk/by-id/wwn-0x5000c500a1b2c3d4\n    image: factory.talos.dev/metal-installer/\${talos_image_factory_schematic.${schematicId}.id}:v1.13.9\n`,
      readPatch(SITE_PATCH),
      readPatch(WORKER_PATCH),
    ]);
  });

  test("GIVEN two machines with the same own schematic THEN one Image Factory schematic serves both; a different one adds another", () => {
    const worker2: TalosConfigSpec = { ...WORKER, machine: "fixture-worker-2" };
    const same = synth({ configs: [CP1, WORKER, worker2] }).json;
    expect(resourcesOf(same, "talos_image_factory_schematic")).toHaveLength(1);
    const image = (json: Json, m: string) => machineConfig(json, m).config.config_patches[0].match(/image: (.*)\n/)[1];
    expect(image(same, "fixture-worker-2")).toBe(image(same, "fixture-worker-1"));
    const different = synth({ configs: [CP1, WORKER, { ...worker2, schematic: "customization:\n  extraKernelArgs:\n    - quiet\n" }] }).json;
    expect(resourcesOf(different, "talos_image_factory_schematic")).toHaveLength(2);
    expect(image(different, "fixture-worker-2")).not.toBe(image(different, "fixture-worker-1"));
  });

  test("GIVEN a patch file the site did not load THEN construction throws, naming the file", () => {
    expect(() => synth({ patchFiles: new Map([[SITE_PATCH, readPatch(SITE_PATCH)]]) })).toThrow(
      "the Talos patch file test/fixtures/site/patches/worker-1.yaml was not loaded with the site (NetbootSite.patchFiles)"
    );
    expect(() => synth({ patchFiles: new Map() })).toThrow(
      "the Talos patch file test/fixtures/site/patches/all-machines.yaml was not loaded with the site (NetbootSite.patchFiles)"
    );
  });

  test("genericConfig: the machines with a config, and a machine's generated config (its instance) with every `{{` escaped once for Matchbox's Go templates", () => {
    const { json, construct } = fixture;
    const [id] = Object.keys(json.data.talos_machine_configuration);
    expect([...construct.genericConfig.machines]).toEqual(["fixture-cp-1", "fixture-worker-1"]);
    expect(construct.genericConfig.expression("each.value.machine")).toBe(`replace(data.talos_machine_configuration.${id}[each.value.machine].machine_configuration, "{{", "{{\\"{{\\"}}")`);
    expect(construct.genericConfig.expression('"fixture-cp-1"')).toBe(`replace(data.talos_machine_configuration.${id}["fixture-cp-1"].machine_configuration, "{{", "{{\\"{{\\"}}")`);
    expect(GO_TEMPLATE_LITERAL_BRACES).toBe('{{"{{"}}');
    expect(goTemplateLiteral("x")).toBe('replace(x, "{{", "{{\\"{{\\"}}")');
  });

  test("installer_images: each machine's installer for talosctl upgrade, its own schematic's where it has one, not sensitive", () => {
    const { json } = fixture;
    const [schematicId] = Object.keys(json.resource.talos_image_factory_schematic);
    expect(json.output.installer_images).toEqual({
      value: {
        "fixture-cp-1": `factory.talos.dev/metal-installer/${FIXTURE_SCHEMATIC}:v1.13.9`,
        "fixture-worker-1": `factory.talos.dev/metal-installer/\${talos_image_factory_schematic.${schematicId}.id}:v1.13.9`,
      },
      description: "each installing machine's Talos installer image for talosctl upgrade --image: terraform output -json installer_images",
    });
  });

  test("GIVEN no configs THEN no machine config, no schematic, but still the secrets and the talosconfig", () => {
    const { json, construct } = synth({ configs: [] });
    expect(json.data.talos_machine_configuration).toBeUndefined();
    expect(resourceTypes(json)).toEqual(["talos_machine_secrets"]);
    expect(construct.genericConfig.machines.size).toBe(0);
    expect(() => construct.genericConfig.expression("each.value.machine")).toThrow("no machine installs Talos: there is no generated config to serve");
    expect(json.output.talosconfig.sensitive).toBe(true);
  });

  test("GIVEN controlPlaneAddresses THEN talosctl's client config uses them as endpoints and nodes, output as sensitive `talosconfig`", () => {
    const { json } = fixture;
    const [clientId] = Object.keys(json.data.talos_client_configuration);
    expect(dataOf(json, "talos_client_configuration")).toEqual([
      {
        cluster_name: "fixture-cluster",
        client_configuration: `\${talos_machine_secrets.${secretsId(json)}.client_configuration}`,
        endpoints: ["10.0.20.31"],
        nodes: ["10.0.20.31"],
      },
    ]);
    expect(json.output).toEqual({
      installer_images: expect.any(Object),
      talosconfig: {
        value: `\${data.talos_client_configuration.${clientId}.talos_config}`,
        sensitive: true,
        description: "talosctl's client configuration (admin access to every node): terraform output -raw talosconfig > ~/netboot-talos/talosconfig",
      },
    });
    const three = dataOf(synth({ controlPlaneAddresses: ["10.0.20.31", "10.0.20.32", "10.0.20.33"] }).json, "talos_client_configuration")[0];
    expect([three.endpoints, three.nodes]).toEqual([
      ["10.0.20.31", "10.0.20.32", "10.0.20.33"],
      ["10.0.20.31", "10.0.20.32", "10.0.20.33"],
    ]);
  });

  test("GIVEN other settings (versions, cluster name and endpoint, schematic) THEN the configs and installer follow them", () => {
    const other: SiteSettings["talos"] = {
      ...talos,
      version: "v1.13.10",
      kubernetesVersion: "v1.36.4",
      schematic: "0".repeat(64),
      cluster: { ...talos.cluster, name: "lab2", endpoint: "https://10.1.0.10:6443" },
    };
    const { json } = synth({ settings: other });
    expect(onlyOf(json, "talos_machine_secrets").talos_version).toBe("v1.13.10");
    expect(machineConfig(json, "fixture-cp-1").config).toMatchObject({
      cluster_name: "lab2",
      cluster_endpoint: "https://10.1.0.10:6443",
      talos_version: "v1.13.10",
      kubernetes_version: "v1.36.4",
    });
    expect(machineConfig(json, "fixture-cp-1").config.config_patches[0]).toContain(`image: factory.talos.dev/metal-installer/${"0".repeat(64)}:v1.13.10\n`);
    expect(dataOf(json, "talos_client_configuration")[0].cluster_name).toBe("lab2");
  });

  test("no secret material is synthesized: secrets pass between resources as references only", () => {
    const { text, json } = fixture;
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY|"(token|secret|key|crt)":/i);
    for (const m of ["fixture-cp-1", "fixture-worker-1"]) expect(machineConfig(json, m).config.machine_secrets).toMatch(/^\$\{talos_machine_secrets\.[^.]+\.machine_secrets\}$/);
  });
});
