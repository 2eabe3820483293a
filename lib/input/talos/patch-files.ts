import { parseAllDocuments } from "yaml";
import { repositoryFile, REPO_ROOT } from "../repo-files";
import { readSmallTextFile } from "../yaml-source";

/** Patch files are small YAML documents; anything larger is a mistake, not a patch. */
export const MAX_PATCH_FILE_BYTES = 256 * 1024;

/** Reads a patch file by its repository-relative path: from the working tree, or (boot-diff's base side) from a commit. */
export type PatchReader = (path: string) => { text: string } | { error: string };

/**
 * Reads a Talos config patch file as it will be passed to the Talos provider
 * (byte for byte), after checking that it is a file of this repository (so it
 * is reviewed, and CI has it), a regular file of sane size, and that its every
 * YAML document is a mapping. Returns the text or the problem.
 */
export function readPatchFile(path: string): { text: string } | { error: string } {
  return repositoryPatchReader()(path);
}

/** Why a patch file cannot be read (the path rule's reason), with where a patch file belongs. */
export function patchPathProblem(reason: string): string {
  return `${reason.replace(/^(.*); allowed: .*$/, "$1")}; a patch file is reviewed data that CI deploys from: put it in the repository (e.g. talos-patches/) and name it relative to the repository root`;
}

/** Reads patch files of the working tree of the repository at `root`, by the one path rule. */
export function repositoryPatchReader(root: string = REPO_ROOT): PatchReader {
  return (path) => {
    const checked = repositoryFile(path, root);
    if ("error" in checked) return { error: patchPathProblem(checked.error) };
    const read = readSmallTextFile(checked.file, MAX_PATCH_FILE_BYTES);
    if ("error" in read) return { error: read.error };
    return patchProblem(read.text) ?? { text: read.text };
  };
}

/**
 * Fields of the machine config that netboot sets itself
 * (lib/model/talos/machine-patches.ts: install disk or selector, installer
 * image, the NIC and its addresses, hostname, labels and taints from the
 * inventory; constructs/talos-machine-configs.ts: cluster name, endpoint and
 * the Kubernetes version's images) or that Talos derives from them (kernel
 * arguments are the schematic's and the kernel-argument rules'). A patch that
 * set one would silently win over what boot-preview and boot-diff show.
 */
export const NETBOOT_OWNED_PATCH_FIELDS: readonly (readonly string[])[] = [
  ["machine", "install", "disk"],
  ["machine", "install", "diskSelector"],
  ["machine", "install", "image"],
  ["machine", "install", "extraKernelArgs"],
  ["machine", "network", "interfaces"],
  ["machine", "network", "hostname"],
  ["machine", "nodeLabels"],
  ["machine", "nodeTaints"],
  ["machine", "kubelet", "image"],
  ["cluster", "clusterName"],
  ["cluster", "controlPlane", "endpoint"],
  ["cluster", "apiServer", "image"],
  ["cluster", "controllerManager", "image"],
  ["cluster", "scheduler", "image"],
  ["cluster", "proxy", "image"],
];

/**
 * The cluster's secrets in a v1alpha1 config (what `talosctl gen secrets`
 * bundles: cluster id and secret, bootstrap token, encryption secrets, the
 * machine token and the CAs). They come from Terraform state or the
 * secretsFile, never from a committed patch.
 */
export const SECRET_PATCH_FIELDS: readonly (readonly string[])[] = [
  ["machine", "token"],
  ["machine", "ca"],
  ["cluster", "id"],
  ["cluster", "secret"],
  ["cluster", "token"],
  ["cluster", "aescbcEncryptionSecret"],
  ["cluster", "secretboxEncryptionSecret"],
  ["cluster", "ca"],
  ["cluster", "aggregatorCA"],
  ["cluster", "serviceAccount"],
  ["cluster", "etcd", "ca"],
];

/** Document kinds netboot writes itself (a second one would contradict it). */
const NETBOOT_OWNED_KINDS = ["HostnameConfig"];

/** Whether a patch document sets `path`, or deletes or replaces a mapping on the way to it (`$patch`). */
function touches(doc: unknown, path: readonly string[]): boolean {
  let node = doc;
  for (const key of path) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return false;
    if ("$patch" in node) return true;
    node = (node as Record<string, unknown>)[key];
    if (node === undefined) return false;
  }
  return true;
}

/** Why a patch document may not be applied (it sets a field netboot owns or a secret), or undefined. */
function ownedFieldProblem(doc: Record<string, unknown>, index: number): string | undefined {
  const kind = doc.kind;
  if (typeof kind === "string" && NETBOOT_OWNED_KINDS.includes(kind)) {
    return `document ${index + 1} is a ${kind} document, which netboot writes itself from the inventory (hostname); remove the document and set the machine's hostname in the inventory`;
  }
  const owned = NETBOOT_OWNED_PATCH_FIELDS.find((path) => touches(doc, path));
  if (owned) {
    return `document ${index + 1} sets ${owned.join(".")}, which netboot sets itself from the inventory and settings (what boot-preview and boot-diff show); set it there (installDisk, installDiskSelector, address, hostname, kernelArgs, nodeLabels, nodeTaints, talos.*) and remove it from the patch`;
  }
  const secret = SECRET_PATCH_FIELDS.find((path) => touches(doc, path));
  if (secret) {
    return `document ${index + 1} sets ${secret.join(".")}, a secret of the cluster; secrets come from Terraform state or talos.cluster.secretsFile, never from a committed file: remove it (and rotate it if it was real)`;
  }
  return undefined;
}

/** Why a patch file's text is not a Talos patch (YAML documents, each a mapping), or undefined. */
export function patchProblem(text: string): { error: string } | undefined {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return { error: "is empty; a patch needs at least one YAML document" };
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) return { error: `document ${i + 1}: YAML syntax: ${doc.errors[0].message.split("\n")[0]}` };
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: `document ${i + 1} is not a mapping; a Talos patch is a (partial) machine config document, e.g. "machine:\\n  kubelet: ..."` };
    }
    const owned = ownedFieldProblem(value as Record<string, unknown>, i);
    if (owned) return { error: owned };
  }
  if (docs.length === 0) return { error: "is empty; a patch needs at least one YAML document" };
  return undefined;
}
