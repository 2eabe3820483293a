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
