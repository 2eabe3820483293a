import { BootVpc, type BootVpcProps } from "../../../constructs/boot-vpc";
import { build, onlyOf, ref, resourceTypes, type Built } from "./support";

// The fixture site's network (test/fixtures/site/site.yaml), written out: the
// construct takes plain strings, and the test states what it expects.
const base: BootVpcProps = {
  namePrefix: "nbfix",
  region: "europe-west1",
  nodesCidr: "10.128.0.0/24",
  podsCidr: "10.132.0.0/17",
  servicesCidr: "10.136.0.0/20",
};

const synth = (props: Partial<BootVpcProps> = {}): Built<BootVpc> => build((scope) => new BootVpc(scope, "vpc", { ...base, ...props }));

describe("BootVpc", () => {
  let fixture: Built<BootVpc>;
  beforeAll(() => {
    fixture = synth();
  });

  test("GIVEN the fixture props WHEN synthesized THEN it creates exactly a network, a subnet, a router and a NAT, and no firewall rule", () => {
    // The VPC's implied rules deny all ingress; GKE adds the rules it needs itself.
    expect(resourceTypes(fixture.json)).toEqual(["google_compute_network", "google_compute_router", "google_compute_router_nat", "google_compute_subnetwork"]);
    expect(fixture.json.resource.google_compute_firewall).toBeUndefined();
  });

  test("GIVEN namePrefix THEN the network is a custom-mode regional VPC named <prefix>-vpc", () => {
    expect(onlyOf(fixture.json, "google_compute_network")).toEqual({ name: "nbfix-vpc", auto_create_subnetworks: false, routing_mode: "REGIONAL" });
  });

  test("GIVEN region, nodesCidr, podsCidr and servicesCidr THEN the subnet holds the nodes' range and both secondary ranges, with private Google access", () => {
    const { construct, json } = fixture;
    expect(onlyOf(json, "google_compute_subnetwork")).toEqual({
      name: "nbfix-nodes",
      network: ref(construct.network, "id"),
      region: "europe-west1",
      ip_cidr_range: "10.128.0.0/24",
      private_ip_google_access: true,
      secondary_ip_range: [
        { range_name: "nbfix-pods", ip_cidr_range: "10.132.0.0/17" },
        { range_name: "nbfix-services", ip_cidr_range: "10.136.0.0/20" },
      ],
      log_config: { aggregation_interval: "INTERVAL_5_MIN", flow_sampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    });
    // GkeCluster reads the range names from the construct.
    expect(construct.podsRangeName).toBe("nbfix-pods");
    expect(construct.servicesRangeName).toBe("nbfix-services");
  });

  test("GIVEN region THEN the Cloud Router and Cloud NAT are in it, and NAT covers only the subnet (all its ranges) and logs errors", () => {
    const { construct, json } = fixture;
    expect(onlyOf(json, "google_compute_router")).toEqual({ name: "nbfix-router", network: ref(construct.network, "id"), region: "europe-west1" });
    const [routerId] = Object.keys(json.resource.google_compute_router);
    expect(onlyOf(json, "google_compute_router_nat")).toEqual({
      name: "nbfix-nat",
      router: `\${google_compute_router.${routerId}.name}`,
      region: "europe-west1",
      nat_ip_allocate_option: "AUTO_ONLY",
      source_subnetwork_ip_ranges_to_nat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: ref(construct.subnet, "id"), source_ip_ranges_to_nat: ["ALL_IP_RANGES"] }],
      log_config: { enable: true, filter: "ERRORS_ONLY" },
    });
  });

  test("GIVEN another namePrefix, region and ranges WHEN synthesized THEN every name, region and range follows them", () => {
    const { construct, json } = synth({ namePrefix: "lab2", region: "us-central1", nodesCidr: "10.10.0.0/24", podsCidr: "10.20.0.0/16", servicesCidr: "10.30.0.0/20" });
    expect(onlyOf(json, "google_compute_network").name).toBe("lab2-vpc");
    const subnet = onlyOf(json, "google_compute_subnetwork");
    expect([subnet.name, subnet.region, subnet.ip_cidr_range]).toEqual(["lab2-nodes", "us-central1", "10.10.0.0/24"]);
    expect(subnet.secondary_ip_range).toEqual([
      { range_name: "lab2-pods", ip_cidr_range: "10.20.0.0/16" },
      { range_name: "lab2-services", ip_cidr_range: "10.30.0.0/20" },
    ]);
    expect([construct.podsRangeName, construct.servicesRangeName]).toEqual(["lab2-pods", "lab2-services"]);
    expect(onlyOf(json, "google_compute_router")).toMatchObject({ name: "lab2-router", region: "us-central1" });
    expect(onlyOf(json, "google_compute_router_nat")).toMatchObject({ name: "lab2-nat", region: "us-central1" });
  });
});
