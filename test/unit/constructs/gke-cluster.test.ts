import { GkeCluster, KUBELET_DEFAULTS_KEPT, type GkeClusterProps } from "../../../constructs/gke-cluster";
import { build, onlyOf, ref, resourceTypes, type Built, type Json } from "./support";

// The fixture site's gke and network settings (test/fixtures/site/site.yaml),
// with the VPC's ids and the node account's email as plain strings: the
// construct only passes them on.
const base: GkeClusterProps = {
  project: "netboot-fixture-000001",
  name: "nbfix-cluster",
  zone: "europe-west1-b",
  networkId: "projects/netboot-fixture-000001/global/networks/nbfix-vpc",
  subnetId: "projects/netboot-fixture-000001/regions/europe-west1/subnetworks/nbfix-nodes",
  podsRangeName: "nbfix-pods",
  servicesRangeName: "nbfix-services",
  controlPlaneCidr: "172.16.0.0/28",
  controlPlaneAuthorizedCidrs: ["203.0.113.10/32"],
  releaseChannel: "REGULAR",
  nodeServiceAccountEmail: "nbfix-gke-nodes@netboot-fixture-000001.iam.gserviceaccount.com",
  machineType: "e2-small",
  spot: true,
  nodeCount: 1,
};

const synth = (props: Partial<GkeClusterProps> = {}): Built<GkeCluster> => build((scope) => new GkeCluster(scope, "gke", { ...base, ...props }));
const cluster = (json: Json) => onlyOf(json, "google_container_cluster");
const pool = (json: Json) => onlyOf(json, "google_container_node_pool");

const CLOUD_PLATFORM = ["https://www.googleapis.com/auth/cloud-platform"];
const SHIELDED = { enable_secure_boot: true, enable_integrity_monitoring: true };

