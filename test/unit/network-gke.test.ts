import { App, Testing } from "cdktf";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE_ROLES } from "../../constructs/node-service-account";
import { addNetbootStacks } from "../../stacks";
import { fixtureSiteFrom } from "../support/site";
import { buildStacks, onlyResource, resources, synthJson } from "../support/synth";

describe("network stack", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).network);

  test("snapshot", () => {
    expect(json).toMatchSnapshot();
  });

  test("custom-mode VPC with a VPC-native subnet and private Google access", () => {
    expect(onlyResource(json, "google_compute_network")).toMatchObject({ name: "nbfix-vpc", auto_create_subnetworks: false });
    const subnet = onlyResource(json, "google_compute_subnetwork");
    expect(subnet).toMatchObject({ ip_cidr_range: "10.128.0.0/24", private_ip_google_access: true });
    expect(subnet.secondary_ip_range).toEqual([
      { range_name: "nbfix-pods", ip_cidr_range: "10.132.0.0/17" },
      { range_name: "nbfix-services", ip_cidr_range: "10.136.0.0/20" },
    ]);
  });

  test("creates no firewall rule: nothing is opened from the internet by us", () => {
    expect(resources(json, "google_compute_firewall")).toEqual({});
  });

  test("Cloud NAT for the private nodes and a regional external static IP for WireGuard", () => {
    expect(onlyResource(json, "google_compute_router_nat")).toMatchObject({ nat_ip_allocate_option: "AUTO_ONLY", source_subnetwork_ip_ranges_to_nat: "LIST_OF_SUBNETWORKS" });
    expect(onlyResource(json, "google_compute_address")).toMatchObject({ name: "nbfix-wireguard", address_type: "EXTERNAL", region: "europe-west1" });
  });

  test("with an existing cluster only the static IP is created", () => {
    const existing = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" }))).network);
    expect(Object.keys(existing.resource)).toEqual(["google_compute_address"]);
  });
});

