import { Construct } from "constructs";
import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";

/** Validity of the CA certificate: 5 years. */
export const CA_VALIDITY_HOURS = 5 * 8760;
/** Default validity of the server and client certificates: 1 year. */
export const LEAF_VALIDITY_HOURS = 8760;
/**
 * Every certificate is renewed by the first plan/apply within this many hours
 * (30 days) of its expiry: the tls provider then marks it `ready_for_renewal`
 * and plans its replacement (hashicorp/terraform-provider-tls v4.1.0,
 * internal/provider/common_cert.go). Nothing renews it without a run, so the
 * weekly drift workflow (.github/workflows/drift.yml) fails once a
 * certificate is inside this window.
 */
export const EARLY_RENEWAL_HOURS = 720;

export interface MatchboxTlsProps {
  /** DNS SANs of the server certificate (the Service's names). */
  readonly serverDnsNames: readonly string[];
  /** IP SANs: the gateway's tunnel IP, the ClusterIP, 127.0.0.1 for `kubectl port-forward`. */
  readonly serverIpAddresses: readonly string[];
  /**
   * Validity of the leaf (server and client) certificates, not the CA's (5
   * years); Terraform renews them once they are within `EARLY_RENEWAL_HOURS`
   * (30 days) of expiry on the next apply.
   * @default 8760 - one year (LEAF_VALIDITY_HOURS)
   */
  readonly validityHours?: number;
}

/**
 * Mutual TLS for Matchbox's gRPC API: a private CA, a server certificate and a
 * client certificate for the Matchbox Terraform provider. The keys live only
 * in Terraform state (the state bucket is access-controlled; who reads them:
 * docs/adr/0011-secrets-in-terraform-state.md), never in git or the
 * synthesized configuration.
 */
export class MatchboxTls extends Construct {
  readonly caCertPem: string;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;

  constructor(scope: Construct, id: string, props: MatchboxTlsProps) {
    super(scope, id);
    const validity = props.validityHours ?? LEAF_VALIDITY_HOURS;
    if (!Number.isInteger(validity) || validity <= EARLY_RENEWAL_HOURS) {
      throw new Error(`validityHours ${validity}: must be a whole number of hours above EARLY_RENEWAL_HOURS (${EARLY_RENEWAL_HOURS}), or every apply renews the certificates`);
    }
    const key = (name: string) => new PrivateKey(this, `${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" });

    const caKey = key("ca");
    const ca = new SelfSignedCert(this, "ca", {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      earlyRenewalHours: EARLY_RENEWAL_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ commonName: "netboot matchbox CA", organization: "netboot" }],
    });

    const leaf = (name: string, commonName: string, usage: string, sans: { dnsNames?: string[]; ipAddresses?: string[] }) => {
      const leafKey = key(name);
      const request = new CertRequest(this, `${name}-csr`, {
        privateKeyPem: leafKey.privateKeyPem,
        subject: [{ commonName, organization: "netboot" }],
        ...sans,
      });
      const cert = new LocallySignedCert(this, `${name}-cert`, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: validity,
        earlyRenewalHours: EARLY_RENEWAL_HOURS,
        allowedUses: ["digital_signature", "key_encipherment", usage],
      });
      return { cert: cert.certPem, key: leafKey.privateKeyPem };
    };

    const server = leaf("server", "matchbox", "server_auth", { dnsNames: [...props.serverDnsNames], ipAddresses: [...props.serverIpAddresses] });
    const client = leaf("client", "matchbox-terraform", "client_auth", {});
    this.caCertPem = ca.certPem;
    this.serverCertPem = server.cert;
    this.serverKeyPem = server.key;
    this.clientCertPem = client.cert;
    this.clientKeyPem = client.key;
  }
}