describe("GkeCluster", () => {
  // GIVEN the fixture props, deletionProtection and allowedUnsafeSysctls omitted.
  let fixture: Built<GkeCluster>;
  // GIVEN every prop changed at once: each test names the props it follows.
  let other: Json;
  // GIVEN no authorized networks, and the optional props set to their documented defaults.
  let open: Json;
  beforeAll(() => {
    fixture = synth();
    other = synth({
      project: "other-project-123",
      name: "lab2",
      zone: "us-central1-a",
      networkId: "net-2",
      subnetId: "subnet-2",
      podsRangeName: "lab2-pods",
      servicesRangeName: "lab2-services",
      controlPlaneCidr: "172.16.1.0/28",
      controlPlaneAuthorizedCidrs: ["203.0.113.10/32", "198.51.100.0/24"],
      releaseChannel: "STABLE",
      nodeServiceAccountEmail: "lab2-gke-nodes@other-project-123.iam.gserviceaccount.com",
      machineType: "e2-medium",
      spot: false,
      nodeCount: 3,
      deletionProtection: false,
      allowedUnsafeSysctls: ["net.ipv4.ip_forward", "net.ipv4.conf.all.src_valid_mark"],
    }).json;
    open = synth({ controlPlaneAuthorizedCidrs: [], deletionProtection: true, allowedUnsafeSysctls: [] }).json;
  });

  test("creates exactly one cluster and one node pool", () => {
    expect(resourceTypes(fixture.json)).toEqual(["google_container_cluster", "google_container_node_pool"]);
  });

  test("GIVEN name, zone, network, subnet and range names THEN a zonal VPC-native cluster on them, its default pool removed", () => {
    expect(cluster(fixture.json)).toMatchObject({
      name: "nbfix-cluster",
      location: "europe-west1-b",
      network: base.networkId,
      subnetwork: base.subnetId,
      networking_mode: "VPC_NATIVE",
      ip_allocation_policy: { cluster_secondary_range_name: "nbfix-pods", services_secondary_range_name: "nbfix-services" },
      remove_default_node_pool: true,
      initial_node_count: 1,
    });
  });

  test("GIVEN another name, zone, network, subnet, range names, control-plane range and node account THEN cluster and pool follow them", () => {
    expect(cluster(other)).toMatchObject({
      name: "lab2",
      location: "us-central1-a",
      network: "net-2",
      subnetwork: "subnet-2",
      ip_allocation_policy: { cluster_secondary_range_name: "lab2-pods", services_secondary_range_name: "lab2-services" },
      private_cluster_config: { master_ipv4_cidr_block: "172.16.1.0/28" },
      node_config: { service_account: "lab2-gke-nodes@other-project-123.iam.gserviceaccount.com" },
    });
    expect(pool(other)).toMatchObject({ location: "us-central1-a", node_config: { service_account: "lab2-gke-nodes@other-project-123.iam.gserviceaccount.com" } });
  });

  test("GIVEN controlPlaneCidr THEN the nodes are private, the endpoint public, and the control plane's private range is that /28", () => {
    expect(cluster(fixture.json).private_cluster_config).toEqual({
      enable_private_nodes: true,
      enable_private_endpoint: false,
      master_ipv4_cidr_block: "172.16.0.0/28",
    });
    // The DNS-based endpoint (IAM-guarded) and the IP endpoint (authorized networks), docs/adr/0010.
    expect(cluster(fixture.json).control_plane_endpoints_config).toEqual({
      dns_endpoint_config: { allow_external_traffic: true },
      ip_endpoints_config: { enabled: true },
    });
  });

  test("GIVEN controlPlaneAuthorizedCidrs THEN exactly those sources reach the IP endpoint", () => {
    expect(cluster(fixture.json).master_authorized_networks_config).toEqual({ cidr_blocks: [{ cidr_block: "203.0.113.10/32", display_name: "authorized" }] });
    expect(cluster(other).master_authorized_networks_config).toEqual({
      cidr_blocks: [
        { cidr_block: "203.0.113.10/32", display_name: "authorized" },
        { cidr_block: "198.51.100.0/24", display_name: "authorized" },
      ],
    });
  });

  test("GIVEN no controlPlaneAuthorizedCidrs THEN no authorized-networks block (documented: empty = any source, IAM still applies)", () => {
    expect(cluster(open).master_authorized_networks_config).toBeUndefined();
  });

  test("GIVEN project THEN Workload Identity uses <project>.svc.id.goog, and the cluster has the fixed hardening", () => {
    expect(cluster(fixture.json)).toMatchObject({
      workload_identity_config: { workload_pool: "netboot-fixture-000001.svc.id.goog" },
      enable_shielded_nodes: true,
      enable_legacy_abac: false,
      master_auth: { client_certificate_config: { issue_client_certificate: false } },
      // Dataplane V2: enforces the NetworkPolicies of the other constructs.
      datapath_provider: "ADVANCED_DATAPATH",
      logging_service: "logging.googleapis.com/kubernetes",
      monitoring_service: "monitoring.googleapis.com/kubernetes",
    });
    expect(cluster(other).workload_identity_config).toEqual({ workload_pool: "other-project-123.svc.id.goog" });
  });

  test("GIVEN releaseChannel THEN the cluster follows it", () => {
    expect(cluster(fixture.json).release_channel).toEqual({ channel: "REGULAR" });
    expect(cluster(other).release_channel).toEqual({ channel: "STABLE" });
  });

  test("GIVEN deletionProtection omitted THEN deletion protection is on (documented @default true)", () => {
    expect(cluster(fixture.json).deletion_protection).toBe(true);
  });

  test("GIVEN deletionProtection false or true THEN it is written as given", () => {
    expect(cluster(other).deletion_protection).toBe(false);
    expect(cluster(open).deletion_protection).toBe(true);
  });

  test("GIVEN nodeServiceAccountEmail THEN the short-lived default pool runs as it, shielded, with the GKE metadata server, and later drift is ignored", () => {
    const c = cluster(fixture.json);
    expect(c.node_config).toMatchObject({
      service_account: base.nodeServiceAccountEmail,
      oauth_scopes: CLOUD_PLATFORM,
      shielded_instance_config: SHIELDED,
      workload_metadata_config: { mode: "GKE_METADATA" },
    });
    expect(c.lifecycle).toEqual({ ignore_changes: ["node_config"] });
  });

  // BUG (constructs/gke-cluster.ts:106-112): the comment says the default
  // pool's node config has the "same hardening as ours", but it lacks the
  // pool's `metadata: { "disable-legacy-endpoints": "true" }`. GKE disables the
  // legacy metadata endpoints by default since 1.12 and the pool is deleted
  // right after creation, so the impact is small; the claim is still not what
  // the code does.
  test("the default pool's node config carries the same metadata hardening as the boot pool", () => {
    expect(cluster(fixture.json).node_config.metadata).toEqual({ "disable-legacy-endpoints": "true" });
  });

  test("GIVEN name, zone, machineType, spot, nodeCount and nodeServiceAccountEmail THEN the node pool is exactly that, hardened", () => {
    const { construct, json } = fixture;
    expect(pool(json)).toEqual({
      name: "nbfix-cluster-pool",
      cluster: ref(construct.cluster, "id"),
      location: "europe-west1-b",
      node_count: 1,
      management: { auto_repair: true, auto_upgrade: true },
      node_config: {
        machine_type: "e2-small",
        spot: true,
        disk_size_gb: 30,
        disk_type: "pd-standard",
        image_type: "COS_CONTAINERD",
        service_account: base.nodeServiceAccountEmail,
        oauth_scopes: CLOUD_PLATFORM,
        shielded_instance_config: SHIELDED,
        workload_metadata_config: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
        labels: { "netboot/pool": "boot" },
        // No kubelet_config: allowedUnsafeSysctls was omitted (see below).
      },
    });
  });

  test("GIVEN another name, machineType, spot false and nodeCount 3 THEN the pool follows them", () => {
    const p = pool(other);
    expect(p.name).toBe("lab2-pool");
    expect(p.node_count).toBe(3);
    expect(p.node_config).toMatchObject({ machine_type: "e2-medium", spot: false });
  });

  test("GIVEN allowedUnsafeSysctls omitted or empty THEN the kubelet allows no unsafe sysctl (documented @default [])", () => {
    expect(pool(fixture.json).node_config.kubelet_config).toBeUndefined();
    expect(pool(open).node_config.kubelet_config).toBeUndefined();
  });

  test("GIVEN allowedUnsafeSysctls THEN the kubelet allows exactly those, and still enforces CPU limits", () => {
    expect(pool(other).node_config.kubelet_config).toEqual({ cpu_cfs_quota: true, allowed_unsafe_sysctls: ["net.ipv4.ip_forward", "net.ipv4.conf.all.src_valid_mark"] });
  });

  test("GIVEN a kubelet_config block THEN cpu_cfs_quota is true in the synthesized JSON (unset, hashicorp/google force-sends false: KUBELET_DEFAULTS_KEPT)", () => {
    const kubelet = pool(other).node_config.kubelet_config;
    expect(kubelet.cpu_cfs_quota).toBe(true);
    expect(KUBELET_DEFAULTS_KEPT).toEqual({ cpuCfsQuota: true });
  });
});