describe("gke stack", () => {
  const json = synthJson(buildStacks(fixtureSiteFrom()).gke);
  const cluster = onlyResource(json, "google_container_cluster");
  const pool = onlyResource(json, "google_container_node_pool");

  test("snapshot", () => {
    expect(json).toMatchSnapshot();
  });

  test("zonal Standard cluster with private nodes, Workload Identity, Dataplane V2, deletion protection", () => {
    expect(cluster.location).toBe("europe-west1-b");
    expect(cluster.enable_autopilot).toBeUndefined();
    expect(cluster.private_cluster_config).toEqual({ enable_private_nodes: true, enable_private_endpoint: false, master_ipv4_cidr_block: "172.16.0.0/28" });
    expect(cluster.workload_identity_config).toEqual({ workload_pool: "netboot-fixture-000001.svc.id.goog" });
    expect(cluster.datapath_provider).toBe("ADVANCED_DATAPATH");
    expect(cluster.enable_shielded_nodes).toBe(true);
    expect(cluster.deletion_protection).toBe(true);
    expect(cluster.release_channel).toEqual({ channel: "REGULAR" });
    expect(cluster.master_auth).toEqual({ client_certificate_config: { issue_client_certificate: false } });
    expect(cluster.master_authorized_networks_config.cidr_blocks).toEqual([{ cidr_block: "203.0.113.10/32", display_name: "authorized" }]);
  });

  test("control plane: the DNS-based endpoint admits external traffic (IAM-guarded); the IP endpoint stays, limited to controlPlaneAuthorizedCidrs", () => {
    // docs/adr/0010: CI's runners reach the DNS endpoint; only the authorized networks reach the IP endpoint.
    expect(cluster.control_plane_endpoints_config).toEqual({
      dns_endpoint_config: { allow_external_traffic: true },
      ip_endpoints_config: { enabled: true },
    });
    expect(cluster.master_authorized_networks_config).toEqual({ cidr_blocks: [{ cidr_block: "203.0.113.10/32", display_name: "authorized" }] });
    expect(cluster.private_cluster_config.enable_private_endpoint).toBe(false);
  });

  test("every authorized CIDR, and only those, reaches the IP endpoint; the DNS endpoint does not depend on them", () => {
    const cidrs = ["203.0.113.10/32", "198.51.100.0/29"];
    const two = onlyResource(synthJson(buildStacks(fixtureSiteFrom((v) => (v.network.controlPlaneAuthorizedCidrs = cidrs))).gke), "google_container_cluster");
    expect(two.master_authorized_networks_config.cidr_blocks.map((b: any) => b.cidr_block)).toEqual(cidrs);
    expect(two.control_plane_endpoints_config.dns_endpoint_config).toEqual({ allow_external_traffic: true });
  });

  test("gke exports the DNS-based endpoint (sensitive) besides the IP endpoint", () => {
    expect(json.output.cluster_dns_endpoint).toMatchObject({
      sensitive: true,
      value: expect.stringMatching(/^\$\{google_container_cluster\.gke_cluster_\w+\.control_plane_endpoints_config\[0\]\.dns_endpoint_config\[0\]\.endpoint\}$/),
    });
    expect(json.output.cluster_endpoint.value).toMatch(/^\$\{google_container_cluster\.gke_cluster_\w+\.endpoint\}$/);
  });

  test("node pool: dedicated service account, GKE metadata server, shielded, spot, only the gateway's sysctl", () => {
    expect(pool.node_config.service_account).toMatch(/google_service_account\.node-sa_account_\w+\.email/);
    expect(pool.node_config.oauth_scopes).toEqual(["https://www.googleapis.com/auth/cloud-platform"]);
    expect(pool.node_config.workload_metadata_config).toEqual({ mode: "GKE_METADATA" });
    expect(pool.node_config.shielded_instance_config).toEqual({ enable_secure_boot: true, enable_integrity_monitoring: true });
    expect(pool.node_config.spot).toBe(true);
    expect(pool.node_config.machine_type).toBe("e2-small");
    expect(pool.node_config.kubelet_config).toEqual({ cpu_cfs_quota: true, allowed_unsafe_sysctls: ["net.ipv4.ip_forward"] });
  });

  test("node service account holds only the minimal roles", () => {
    const roles = Object.values(resources(json, "google_project_iam_member")).map((m: any) => m.role);
    expect(roles.sort()).toEqual([...NODE_ROLES].sort());
  });

  test("deletion protection can be turned off explicitly", () => {
    const off = synthJson(buildStacks(fixtureSiteFrom((v) => (v.gke.deletionProtection = false))).gke);
    expect(onlyResource(off, "google_container_cluster").deletion_protection).toBe(false);
  });

  test("an existing cluster is only read, never created", () => {
    const existing = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1" }))).gke);
    expect(existing.resource).toBeUndefined();
    expect(existing.data.google_container_cluster).toBeDefined();
  });

  test("an existing cluster's DNS-based endpoint is read from the data source and exported", () => {
    const existing = synthJson(buildStacks(fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" }))).gke);
    expect(existing.output.cluster_dns_endpoint.value).toBe("${data.google_container_cluster.existing.control_plane_endpoints_config[0].dns_endpoint_config[0].endpoint}");
  });
});

describe("whole app", () => {
  const outdir = mkdtempSync(join(tmpdir(), "netboot-app-"));
  const app = new App({ outdir, stackTraces: false });
  addNetbootStacks(app, fixtureSiteFrom());
  app.synth();
  const read = (stack: string) => JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));

  test("gke reads the network stack's VPC through remote state of its local backend", () => {
    const gke = read("gke");
    expect(gke.data.terraform_remote_state["cross-stack-reference-input-network"]).toEqual({
      backend: "local",
      config: { path: "../../../terraform.network.tfstate" },
      workspace: "${terraform.workspace}",
    });
    const cluster: any = Object.values(gke.resource.google_container_cluster)[0];
    expect(cluster.network).toMatch(/data\.terraform_remote_state\.cross-stack-reference-input-network\.outputs\.cross-stack-output-/);
  });

  test("the manifest records the dependency order", () => {
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(manifest.stacks.gke.dependencies).toEqual(["network"]);
    expect(manifest.stacks["boot-server"].dependencies.sort()).toEqual(["gke", "network"]);
  });

  test("boot-server reaches the cluster and the static IP through the gke and network stacks' state", () => {
    const boot = read("boot-server");
    const k8s = boot.provider.kubernetes[0];
    // The cluster's DNS-based endpoint, from gke's state; no cluster CA (docs/adr/0010).
    expect(k8s.host).toMatch(
      /^https:\/\/\$\{data\.terraform_remote_state\.cross-stack-reference-input-gke\.outputs\.cross-stack-output-google_container_clustergke_cluster_\w+control_plane_endpoints_config0dns_endpoint_config0endpoint\}$/,
    );
    expect(k8s.cluster_ca_certificate).toBeUndefined();
    // A token from gke-gcloud-auth-plugin at run time: none in state (issue #13).
    expect(k8s.token).toBeUndefined();
    expect(k8s.exec).toEqual([{ api_version: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin" }]);
    const lb: any = Object.values(boot.resource.kubernetes_service_v1).find((s: any) => s.spec.type === "LoadBalancer");
    expect(lb.metadata.annotations["networking.gke.io/load-balancer-ip-addresses"]).toMatch(/cross-stack-reference-input-network\.outputs\.cross-stack-output-google_compute_addresswireguard-endpointname/);
  });

  test("with an existing cluster, boot-server reaches it through the DNS-based endpoint gke read", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-app-existing-"));
    const existingApp = new App({ outdir: dir, stackTraces: false });
    addNetbootStacks(existingApp, fixtureSiteFrom((v) => Object.assign(v.gke, { mode: "existing", location: "europe-west1-b" })));
    existingApp.synth();
    const boot = JSON.parse(readFileSync(join(dir, "stacks", "boot-server", "cdk.tf.json"), "utf8"));
    const k8s = boot.provider.kubernetes[0];
    expect(k8s.host).toBe(
      "https://${data.terraform_remote_state.cross-stack-reference-input-gke.outputs.cross-stack-output-datagoogle_container_clusterexistingcontrol_plane_endpoints_config0dns_endpoint_config0endpoint}",
    );
    expect(k8s.cluster_ca_certificate).toBeUndefined();
  });

  test("a GCS backend gives every stack its own prefix", () => {
    const site = fixtureSiteFrom((v) => (v.state = { backend: "gcs", bucket: "home-tfstate", prefix: "netboot" }));
    const stacks = addNetbootStacks(Testing.app(), site);
    expect(synthJson(stacks.network).terraform.backend.gcs).toEqual({ bucket: "home-tfstate", prefix: "netboot/network" });
    expect(synthJson(stacks.gke).terraform.backend.gcs).toEqual({ bucket: "home-tfstate", prefix: "netboot/gke" });
  });
});
