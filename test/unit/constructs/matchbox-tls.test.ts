import { TerraformOutput } from "cdktf";
import { CA_VALIDITY_HOURS, EARLY_RENEWAL_HOURS, LEAF_VALIDITY_HOURS, MatchboxTls, type MatchboxTlsProps } from "../../../constructs/matchbox-tls";
import { build, resourceTypes, resourcesOf, type Built, type Json } from "./support";

// The fixture site's Matchbox names and addresses (namespace netboot-boot,
// gateway 10.99.0.1, ClusterIP 10.136.0.80), as the boot-server stack passes them.
const base: MatchboxTlsProps = {
  serverDnsNames: ["matchbox", "matchbox.netboot-boot", "matchbox.netboot-boot.svc", "matchbox.netboot-boot.svc.cluster.local"],
  serverIpAddresses: ["10.99.0.1", "10.136.0.80", "127.0.0.1"],
};

/** The construct, its JSON, and its five exposed values as Terraform receives them (through outputs). */
function synth(props: Partial<MatchboxTlsProps> = {}): Built<MatchboxTls> {
  return build((scope) => {
    const tls = new MatchboxTls(scope, "tls", { ...base, ...props });
    for (const name of ["caCertPem", "serverCertPem", "serverKeyPem", "clientCertPem", "clientKeyPem"] as const) {
      new TerraformOutput(scope, name, { value: tls[name], sensitive: true });
    }
    return tls;
  });
}

