import { createHash } from "node:crypto";
import { Testing } from "cdktf";
import type { TerraformStack } from "cdktf";
import type { NetbootSite } from "../../lib/input/site";
import { addNetbootStacks, type NetbootStacks } from "../../stacks";

/** Synthesized Terraform JSON of one stack, parsed. */
export type StackJson = Record<string, any>;

export function buildStacks(site: NetbootSite): NetbootStacks {
  return addNetbootStacks(Testing.app(), site);
}

export function synthJson(stack: TerraformStack): StackJson {
  return JSON.parse(Testing.synth(stack));
}

/** All resources of one type in a stack, keyed by logical id. */
export function resources(json: StackJson, type: string): Record<string, any> {
  return json.resource?.[type] ?? {};
}

export function onlyResource(json: StackJson, type: string): any {
  const all = Object.values(resources(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/**
 * A stack's JSON for a snapshot: its structure, with every string of more
 * than EMBEDDED_FILE_LINES lines (an embedded script, config, rules file or
 * Talos patch) replaced by its line count and SHA-256. The file itself is the reviewed source, and the
 * real-Terraform suite checks that each arrives byte for byte; a changed
 * embedded file still changes the snapshot (its hash).
 */
export const EMBEDDED_FILE_LINES = 8;

export function structureOnly(json: StackJson): StackJson {
  const walk = (value: unknown): unknown => {
    const lines = typeof value === "string" ? value.split("\n").length : 0;
    if (typeof value === "string" && lines > EMBEDDED_FILE_LINES) {
      return `<${lines} lines, sha256 ${createHash("sha256").update(value).digest("hex").slice(0, 16)}>`;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(json) as StackJson;
}
