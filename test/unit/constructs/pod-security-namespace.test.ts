import { TerraformOutput } from "cdktf";
import { DNS_EGRESS, NON_PUBLIC_CIDRS, PodSecurityNamespace, PUBLIC_HTTPS_EGRESS, type PodSecurityNamespaceProps } from "../../../constructs/pod-security-namespace";
import { build, k8sNamed, onlyOf, ref, resourceTypes, resourcesOf, type Built, type Json } from "./support";

const synth = (props: PodSecurityNamespaceProps): Built<PodSecurityNamespace> => build((scope) => new PodSecurityNamespace(scope, "ns", props));
const labels = (json: Json) => onlyOf(json, "kubernetes_namespace_v1").metadata.labels;

describe("PodSecurityNamespace", () => {
  // GIVEN a restricted namespace, warnAndAudit omitted.
  let fixture: Built<PodSecurityNamespace>;
  beforeAll(() => {
    fixture = build((scope) => {
      const ns = new PodSecurityNamespace(scope, "ns", { name: "netboot-boot", enforce: "restricted" });
      new TerraformOutput(scope, "name", { value: ns.name });
      return ns;
    });
  });

  test("creates the namespace and exactly two policies: default-deny and allow-dns", () => {
    expect(resourceTypes(fixture.json)).toEqual(["kubernetes_namespace_v1", "kubernetes_network_policy_v1"]);
    expect(
      resourcesOf(fixture.json, "kubernetes_network_policy_v1")
        .map((p) => p.metadata.name)
        .sort()
    ).toEqual(["allow-dns", "default-deny"]);
  });

  test("GIVEN name and enforce, warnAndAudit omitted THEN warn and audit report the enforced level (documented @default)", () => {
    const ns = onlyOf(fixture.json, "kubernetes_namespace_v1");
    expect(ns.metadata).toEqual({
      name: "netboot-boot",
      labels: {
        "app.kubernetes.io/part-of": "netboot",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    });
  });

  test("GIVEN enforce privileged and warnAndAudit restricted THEN the API server enforces privileged and reports against restricted", () => {
    expect(labels(synth({ name: "netboot-gateway", enforce: "privileged", warnAndAudit: "restricted" }).json)).toEqual({
      "app.kubernetes.io/part-of": "netboot",
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });

  test("GIVEN enforce baseline THEN the baseline level is enforced and reported", () => {
    const l = labels(synth({ name: "other", enforce: "baseline" }).json);
    expect([l["pod-security.kubernetes.io/enforce"], l["pod-security.kubernetes.io/warn"], l["pod-security.kubernetes.io/audit"]]).toEqual(["baseline", "baseline", "baseline"]);
  });

  test("the policies live in the namespace (a reference, so Terraform creates the namespace first) and `name` is that reference", () => {
    const { construct, json } = fixture;
    const nsName = ref(construct.namespace, "metadata[0].name");
    // `name` (what workloads put in their metadata.namespace), as Terraform receives it.
    expect(json.output.name.value).toBe(nsName);
    for (const p of resourcesOf(json, "kubernetes_network_policy_v1")) expect(p.metadata.namespace).toBe(nsName);
  });

  test("default-deny selects every pod for ingress and egress and allows nothing", () => {
    expect(k8sNamed(fixture.json, "kubernetes_network_policy_v1", "default-deny")).toEqual({
      metadata: { name: "default-deny", namespace: ref(fixture.construct.namespace, "metadata[0].name"), labels: { "app.kubernetes.io/part-of": "netboot" } },
      // An empty pod selector selects all pods; no ingress/egress rule means nothing is allowed.
      spec: { pod_selector: {}, policy_types: ["Ingress", "Egress"] },
    });
  });

  test("allow-dns lets every pod reach kube-dns, NodeLocal DNSCache and the metadata server on port 53 (UDP and TCP), nothing else", () => {
    expect(k8sNamed(fixture.json, "kubernetes_network_policy_v1", "allow-dns").spec).toEqual({
      pod_selector: {},
      policy_types: ["Egress"],
      egress: [
        {
          to: [
            { namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } }, pod_selector: { match_labels: { "k8s-app": "kube-dns" } } },
            { ip_block: { cidr: "169.254.20.10/32" } },
            { ip_block: { cidr: "169.254.169.254/32" } },
          ],
          ports: [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
          ],
        },
      ],
    });
    expect(DNS_EGRESS.ports).toEqual([
      { port: "53", protocol: "UDP" },
      { port: "53", protocol: "TCP" },
    ]);
  });

  test("PUBLIC_HTTPS_EGRESS (used by the workloads' policies) is TCP 443 to public addresses only", () => {
    expect([...NON_PUBLIC_CIDRS]).toEqual(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]);
    expect(PUBLIC_HTTPS_EGRESS).toEqual({
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"] } }],
      ports: [{ port: "443", protocol: "TCP" }],
    });
  });
});
