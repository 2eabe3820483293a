import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest"; // types for toHave*WithProperties
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Group } from "../../.gen/providers/matchbox/group";
import { Profile } from "../../.gen/providers/matchbox/profile";
import { MatchboxProvider } from "../../.gen/providers/matchbox/provider";
import { generateProviderBindings, OFFLINE_PROVIDERS, REPO_ROOT } from "../../scripts/get-providers";
import { filesUnder } from "../support/files";

// cdktf's jest matchers (toHaveResourceWithProperties, ...): only these files use them, so only they load them.
Testing.setupJest();

describe("matchbox provider bindings (.gen/providers/matchbox)", () => {
  test("cdktf.json pins the same constraint the offline generator uses", () => {
    const cdktfJson = JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8"));
    for (const p of OFFLINE_PROVIDERS) {
      expect(cdktfJson.terraformProviders).toContain(p.constraint);
    }
  });

  test("are exactly what `npm run get` generates from provider-schemas/matchbox.json", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "netboot-gen-"));
    try {
      await generateProviderBindings(outdir);
      const fresh = filesUnder(join(outdir, "providers", "matchbox"));
      const committed = filesUnder(join(REPO_ROOT, ".gen", "providers", "matchbox"));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [file, content] of fresh) {
        // Fails when .gen was hand-edited or the schema changed without `npm run get`.
        expect({ file, content: committed.get(file) }).toEqual({ file, content });
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe("matchbox bindings synthesize", () => {
  let provider: MatchboxProvider | undefined;
  const synth = Testing.synthScope((scope) => {
    provider = new MatchboxProvider(scope, "matchbox", {
      endpoint: "matchbox.example.internal:8081",
      clientCert: "CLIENT-CERT-PEM",
      clientKey: "CLIENT-KEY-PEM",
      ca: "CA-PEM",
    });
    const profile = new Profile(scope, "talos", {
      name: "talos-controlplane",
      kernel: "/assets/talos/vmlinuz-amd64",
      initrd: ["/assets/talos/initramfs-amd64.xz"],
      args: ["initrd=initramfs-amd64.xz", "talos.platform=metal"],
      rawIgnition: "{}",
      genericConfig: "generic",
      containerLinuxConfig: "clc",
    });
    new Group(scope, "node1", {
      name: "node1",
      profile: profile.name,
      selector: { mac: "52:54:00:12:34:56" },
      metadata: { hostname: "node1" },
    });
  });
  const json = JSON.parse(synth);

  test("matchbox_profile with snake_case attributes", () => {
    expect(synth).toHaveResourceWithProperties(Profile, {
      name: "talos-controlplane",
      kernel: "/assets/talos/vmlinuz-amd64",
      initrd: ["/assets/talos/initramfs-amd64.xz"],
      args: ["initrd=initramfs-amd64.xz", "talos.platform=metal"],
      raw_ignition: "{}",
      generic_config: "generic",
      container_linux_config: "clc",
    });
  });

  test("matchbox_group referencing the profile, with selector and metadata maps", () => {
    expect(synth).toHaveResourceWithProperties(Group, {
      name: "node1",
      profile: "${matchbox_profile.talos.name}",
      selector: { mac: "52:54:00:12:34:56" },
      metadata: { hostname: "node1" },
    });
  });

  test("provider block and required_providers entry", () => {
    expect(synth).toHaveProviderWithProperties(MatchboxProvider, {
      endpoint: "matchbox.example.internal:8081",
      client_cert: "CLIENT-CERT-PEM",
      client_key: "CLIENT-KEY-PEM",
      ca: "CA-PEM",
    });
    // Bindings made by `cdktf get` carry both the selected provider version
    // and the cdktf.json constraint; cdktf 0.21's TerraformProvider writes
    // `providerVersion || providerVersionConstraint` into required_providers,
    // so the stack pins exactly the version whose schema generated .gen.
    expect(provider?.terraformGeneratorMetadata).toEqual({
      providerName: "matchbox",
      providerVersion: "0.5.4",
      providerVersionConstraint: "~> 0.5",
    });
    expect(json.terraform.required_providers).toEqual({
      matchbox: { source: "poseidon/matchbox", version: "0.5.4" },
    });
  });
});
