import { posix } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { useStateBackend } from "../../../constructs/state-backend";
import type { SiteSettings } from "../../../lib/input/settings";
import type { Json } from "./support";

type State = SiteSettings["state"];

function synth(state: State, stackName: string): Json {
  const stack = new TerraformStack(Testing.app(), stackName);
  useStateBackend(stack, state, stackName);
  return JSON.parse(Testing.synth(stack));
}

describe("useStateBackend", () => {
  test("GIVEN backend gcs with bucket and prefix THEN the stack's state is in that bucket under <prefix>/<stackName>, and nothing else is added", () => {
    expect(synth({ backend: "gcs", bucket: "nbfix-tfstate", prefix: "netboot" }, "network")).toEqual({
      terraform: { backend: { gcs: { bucket: "nbfix-tfstate", prefix: "netboot/network" } } },
    });
  });

  test("GIVEN two stacks on gcs THEN each has its own prefix (cross-stack remote state reads the producer's)", () => {
    const state: State = { backend: "gcs", bucket: "nbfix-tfstate", prefix: "lab/netboot" };
    const prefixes = ["network", "gke", "boot-server"].map((name) => synth(state, name).terraform.backend.gcs.prefix);
    expect(prefixes).toEqual(["lab/netboot/network", "lab/netboot/gke", "lab/netboot/boot-server"]);
  });

  test("GIVEN backend local THEN a local state file per stack, relative to cdktf.out/stacks/<stack>/ so it lands in the repository root", () => {
    const json = synth({ backend: "local", prefix: "netboot" }, "network");
    expect(json).toEqual({ terraform: { backend: { local: { path: "../../../terraform.network.tfstate" } } } });
    // Terraform runs in cdktf.out/stacks/<stack>/: the path resolves to <repo>/terraform.<stack>.tfstate.
    expect(posix.join("repo/cdktf.out/stacks/network", json.terraform.backend.local.path)).toBe("repo/terraform.network.tfstate");
  });

  test("GIVEN backend local THEN the prefix and any bucket are not used", () => {
    const json = synth({ backend: "local", bucket: "ignored-bucket", prefix: "ignored" }, "gke");
    expect(json.terraform.backend).toEqual({ local: { path: "../../../terraform.gke.tfstate" } });
  });

  // The settings check (lib/input/settings.ts) refuses this first; the construct never writes a gcs block without a bucket.
  test("GIVEN backend gcs without a bucket THEN it refuses, naming the stack", () => {
    expect(() => synth({ backend: "gcs", prefix: "netboot" }, "network")).toThrow('stack network: state.backend is "gcs" but state.bucket is unset');
  });
});
