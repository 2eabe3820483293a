import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { Group } from "../../../.gen/providers/matchbox/group";
import { formerLogicalId, MovedAddresses } from "../../../constructs/moved-addresses";
import { build } from "./support";

describe("MovedAddresses", () => {
  test("GIVEN moves THEN one top-level moved block each, in the order added", () => {
    const { json } = build((scope) => {
      const moved = new MovedAddresses(scope, "moved");
      moved.add({ from: "matchbox_group.a_1234ABCD", to: 'matchbox_group.groups_5678EF01["a"]' });
      moved.add({ from: "matchbox_group.b_2345BCDE", to: 'matchbox_group.groups_5678EF01["b"]' });
      return moved;
    });
    expect(json.moved).toEqual([
      { from: "matchbox_group.a_1234ABCD", to: 'matchbox_group.groups_5678EF01["a"]' },
      { from: "matchbox_group.b_2345BCDE", to: 'matchbox_group.groups_5678EF01["b"]' },
    ]);
  });

  test("GIVEN no moves THEN no moved key at all", () => {
    expect(build((scope) => new MovedAddresses(scope, "moved")).json.moved).toBeUndefined();
  });
});

describe("formerLogicalId", () => {
  test("GIVEN a construct path THEN the logical id cdktf gives an element there, and the probe is removed again", () => {
    const stack = new TerraformStack(Testing.app(), "stack");
    const scope = new Construct(stack, "boot");
    const id = formerLogicalId(scope, "group-fixture-cp-1");
    expect(scope.node.tryFindChild("group-fixture-cp-1")).toBeUndefined();
    // A real element at the same path gets the same id.
    const element = new Group(scope, "group-fixture-cp-1", { name: "x", profile: "p" });
    expect(id).toBe(element.friendlyUniqueId);
    expect(id).toMatch(/^boot_group-fixture-cp-1_[0-9A-F]{8}$/);
  });
});
