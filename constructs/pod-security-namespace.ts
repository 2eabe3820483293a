import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PodSecurityNamespaceProps {
  readonly name: string;
  /** The Pod Security Standard level the API server enforces (rejects). */
  readonly enforce: PodSecurityLevel;
  /**
   * The level reported as warnings and audit events.
   * @default - the enforced level
   */
  readonly warnAndAudit?: PodSecurityLevel;
}

/** A namespace with Pod Security Admission labels. */
export class PodSecurityNamespace extends Construct {
  readonly namespace: NamespaceV1;
  readonly name: string;

  constructor(scope: Construct, id: string, props: PodSecurityNamespaceProps) {
    super(scope, id);
    const report = props.warnAndAudit ?? props.enforce;
    this.namespace = new NamespaceV1(this, "namespace", {
      metadata: {
        name: props.name,
        labels: {
          "app.kubernetes.io/part-of": "netboot",
          "pod-security.kubernetes.io/enforce": props.enforce,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": report,
          "pod-security.kubernetes.io/audit": report,
        },
      },
    });
    this.name = this.namespace.metadata.name;
  }
}