/** The logical id of the one resource of `type` that `match` accepts. */
function idWhere(json: Json, type: string, match: (r: any) => boolean): string {
  const ids = Object.entries(json.resource[type] ?? {})
    .filter(([, r]) => match(r))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} matching, found ${ids.length}`);
  return ids[0];
}

describe("MatchboxTls", () => {
  // GIVEN the fixture SANs, validityHours omitted.
  let fixture: Built<MatchboxTls>;
  let ids: { caKey: string; serverKey: string; clientKey: string; ca: string; serverCsr: string; clientCsr: string; serverCert: string; clientCert: string };
  beforeAll(() => {
    fixture = synth();
    const { json } = fixture;
    const csr = (cn: string) => idWhere(json, "tls_cert_request", (r) => r.subject[0].common_name === cn);
    const cert = (use: string) => idWhere(json, "tls_locally_signed_cert", (r) => r.allowed_uses.includes(use));
    const keyOf = (type: string, id: string) => /^\$\{tls_private_key\.([^.]+)\.private_key_pem\}$/.exec(json.resource[type][id].private_key_pem)![1];
    const ca = Object.keys(json.resource.tls_self_signed_cert)[0];
    const serverCsr = csr("matchbox");
    const clientCsr = csr("matchbox-terraform");
    ids = {
      ca,
      serverCsr,
      clientCsr,
      caKey: keyOf("tls_self_signed_cert", ca),
      serverKey: keyOf("tls_cert_request", serverCsr),
      clientKey: keyOf("tls_cert_request", clientCsr),
      serverCert: cert("server_auth"),
      clientCert: cert("client_auth"),
    };
  });

  test("creates a CA, a server and a client certificate, with three distinct keys and nothing else", () => {
    expect(resourceTypes(fixture.json)).toEqual(["tls_cert_request", "tls_locally_signed_cert", "tls_private_key", "tls_self_signed_cert"]);
    expect(resourcesOf(fixture.json, "tls_self_signed_cert")).toHaveLength(1);
    expect(resourcesOf(fixture.json, "tls_cert_request")).toHaveLength(2);
    expect(resourcesOf(fixture.json, "tls_locally_signed_cert")).toHaveLength(2);
    expect(new Set([ids.caKey, ids.serverKey, ids.clientKey]).size).toBe(3);
    expect(Object.keys(fixture.json.resource.tls_private_key).sort()).toEqual([ids.caKey, ids.serverKey, ids.clientKey].sort());
  });

  test("every key is ECDSA P-256", () => {
    for (const key of resourcesOf(fixture.json, "tls_private_key")) expect(key).toEqual({ algorithm: "ECDSA", ecdsa_curve: "P256" });
  });

  test("the CA is self-signed with its own key, valid 5 years, renewed 30 days early, and may sign certificates only", () => {
    expect(CA_VALIDITY_HOURS).toBe(43800);
    expect(EARLY_RENEWAL_HOURS).toBe(720);
    expect(fixture.json.resource.tls_self_signed_cert[ids.ca]).toEqual({
      private_key_pem: `\${tls_private_key.${ids.caKey}.private_key_pem}`,
      is_ca_certificate: true,
      validity_period_hours: 43800,
      early_renewal_hours: 720,
      allowed_uses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ common_name: "netboot matchbox CA", organization: "netboot" }],
    });
  });

  test("GIVEN serverDnsNames and serverIpAddresses THEN the server CSR carries exactly those SANs; the client CSR has none", () => {
    const { json } = fixture;
    expect(json.resource.tls_cert_request[ids.serverCsr]).toEqual({
      private_key_pem: `\${tls_private_key.${ids.serverKey}.private_key_pem}`,
      subject: [{ common_name: "matchbox", organization: "netboot" }],
      dns_names: base.serverDnsNames,
      ip_addresses: base.serverIpAddresses,
    });
    expect(json.resource.tls_cert_request[ids.clientCsr]).toEqual({
      private_key_pem: `\${tls_private_key.${ids.clientKey}.private_key_pem}`,
      subject: [{ common_name: "matchbox-terraform", organization: "netboot" }],
    });
  });

  test("GIVEN validityHours omitted THEN both leaf certificates are valid 8760 hours (documented @default), signed by the CA, server_auth and client_auth only", () => {
    expect(LEAF_VALIDITY_HOURS).toBe(8760);
    const signedBy = { ca_cert_pem: `\${tls_self_signed_cert.${ids.ca}.cert_pem}`, ca_private_key_pem: `\${tls_private_key.${ids.caKey}.private_key_pem}` };
    expect(fixture.json.resource.tls_locally_signed_cert[ids.serverCert]).toEqual({
      ...signedBy,
      cert_request_pem: `\${tls_cert_request.${ids.serverCsr}.cert_request_pem}`,
      validity_period_hours: 8760,
      early_renewal_hours: 720,
      allowed_uses: ["digital_signature", "key_encipherment", "server_auth"],
    });
    expect(fixture.json.resource.tls_locally_signed_cert[ids.clientCert]).toEqual({
      ...signedBy,
      cert_request_pem: `\${tls_cert_request.${ids.clientCsr}.cert_request_pem}`,
      validity_period_hours: 8760,
      early_renewal_hours: 720,
      allowed_uses: ["digital_signature", "key_encipherment", "client_auth"],
    });
  });

  test("GIVEN validityHours 2160 THEN both leaf certificates are valid 2160 hours and the CA keeps its 5 years", () => {
    const { json } = synth({ validityHours: 2160 });
    expect(resourcesOf(json, "tls_locally_signed_cert").map((c) => c.validity_period_hours)).toEqual([2160, 2160]);
    expect(resourcesOf(json, "tls_self_signed_cert").map((c) => c.validity_period_hours)).toEqual([43800]);
  });

  test("GIVEN validityHours at or below the early-renewal window, or not whole THEN it refuses (every apply would renew)", () => {
    expect(() => synth({ validityHours: 720 })).toThrow("validityHours 720: must be a whole number of hours above EARLY_RENEWAL_HOURS (720), or every apply renews the certificates");
    expect(() => synth({ validityHours: 721.5 })).toThrow("validityHours 721.5: must be a whole number of hours above EARLY_RENEWAL_HOURS (720), or every apply renews the certificates");
    expect(() => synth({ validityHours: 721 })).not.toThrow();
  });

  test("GIVEN other SANs THEN the server CSR follows them", () => {
    const { json } = synth({ serverDnsNames: ["mb.example.test"], serverIpAddresses: ["192.0.2.7"] });
    const server = resourcesOf(json, "tls_cert_request").find((r) => r.subject[0].common_name === "matchbox");
    expect([server.dns_names, server.ip_addresses]).toEqual([["mb.example.test"], ["192.0.2.7"]]);
  });

  test("the exposed PEMs are references into Terraform state: the keys never appear in the synthesized configuration", () => {
    const { json, text } = fixture;
    expect(Object.fromEntries(Object.entries(json.output).map(([k, o]: [string, any]) => [k, o.value]))).toEqual({
      caCertPem: `\${tls_self_signed_cert.${ids.ca}.cert_pem}`,
      serverCertPem: `\${tls_locally_signed_cert.${ids.serverCert}.cert_pem}`,
      serverKeyPem: `\${tls_private_key.${ids.serverKey}.private_key_pem}`,
      clientCertPem: `\${tls_locally_signed_cert.${ids.clientCert}.cert_pem}`,
      clientKeyPem: `\${tls_private_key.${ids.clientKey}.private_key_pem}`,
    });
    // Only the test's own outputs expose anything; the construct adds no output.
    expect(build((scope) => new MatchboxTls(scope, "tls", base)).json.output).toBeUndefined();
    expect(text).not.toMatch(/-----BEGIN|PRIVATE KEY-----/);
  });
});
