import { lstatSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { isInsideRepository, REPO_ROOT } from "../settings";

/** Where a patch file named in settings or the inventory is: relative to the repository root, like every path in them. */
export const patchFilePath = (path: string): string => resolve(REPO_ROOT, path);

/** Patch files are small YAML documents; anything larger is a mistake, not a patch. */
export const MAX_PATCH_FILE_BYTES = 256 * 1024;

/**
 * Reads a Talos config patch file as it will be passed to the Talos provider
 * (byte for byte), after checking that it is a file of this repository (so it
 * is reviewed, and CI has it), a regular file of sane size, and that its every
 * YAML document is a mapping. Returns the text or the problem.
 */
export function readPatchFile(absolutePath: string): { text: string } | { error: string } {
  if (!isInsideRepository(absolutePath)) {
    return { error: "is outside the repository; a patch file is reviewed data that CI deploys from: put it in the repository (e.g. talos-patches/) and name it relative to the repository root" };
  }
  let stat;
  try {
    stat = lstatSync(absolutePath);
  } catch {
    return { error: "the patch file does not exist" };
  }
  if (!stat.isFile()) return { error: "is not a regular file (symlinks, directories and devices are refused)" };
  if (stat.size > MAX_PATCH_FILE_BYTES) return { error: `is ${stat.size} bytes; a patch file may be at most ${MAX_PATCH_FILE_BYTES} bytes` };
  const text = readFileSync(absolutePath, "utf8");
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return { error: "is empty; a patch needs at least one YAML document" };
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) return { error: `document ${i + 1}: YAML syntax: ${doc.errors[0].message.split("\n")[0]}` };
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: `document ${i + 1} is not a mapping; a Talos patch is a (partial) machine config document, e.g. "machine:\\n  kubelet: ..."` };
    }
  }
  if (docs.length === 0) return { error: "is empty; a patch needs at least one YAML document" };
  return { text };
}
