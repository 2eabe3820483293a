import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSite, siteFileFromEnv, EXAMPLE_SITE_FILE, REPO_ROOT } from "../../lib/input/settings";
import { DataFileError } from "../../lib/input/yaml-source";
import { FIXTURE_SITE_FILE, siteFrom } from "../support/site";

function problemsOf(edit: (s: Record<string, any>) => void): string[] {
  try {
    siteFrom(edit);
  } catch (err) {
    if (err instanceof DataFileError) return err.message.split("\n").slice(1).map((l) => l.trim());
    throw err;
  }
  throw new Error("expected the settings to be rejected");
}

describe("site settings", () => {
  test("a site file is read with its path relative to the repository root, and its values typed", () => {
    const { settings, file } = loadSite(FIXTURE_SITE_FILE);
    expect(file).toBe("test/fixtures/site/site.yaml");
    expect(settings.state.backend).toBe("local");
    expect(settings.bootVlanCidrs).toEqual(["10.0.20.0/24"]);
    expect(settings.wireguard.mtu).toBe(1380);
  });

  test("site resolution: SITE_CONFIG, else cdktf.json's context.site, else the example site", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-cdktf-json-"));
    const project = (context: unknown) => {
      const file = join(dir, `cdktf-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify({ app: "x", context }));
      return file;
    };
    const withHome = project({ site: "test/fixtures/site/site.yaml" });
    expect(siteFileFromEnv({ SITE_CONFIG: "/srv/sites/other.yaml" }, withHome)).toBe("/srv/sites/other.yaml");
    expect(siteFileFromEnv({}, withHome)).toBe(join(REPO_ROOT, "test/fixtures/site/site.yaml"));
    expect(siteFileFromEnv({}, project({}))).toBe(EXAMPLE_SITE_FILE);
    expect(siteFileFromEnv({}, join(dir, "missing.json"))).toBe(EXAMPLE_SITE_FILE);
    expect(() => siteFileFromEnv({}, project({ site: 42 }))).toThrow(/context\.site: got 42; must be the path of a site file relative to the repository root/);
  });

  test("defaults are filled in for optional fields", () => {
    const s = siteFrom((v) => {
      delete v.wireguard.mtu;
      delete v.wireguard.listenPort;
      delete v.gke.deletionProtection;
    });
    expect(s.wireguard.mtu).toBe(1380);
    expect(s.wireguard.listenPort).toBe(51820);
    expect(s.gke.deletionProtection).toBe(true);
    expect(s.network.controlPlaneAuthorizedCidrs).toEqual(["203.0.113.10/32"]);
  });

  test("a missing required field names the file, the line and the field", () => {
    const [p] = problemsOf((v) => delete v.gcp.project);
    expect(p).toMatch(/^test\/fixtures\/site\/site\.yaml:\d+: gcp: missing required field "project"$/);
  });

  test("an unknown field lists what is allowed", () => {
    const [p] = problemsOf((v) => (v.wireguard.privateKey = "c2VjcmV0"));
    expect(p).toMatch(/wireguard\.privateKey: unknown field; allowed here: tunnelCidr, gatewayAddress/);
  });

  test.each([
    ["not a CIDR", "10.0.20/24", /got "10\.0\.20\/24"; does not have the expected form \(IPv4 CIDR, e\.g\. 10\.0\.20\.0\/24\)/],
    ["host bits set", "10.0.20.5/24", /has host bits set; did you mean 10\.0\.20\.0\/24\?/],
    ["octet out of range", "10.0.300.0/24", /is not an IPv4 CIDR/],
  ])("bootVlanCidrs: %s", (_name, value, message) => {
    const problems = problemsOf((v) => (v.bootVlanCidrs = [value]));
    expect(problems.join("\n")).toMatch(message);
    expect(problems.join("\n")).toMatch(/bootVlanCidrs\[0\]/);
  });

  test("a public range in bootVlanCidrs is refused", () => {
    const [p] = problemsOf((v) => (v.bootVlanCidrs = ["198.51.100.0/24"]));
    expect(p).toMatch(/bootVlanCidrs\[0\]: 198\.51\.100\.0\/24 is not a private range; allowed: RFC 1918/);
  });

  test.each([
    ["tunnel vs boot VLAN", (v: any) => (v.wireguard.tunnelCidr = "10.0.20.0/25"), /wireguard\.tunnelCidr: 10\.0\.20\.0\/25 overlaps bootVlanCidrs\[0\] \(10\.0\.20\.0\/24\)/],
    ["pods vs nodes", (v: any) => (v.network.podsCidr = "10.128.0.0/16"), /network\.podsCidr: 10\.128\.0\.0\/16 overlaps network\.nodesCidr/],
    ["services vs boot VLAN", (v: any) => (v.network.servicesCidr = "10.0.0.0/16"), /overlaps bootVlanCidrs\[0\]/],
    ["two boot VLANs", (v: any) => (v.bootVlanCidrs = ["10.0.20.0/24", "10.0.20.128/25"]), /bootVlanCidrs\[1\]: 10\.0\.20\.128\/25 overlaps bootVlanCidrs\[0\]/],
  ])("overlapping private CIDRs are refused: %s", (_name, edit, message) => {
    expect(problemsOf(edit).join("\n")).toMatch(message);
  });

  test.each(["10.1.2.3/32", "192.168.1.0/24", "100.64.1.1/32", "127.0.0.1/32"])("a private range in homePublicCidrs is refused: %s", (cidr) => {
    const [p] = problemsOf((v) => (v.homePublicCidrs = [cidr]));
    expect(p).toContain(`homePublicCidrs[0]: ${cidr} is not a public range; homePublicCidrs holds the home router's public (WAN) address(es)`);
  });

  test("0.0.0.0/0 in homePublicCidrs is refused unless the site opts in", () => {
    const [p] = problemsOf((v) => (v.homePublicCidrs = ["0.0.0.0/0"]));
    expect(p).toMatch(/homePublicCidrs\[0\]: 0\.0\.0\.0\/0 opens UDP 51820 to every address; set acceptHandshakesFromAnyAddress: true/);
    const s = siteFrom((v) => {
      v.homePublicCidrs = ["0.0.0.0/0"];
      v.acceptHandshakesFromAnyAddress = true;
    });
    expect(s.homePublicCidrs).toEqual(["0.0.0.0/0"]);
  });

  test.each([
    ["region", (v: any) => (v.gcp.region = "Europe West 4"), /gcp\.region:.*does not have the expected form \(GCP region, e\.g\. europe-west4\)/],
    ["zone format", (v: any) => (v.gcp.zone = "europe-west4"), /gcp\.zone:.*does not have the expected form \(GCP zone inside region/],
    ["zone of another region", (v: any) => (v.gcp.zone = "us-central1-a"), /gcp\.zone: "us-central1-a" is not a zone of region "europe-west1"/],
  ])("bad %s is refused", (_name, edit, message) => {
    expect(problemsOf(edit).join("\n")).toMatch(message);
  });

  test("the gateway address must be a host inside the tunnel CIDR", () => {
    expect(problemsOf((v) => (v.wireguard.gatewayAddress = "10.98.0.1")).join()).toMatch(/wireguard\.gatewayAddress: 10\.98\.0\.1 is outside wireguard\.tunnelCidr 10\.99\.0\.0\/24/);
    expect(problemsOf((v) => (v.wireguard.gatewayAddress = "10.99.0.0")).join()).toMatch(/network or broadcast address/);
  });

  test("boot VLAN gateways must belong to a boot VLAN and lie inside it", () => {
    expect(problemsOf((v) => (v.bootVlanGateways = { "10.0.30.0/24": "10.0.30.1" })).join()).toMatch(/bootVlanGateways\.10\.0\.30\.0\/24: "10\.0\.30\.0\/24" is not one of bootVlanCidrs \(10\.0\.20\.0\/24\)/);
    expect(problemsOf((v) => (v.bootVlanGateways = { "10.0.20.0/24": "10.0.21.1" })).join()).toMatch(/10\.0\.21\.1 is outside 10\.0\.20\.0\/24/);
  });

  test("the Matchbox ClusterIP must be inside the services range", () => {
    expect(problemsOf((v) => (v.matchbox.clusterIp = "10.0.20.80")).join()).toMatch(/matchbox\.clusterIp: 10\.0\.20\.80 is outside network\.servicesCidr 10\.136\.0\.0\/20/);
  });

  test("a GCS backend needs a bucket; enum fields list their values", () => {
    expect(problemsOf((v) => (v.state.backend = "gcs")).join()).toMatch(/state\.bucket: missing: state\.backend is "gcs"/);
    expect(problemsOf((v) => (v.state.backend = "s3")).join()).toMatch(/state\.backend: got "s3"; allowed: "local", "gcs"/);
  });

  test("observability.notificationChannels: email addresses and channel ids; anything else names the entry and both allowed forms", () => {
    expect(() => siteFrom((v) => (v.observability = { notificationChannels: ["ops@lab.example.test", "projects/my-project-1/notificationChannels/42", "projects/123456/notificationChannels/7"] }))).not.toThrow();
    const problems = problemsOf((v) => (v.observability = { notificationChannels: ["ops@lab.example.test", "ops at lab", "projects/p/notificationChannels/abc", "notificationChannels/42"] })).join("\n");
    expect(problems).toMatch(/site\.yaml:\d+: observability\.notificationChannels\[1\]: "ops at lab" is neither an email address nor a notification channel id \(an email address is name@domain\.example\); allowed: an email address \(an email channel is created for it\) or the id of an existing channel/);
    expect(problems).toMatch(/observability\.notificationChannels\[2\]: "projects\/p\/notificationChannels\/abc" is neither .*projects\/<project id or number>\/notificationChannels\/<numeric id>/);
    expect(problems).toMatch(/observability\.notificationChannels\[3\]: "notificationChannels\/42" is neither/);
    expect(problems).not.toMatch(/notificationChannels\[0\]/);
    // The same entry twice is refused by the schema (uniqueItems).
    expect(problemsOf((v) => (v.observability = { notificationChannels: ["ops@lab.example.test", "ops@lab.example.test"] })).join()).toMatch(/observability\.notificationChannels/);
  });

  test("discovery is off unless the site turns it on; it must be a boolean, and it cannot be combined with the unknown-MAC alert", () => {
    expect(siteFrom().discovery).toEqual({ enabled: false });
    expect(siteFrom((v) => (v.discovery = { enabled: true })).discovery.enabled).toBe(true);
    expect(problemsOf((v) => (v.discovery = { enabled: "yes" })).join()).toMatch(/discovery\.enabled: .*boolean/);
    expect(problemsOf((v) => (v.discovery = { enable: true })).join()).toMatch(/discovery\.enable: unknown field; allowed here: enabled/);
    const [p] = problemsOf((v) => {
      v.discovery = { enabled: true };
      v.observability = { alertOnUnknownMac: true };
    });
    expect(p).toMatch(/^test\/fixtures\/site\/site\.yaml:\d+: observability\.alertOnUnknownMac: cannot be true while discovery\.enabled is true: .*could never fire; allowed: false/);
  });

  test("the control-plane range must be a /28", () => {
    expect(problemsOf((v) => (v.network.controlPlaneCidr = "172.16.0.0/24")).join()).toMatch(/network\.controlPlaneCidr: 172\.16\.0\.0\/24 must be a \/28/);
  });

  test("a Talos minor whose kernel arguments the project does not know is refused, naming the known ones", () => {
    const problems = problemsOf((v) => (v.talos.version = "v1.9.5")).join();
    expect(problems).toMatch(/talos\.version: Talos v1\.9\.5: no kernel argument list for Talos 1\.9; known minors: 1\.10, 1\.11, 1\.12, 1\.13, 1\.14/);
  });

  test("the schematic's extra kernel arguments are appended one token each; a space or newline is refused", () => {
    expect(problemsOf((v) => (v.talos.schematicExtraKernelArgs = ["console=ttyS1,115200n8", "a b"])).join()).toMatch(
      /talos\.schematicExtraKernelArgs\[1\]: "a b" is not one kernel argument/,
    );
    expect(siteFrom((v) => (v.talos.schematicExtraKernelArgs = ["console=ttyS1,115200n8"])).talos.schematicExtraKernelArgs).toEqual(["console=ttyS1,115200n8"]);
  });

  test("an existing cluster needs its location", () => {
    expect(problemsOf((v) => (v.gke.mode = "existing")).join()).toMatch(/gke\.location: missing: gke\.mode is "existing"/);
  });

  test("every problem is reported at once, not only the first", () => {
    const problems = problemsOf((v) => {
      v.bootVlanCidrs = ["8.8.8.0/24"];
      v.bootVlanGateways = {};
      v.homePublicCidrs = ["10.0.0.1/32"];
    });
    expect(problems).toHaveLength(2);
  });

  test("a file that cannot be read, or is not YAML, is reported with its name", () => {
    const dir = mkdtempSync(join(tmpdir(), "netboot-site-"));
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "gcp: [unclosed\n");
    expect(() => loadSite(bad)).toThrow(/bad\.yaml:\d+: \(document\): YAML syntax/);
    expect(() => loadSite(join(dir, "missing.yaml"))).toThrow(/missing\.yaml: \(document\): cannot read file/);
  });
});
