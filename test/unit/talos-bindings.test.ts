import { TerraformOutput, Testing, Token } from "cdktf";
import "cdktf/lib/testing/adapters/jest"; // types for toHave*WithProperties
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataTalosClientConfiguration } from "../../.gen/providers/talos/data-talos-client-configuration";
import { DataTalosImageFactoryUrls } from "../../.gen/providers/talos/data-talos-image-factory-urls";
import {
  DataTalosMachineConfiguration,
  type DataTalosMachineConfigurationMachineSecrets,
} from "../../.gen/providers/talos/data-talos-machine-configuration";
import { ImageFactorySchematic } from "../../.gen/providers/talos/image-factory-schematic";
import { MachineSecrets } from "../../.gen/providers/talos/machine-secrets";
import { TalosProvider } from "../../.gen/providers/talos/provider";
import { generateProviderBindings, OFFLINE_PROVIDERS, REPO_ROOT } from "../../scripts/get-providers";
import { filesUnder } from "../support/files";

// cdktf's jest matchers (toHaveResourceWithProperties, ...): only these files use them, so only they load them.
Testing.setupJest();

const TALOS_FQN = "registry.terraform.io/siderolabs/talos";
const TALOS_CONSTRAINT = "siderolabs/talos@= 0.11.0";

/** Dotted paths of every attribute (nested ones included) with `sensitive: true` in a schema block. */
function sensitivePaths(attributes: Record<string, any>, prefix = ""): string[] {
  return Object.entries(attributes).flatMap(([name, a]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    return [...(a.sensitive ? [path] : []), ...(a.nested_type ? sensitivePaths(a.nested_type.attributes, path) : [])];
  });
}

describe("talos provider bindings (.gen/providers/talos)", () => {
  test("cdktf.json and the offline generator pin siderolabs/talos to exactly 0.11.0", () => {
    const cdktfJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8"));
    expect(cdktfJson.terraformProviders).toContain(TALOS_CONSTRAINT);
    expect(OFFLINE_PROVIDERS.filter((p) => p.constraint.startsWith("siderolabs/talos@"))).toEqual([
      { constraint: TALOS_CONSTRAINT, schemaFile: "provider-schemas/talos.json", version: "0.11.0" },
    ]);
  });

  test("are exactly what `npm run get` generates from provider-schemas/talos.json, versions.json and constraints.json included", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "netboot-gen-"));
    try {
      await generateProviderBindings(outdir);
      const fresh = filesUnder(join(outdir, "providers", "talos"));
      const committed = filesUnder(join(REPO_ROOT, ".gen", "providers", "talos"));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [file, content] of fresh) {
        // Fails when .gen was hand-edited or the schema changed without `npm run get`.
        expect({ file, content: committed.get(file) }).toEqual({ file, content });
      }
      for (const file of ["versions.json", "constraints.json"]) {
        expect({ file, content: readFileSync(join(REPO_ROOT, ".gen", file), "utf8") }).toEqual({
          file,
          content: readFileSync(join(outdir, file), "utf8"),
        });
      }
      expect(JSON.parse(readFileSync(join(outdir, "versions.json"), "utf8"))[TALOS_FQN]).toBe("0.11.0");
      expect(JSON.parse(readFileSync(join(outdir, "constraints.json"), "utf8")).providers.talos).toBe("= 0.11.0");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("provider-schemas/talos.json holds the subset we use, secrets marked sensitive as in the provider's source", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "provider-schemas/talos.json"), "utf8"));
    expect(Object.keys(schema.provider_schemas)).toEqual([TALOS_FQN]);
    const talos = schema.provider_schemas[TALOS_FQN];
    expect(Object.keys(talos.provider.block.attributes)).toEqual(["image_factory_url"]);
    expect(Object.keys(talos.resource_schemas).sort()).toEqual(["talos_image_factory_schematic", "talos_machine_secrets"]);
    expect(Object.keys(talos.data_source_schemas).sort()).toEqual([
      "talos_client_configuration",
      "talos_image_factory_urls",
      "talos_machine_configuration",
    ]);
    const sensitive = (kind: "resource_schemas" | "data_source_schemas", type: string) =>
      sensitivePaths(talos[kind][type].block.attributes).sort();
    const secretPaths = (root: string) =>
      [
        "certs.etcd.key",
        "certs.k8s.key",
        "certs.k8s_aggregator.key",
        "certs.k8s_serviceaccount.key",
        "certs.os.key",
        "cluster.secret",
        "secrets.aescbc_encryption_secret",
        "secrets.bootstrap_token",
        "secrets.secretbox_encryption_secret",
        "trustdinfo.token",
      ].map((p) => `${root}.${p}`);
    expect(sensitive("resource_schemas", "talos_machine_secrets")).toEqual(
      ["client_configuration.client_key", ...secretPaths("machine_secrets")].sort(),
    );
    expect(sensitive("data_source_schemas", "talos_machine_configuration")).toEqual(
      ["machine_configuration", ...secretPaths("machine_secrets")].sort(),
    );
    expect(sensitive("data_source_schemas", "talos_client_configuration")).toEqual(["client_configuration.client_key", "talos_config"]);
    expect(sensitive("resource_schemas", "talos_image_factory_schematic")).toEqual([]);
    expect(sensitive("data_source_schemas", "talos_image_factory_urls")).toEqual([]);
  });
});

