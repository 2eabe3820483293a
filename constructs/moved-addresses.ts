import { TerraformElement, TerraformStack } from "cdktf";
import { Construct } from "constructs";

/** One `moved` block: a resource address that state may still hold, and where that object lives now. */
export interface MovedAddress {
  readonly from: string;
  readonly to: string;
}

/**
 * Top-level `moved` blocks, so that a resource whose address changed (e.g.
 * from one resource per machine to an instance of a `for_each` resource) is
 * moved in state instead of destroyed and created again. Terraform ignores a
 * block whose `from` is not in state, so a new deployment is unaffected.
 * cdktf's own `moveTo`/`moveFromId` write one block per resource and cannot
 * name an instance key; this writes any number.
 */
export class MovedAddresses extends TerraformElement {
  private readonly moves: MovedAddress[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  add(move: MovedAddress): void {
    this.moves.push(move);
  }

  toTerraform(): any {
    return this.moves.length ? { moved: [...this.moves] } : {};
  }
}

/**
 * The logical id (cdktf's HashedAddressingScheme) a child `childId` of `scope`
 * would get: what an element at that construct path was called in state. A
 * probe construct takes the path for the call and is removed again, so the id
 * comes from cdktf's own scheme rather than a copy of it.
 */
export function formerLogicalId(scope: Construct, childId: string): string {
  const probe = new Construct(scope, childId);
  try {
    return TerraformStack.of(scope).getLogicalId(probe.node);
  } finally {
    scope.node.tryRemoveChild(childId);
  }
}
