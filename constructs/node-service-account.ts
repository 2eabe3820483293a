import { Construct } from "constructs";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { prefixedName } from "../lib/input/gcp-names";

export interface NodeServiceAccountProps {
  /** GCP project whose IAM policy grants the account NODE_ROLES. */
  readonly project: string;
  /** Prefix of the account id, `<namePrefix>-gke-nodes`. */
  readonly namePrefix: string;
}

/**
 * The roles GKE documents as the minimum for a node service account
 * ("Use least privilege IAM service accounts"): logs, metrics and resource
 * metadata. Images come from public registries through Cloud NAT, so no
 * Artifact Registry reader role is granted.
 */
export const NODE_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
] as const;

/** A dedicated, least-privilege service account for GKE nodes (instead of the Compute default one, which is Editor). */
export class NodeServiceAccount extends Construct {
  readonly account: ServiceAccount;

  constructor(scope: Construct, id: string, props: NodeServiceAccountProps) {
    super(scope, id);
    this.account = new ServiceAccount(this, "account", {
      accountId: prefixedName(props.namePrefix, "nodeServiceAccount"),
      displayName: "netboot GKE nodes (least privilege)",
    });
    for (const role of NODE_ROLES) {
      new ProjectIamMember(this, role.replace(/^roles\//, "").replace(/\./g, "-"), {
        project: props.project,
        role,
        member: `serviceAccount:${this.account.email}`,
      });
    }
  }
}
