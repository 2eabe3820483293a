import { GcsBackend, LocalBackend, type TerraformStack } from "cdktf";
import type { SiteSettings } from "../lib/input/settings";

/**
 * Where a stack keeps its state. Every stack gets its own GCS prefix (or local
 * file), because cross-stack references read the producer's state through a
 * `terraform_remote_state` built from the producer's backend.
 */
export function useStateBackend(stack: TerraformStack, state: SiteSettings["state"], stackName: string): void {
  if (state.backend === "gcs") {
    if (!state.bucket) throw new Error(`stack ${stackName}: state.backend is "gcs" but state.bucket is unset`);
    new GcsBackend(stack, { bucket: state.bucket, prefix: `${state.prefix}/${stackName}` });
  } else {
    // Relative to cdktf.out/stacks/<stack>/, i.e. the repository root, so that
    // re-synthesizing never touches state and snapshots hold no absolute path.
    new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
  }
}
