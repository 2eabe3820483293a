import { isAbsolute } from "node:path";
import { talosMetalKernelArgs } from "./metal-kernel-args";
import { isInsideRepository, type SiteSettings } from "../settings";
import type { Problem, YamlSource } from "../yaml-source";
import { kernelArgProblem } from "./kernel-args";
import { readPatchFile, type PatchReader } from "./patch-files";
import { quote } from "../safe-text";

/** The kernel arguments every Talos profile has before the site's own: Talos's, then the schematic's. */
export function baseTalosKernelArgs(s: SiteSettings): string[] {
  const known = talosMetalKernelArgs(s.talos.version);
  return [...("args" in known ? known.args : []), ...(s.talos.schematicExtraKernelArgs ?? [])];
}

/** Checks of `talos` that JSON Schema cannot express: kernel arguments, patch files, cluster secrets. */
export function checkTalosSettings(s: SiteSettings, src: YamlSource, readPatch: PatchReader = readPatchFile): Problem[] {
  const problems: Problem[] = [];
  const line = [...baseTalosKernelArgs(s)];
  s.talos.kernelArgs.forEach((arg, i) => {
    const problem = kernelArgProblem(arg, line);
    if (problem) problems.push(src.problem(["talos", "kernelArgs", i], problem));
    line.push(arg);
  });
  s.talos.patches.forEach((path, i) => {
    const read = readPatch(path);
    if ("error" in read) problems.push(src.problem(["talos", "patches", i], `${quote(path)} ${read.error}`));
  });
  const endpoint = (() => {
    try {
      return new URL(s.talos.cluster.endpoint);
    } catch {
      return undefined;
    }
  })();
  if (!endpoint || endpoint.protocol !== "https:" || endpoint.pathname !== "/" || endpoint.search || endpoint.username) {
    problems.push(src.problem(["talos", "cluster", "endpoint"], `"${s.talos.cluster.endpoint}" is not a Kubernetes API endpoint; allowed: https://<address or name>:<port>, e.g. https://10.0.20.10:6443`));
  }
  const { existing, secretsFile } = s.talos.cluster;
  if (existing && !secretsFile) {
    problems.push(
      src.problem(
        ["talos", "cluster", "secretsFile"],
        "missing: talos.cluster.existing is true, so the cluster's secrets must be imported, never generated (new secrets would keep reinstalled nodes from rejoining). Run `talosctl gen secrets --from-controlplane-config controlplane.yaml -o ~/netboot-talos/secrets.yaml` and set secretsFile to that path (docs/runbook.md, \"Adopt an existing Talos cluster\")",
      ),
    );
  }
  if (secretsFile !== undefined) {
    if (!existing) problems.push(src.problem(["talos", "cluster", "secretsFile"], "only for an existing cluster (talos.cluster.existing: true); a new cluster's secrets are generated in Terraform state"));
    else if (!isAbsolute(secretsFile) || isInsideRepository(secretsFile)) {
      problems.push(src.problem(["talos", "cluster", "secretsFile"], `${secretsFile}: the cluster's secrets must stay outside the repository; give an absolute path such as ~/netboot-talos/secrets.yaml expanded, e.g. /home/you/netboot-talos/secrets.yaml`));
    }
  }
  return problems;
}
