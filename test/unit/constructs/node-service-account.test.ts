import { NODE_ROLES, NodeServiceAccount, type NodeServiceAccountProps } from "../../../constructs/node-service-account";
import { build, onlyOf, ref, resourceTypes, resourcesOf, type Built } from "./support";

const base: NodeServiceAccountProps = { project: "netboot-fixture-000001", namePrefix: "nbfix" };

const synth = (props: Partial<NodeServiceAccountProps> = {}): Built<NodeServiceAccount> => build((scope) => new NodeServiceAccount(scope, "node-sa", { ...base, ...props }));

describe("NodeServiceAccount", () => {
  let fixture: Built<NodeServiceAccount>;
  beforeAll(() => {
    fixture = synth();
  });

  test("GIVEN namePrefix THEN the account id is <prefix>-gke-nodes", () => {
    expect(onlyOf(fixture.json, "google_service_account")).toEqual({ account_id: "nbfix-gke-nodes", display_name: "netboot GKE nodes (least privilege)" });
  });

  test("NODE_ROLES is exactly GKE's documented minimum for nodes: logs, metrics, resource metadata; no Editor, no registry reader", () => {
    expect([...NODE_ROLES]).toEqual(["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer"]);
  });

  test("GIVEN project THEN the account gets exactly NODE_ROLES in that project, as project IAM members (additive, never a whole policy)", () => {
    const { construct, json } = fixture;
    // Only additive members: no google_project_iam_binding/policy, which would take roles from others.
    expect(resourceTypes(json)).toEqual(["google_project_iam_member", "google_service_account"]);
    const members = resourcesOf(json, "google_project_iam_member");
    expect(members.map((m) => m.role).sort()).toEqual([...NODE_ROLES].sort());
    for (const m of members) {
      expect(m).toEqual({ project: "netboot-fixture-000001", role: m.role, member: `serviceAccount:${ref(construct.account, "email")}` });
    }
  });

  test("GIVEN another project and namePrefix THEN the roles are granted in that project to <prefix>-gke-nodes", () => {
    const { json } = synth({ project: "other-project-123", namePrefix: "lab2" });
    expect(onlyOf(json, "google_service_account").account_id).toBe("lab2-gke-nodes");
    const members = resourcesOf(json, "google_project_iam_member");
    expect(members).toHaveLength(NODE_ROLES.length);
    expect(new Set(members.map((m) => m.project))).toEqual(new Set(["other-project-123"]));
  });
});
