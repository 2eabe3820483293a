import { TerraformStack, Testing } from "cdktf";
import type { Construct } from "constructs";

/**
 * Helpers for the per-construct tests (test/unit/constructs/*.test.ts): each
 * test builds one construct alone in a fresh stack, with explicit props, and
 * reads the synthesized Terraform JSON. Resources are found by type and by
 * their own name attributes, never by logical id (ids carry a hash of the
 * construct path, which is no behaviour of the construct).
 */

/** Synthesized Terraform JSON of one stack, parsed. */
export type Json = Record<string, any>;

/** A construct built alone in a fresh test stack, and that stack's synthesized JSON. */
export interface Built<T> {
  readonly construct: T;
  readonly stack: TerraformStack;
  readonly json: Json;
  /** The JSON as cdktf wrote it, for whole-text checks (no key material, no unescaped template). */
  readonly text: string;
}

export function build<T>(make: (scope: Construct) => T): Built<T> {
  const stack = new TerraformStack(Testing.app(), "stack");
  const construct = make(stack);
  const text = Testing.synth(stack);
  return { construct, stack, json: JSON.parse(text), text };
}

/** All resources of one type, in logical-id order. */
export function resourcesOf(json: Json, type: string): any[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** All data sources of one type, in logical-id order. */
export function dataOf(json: Json, type: string): any[] {
  return Object.values(json.data?.[type] ?? {});
}

/** The one resource of a type; fails when there is none or more than one. */
export function onlyOf(json: Json, type: string): any {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The one Kubernetes object of a type whose metadata.name is `name`. */
export function k8sNamed(json: Json, type: string, name: string): any {
  const found = resourcesOf(json, type).filter((r) => r.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

/** Resource types present in the synthesized JSON, sorted. */
export function resourceTypes(json: Json): string[] {
  return Object.keys(json.resource ?? {}).sort();
}

/**
 * The Terraform reference cdktf writes for an attribute of a resource or
 * data source built by the construct, e.g. `${google_service_account.x_account_1234ABCD.email}`.
 */
export function ref(resource: { terraformResourceType: string; friendlyUniqueId: string }, attribute: string, data = false): string {
  return `\${${data ? "data." : ""}${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
}