describe("talos bindings synthesize", () => {
  let provider: TalosProvider | undefined;
  const synth = Testing.synthScope((scope) => {
    provider = new TalosProvider(scope, "talos", { imageFactoryUrl: "https://factory.talos.dev" });
    const secrets = new MachineSecrets(scope, "cluster", { talosVersion: "v1.13" });
    const ms = secrets.machineSecrets;
    const cert = (pair: { cert: string; key: string }) => ({ cert: pair.cert, key: pair.key });
    // Attribute by attribute: every nested output reference of the resource
    // feeds the data source's required nested input of the same name.
    const worker = new DataTalosMachineConfiguration(scope, "worker", {
      clusterName: "home",
      clusterEndpoint: "https://10.0.20.10:6443",
      machineType: "worker",
      machineSecrets: {
        cluster: { id: ms.cluster.id, secret: ms.cluster.secret },
        secrets: {
          bootstrapToken: ms.secrets.bootstrapToken,
          secretboxEncryptionSecret: ms.secrets.secretboxEncryptionSecret,
          aescbcEncryptionSecret: ms.secrets.aescbcEncryptionSecret,
        },
        trustdinfo: { token: ms.trustdinfo.token },
        certs: {
          etcd: cert(ms.certs.etcd),
          k8S: cert(ms.certs.k8S),
          k8SAggregator: cert(ms.certs.k8SAggregator),
          k8SServiceaccount: { key: ms.certs.k8SServiceaccount.key },
          os: cert(ms.certs.os),
        },
      },
      configPatches: ["machine:\n  install:\n    disk: /dev/sda\n"],
      kubernetesVersion: "1.99.0", // any string: the binding passes it through
      talosVersion: "v1.13",
      docs: false,
      examples: false,
    });
    // The whole object at once, as `machine_secrets = talos_machine_secrets.cluster.machine_secrets`
    // in HCL. The generated config type has no `| IResolvable`, but its
    // toTerraform function passes a token through unchanged.
    new DataTalosMachineConfiguration(scope, "controlplane", {
      clusterName: "home",
      clusterEndpoint: "https://10.0.20.10:6443",
      machineType: "controlplane",
      machineSecrets: Token.asAny(secrets.machineSecrets) as unknown as DataTalosMachineConfigurationMachineSecrets,
    });
    const client = new DataTalosClientConfiguration(scope, "talosconfig", {
      clusterName: "home",
      clientConfiguration: {
        caCertificate: secrets.clientConfiguration.caCertificate,
        clientCertificate: secrets.clientConfiguration.clientCertificate,
        clientKey: secrets.clientConfiguration.clientKey,
      },
      endpoints: ["10.0.20.10"],
      nodes: ["10.0.20.10"],
    });
    const schematic = new ImageFactorySchematic(scope, "schematic", {
      schematic: "customization:\n  extraKernelArgs:\n    - console=ttyS1,115200n8\n",
    });
    const urls = new DataTalosImageFactoryUrls(scope, "urls", {
      talosVersion: "v1.13.0",
      schematicId: schematic.id,
      platform: "metal",
      architecture: "amd64",
    });
    new TerraformOutput(scope, "worker_config", { value: worker.machineConfiguration, sensitive: true });
    new TerraformOutput(scope, "talosconfig_out", { value: client.talosConfig, sensitive: true });
    new TerraformOutput(scope, "installer", { value: urls.urls.installer });
    new TerraformOutput(scope, "kernel", { value: urls.urls.kernel });
    new TerraformOutput(scope, "secrets_talos_version", { value: secrets.talosVersion });
  });
  const json = JSON.parse(synth);
  const ref = (attr: string) => `\${talos_machine_secrets.cluster.${attr}}`;

  test("talos_machine_secrets with talos_version", () => {
    expect(synth).toHaveResourceWithProperties(MachineSecrets, { talos_version: "v1.13" });
    expect(MachineSecrets.tfResourceType).toBe("talos_machine_secrets");
    expect(Object.keys(json.resource.talos_machine_secrets)).toEqual(["cluster"]);
  });

  test("talos_machine_configuration: snake_case attributes and nested machine_secrets references", () => {
    expect(DataTalosMachineConfiguration.tfResourceType).toBe("talos_machine_configuration");
    expect(json.data.talos_machine_configuration.worker).toEqual({
      cluster_name: "home",
      cluster_endpoint: "https://10.0.20.10:6443",
      machine_type: "worker",
      machine_secrets: {
        cluster: { id: ref("machine_secrets.cluster.id"), secret: ref("machine_secrets.cluster.secret") },
        secrets: {
          bootstrap_token: ref("machine_secrets.secrets.bootstrap_token"),
          secretbox_encryption_secret: ref("machine_secrets.secrets.secretbox_encryption_secret"),
          aescbc_encryption_secret: ref("machine_secrets.secrets.aescbc_encryption_secret"),
        },
        trustdinfo: { token: ref("machine_secrets.trustdinfo.token") },
        certs: {
          etcd: { cert: ref("machine_secrets.certs.etcd.cert"), key: ref("machine_secrets.certs.etcd.key") },
          k8s: { cert: ref("machine_secrets.certs.k8s.cert"), key: ref("machine_secrets.certs.k8s.key") },
          k8s_aggregator: {
            cert: ref("machine_secrets.certs.k8s_aggregator.cert"),
            key: ref("machine_secrets.certs.k8s_aggregator.key"),
          },
          k8s_serviceaccount: { key: ref("machine_secrets.certs.k8s_serviceaccount.key") },
          os: { cert: ref("machine_secrets.certs.os.cert"), key: ref("machine_secrets.certs.os.key") },
        },
      },
      config_patches: ["machine:\n  install:\n    disk: /dev/sda\n"],
      kubernetes_version: "1.99.0",
      talos_version: "v1.13",
      docs: false,
      examples: false,
    });
    expect(json.data.talos_machine_configuration.controlplane).toEqual({
      cluster_name: "home",
      cluster_endpoint: "https://10.0.20.10:6443",
      machine_type: "controlplane",
      machine_secrets: ref("machine_secrets"),
    });
  });

  test("talos_client_configuration from the secrets' client_configuration", () => {
    expect(DataTalosClientConfiguration.tfResourceType).toBe("talos_client_configuration");
    expect(json.data.talos_client_configuration.talosconfig).toEqual({
      cluster_name: "home",
      client_configuration: {
        ca_certificate: ref("client_configuration.ca_certificate"),
        client_certificate: ref("client_configuration.client_certificate"),
        client_key: ref("client_configuration.client_key"),
      },
      endpoints: ["10.0.20.10"],
      nodes: ["10.0.20.10"],
    });
  });

  test("talos_image_factory_schematic and talos_image_factory_urls", () => {
    expect(ImageFactorySchematic.tfResourceType).toBe("talos_image_factory_schematic");
    expect(DataTalosImageFactoryUrls.tfResourceType).toBe("talos_image_factory_urls");
    expect(synth).toHaveResourceWithProperties(ImageFactorySchematic, {
      schematic: "customization:\n  extraKernelArgs:\n    - console=ttyS1,115200n8\n",
    });
    expect(json.data.talos_image_factory_urls.urls).toEqual({
      talos_version: "v1.13.0",
      schematic_id: "${talos_image_factory_schematic.schematic.id}",
      platform: "metal",
      architecture: "amd64",
    });
  });

  test("computed outputs are referenced by their snake_case paths", () => {
    expect(json.output).toEqual({
      worker_config: { value: "${data.talos_machine_configuration.worker.machine_configuration}", sensitive: true },
      talosconfig_out: { value: "${data.talos_client_configuration.talosconfig.talos_config}", sensitive: true },
      installer: { value: "${data.talos_image_factory_urls.urls.urls.installer}" },
      kernel: { value: "${data.talos_image_factory_urls.urls.urls.kernel}" },
      secrets_talos_version: { value: ref("talos_version") },
    });
  });

  test("provider block and required_providers entry", () => {
    expect(synth).toHaveProviderWithProperties(TalosProvider, { image_factory_url: "https://factory.talos.dev" });
    expect(provider?.terraformGeneratorMetadata).toEqual({
      providerName: "talos",
      providerVersion: "0.11.0",
      providerVersionConstraint: "= 0.11.0",
    });
    // cdktf 0.21 writes `providerVersion || providerVersionConstraint`, so the
    // stack pins exactly the release whose schema generated .gen.
    expect(json.terraform.required_providers).toEqual({
      talos: { source: "siderolabs/talos", version: "0.11.0" },
    });
  });
});
