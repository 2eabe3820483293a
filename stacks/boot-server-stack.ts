import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TimeProvider } from "@cdktf/provider-time/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { BootObservability } from "../constructs/boot-observability";
import { BOOT_REPORT_RECEIVER_LABELS, BootReportReceiver } from "../constructs/boot-report-receiver";
import { MATCHBOX_LABELS, MatchboxServer } from "../constructs/matchbox-server";
import { MatchboxTls } from "../constructs/matchbox-tls";
import { PodSecurityNamespace } from "../constructs/pod-security-namespace";
import { useStateBackend } from "../constructs/state-backend";
import { GATEWAY_INTERFACES, GATEWAY_LABELS, WireguardGateway } from "../constructs/wireguard-gateway";
import { renderAssetManifest, siteBootAssets } from "../lib/input/boot-assets";
import type { NetbootSite } from "../lib/input/site";
import { notificationTargets } from "../lib/input/notification-channels";
import { bootReportClusterIp } from "../lib/input/settings";
import { BOOT_REPORT_FORWARDED_PORTS, renderBootReportInventory } from "../lib/model/boot-reports";
import { MATCHBOX_HTTP_PORT, MATCHBOX_RPC_PORT, renderGatewayConfig, renderGatewayRules } from "../lib/model/wireguard/render";
import { matchboxBaseUrl } from "../lib/model/matchbox/boot-plan";
import type { ClusterAccess } from "./gke-stack";

export interface BootServerStackProps {
  readonly site: NetbootSite;
  readonly cluster: ClusterAccess;
  /** Name of the WireGuard endpoint's reserved static IP (network stack). */
  readonly wireguardAddressName: string;
}

/** What the Matchbox-config stack needs to reach Matchbox's gRPC API. */
export interface MatchboxApiAccess {
  /** Bare host:port (no scheme). */
  readonly endpoint: string;
  readonly caCertPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

/**
 * How the Kubernetes provider authenticates: GKE's client-go credential plugin,
 * which prints an ExecCredential (apiVersion client.authentication.k8s.io/v1beta1,
 * kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin) with a token from
 * the caller's gcloud credentials (in CI: google-github-actions/auth's
 * CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE). Nothing of it reaches state.
 */
export const KUBERNETES_EXEC_AUTH = { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin" } as const;

/** Namespaces: see docs/adr/0004-pod-security-namespaces.md. */
export const GATEWAY_NAMESPACE = "netboot-gateway";
export const MATCHBOX_NAMESPACE = "netboot-matchbox";

/** Everything that runs in the cluster for network boot: the WireGuard gateway, Matchbox and the boot-report receiver. */
export class BootServerStack extends TerraformStack {
  readonly matchboxApi: MatchboxApiAccess;
  readonly gateway: WireguardGateway;
  readonly matchbox: MatchboxServer;
  readonly bootReports: BootReportReceiver;

  constructor(scope: Construct, id: string, props: BootServerStackProps) {
    super(scope, id);
    const { settings, peers } = props.site;
    useStateBackend(this, settings.state, id);
    new GoogleProvider(this, "google", { project: settings.gcp.project, region: settings.gcp.region });
    // The control plane's DNS-based endpoint, which GitHub-hosted runners
    // reach (the IP endpoint admits only the authorized networks). It serves
    // a publicly trusted certificate, not one signed by the cluster CA, so no
    // cluster_ca_certificate: with it the TLS check would fail (docs/adr/0010).
    new KubernetesProvider(this, "kubernetes", {
      host: `https://${props.cluster.dnsEndpoint}`,
      // A short-lived token fetched by the provider at run time, never stored:
      // no google_client_config data source, whose access_token would be
      // written to this stack's state (issue #13). The workflows install the
      // plugin; locally: `gcloud components install gke-gcloud-auth-plugin`.
      exec: [KUBERNETES_EXEC_AUTH],
    });
    new TlsProvider(this, "tls");
    // time_sleep between each log-based metric and its alert policy (constructs/boot-observability.ts).
    new TimeProvider(this, "time");

    const gatewayNs = new PodSecurityNamespace(this, "gateway-namespace", { name: GATEWAY_NAMESPACE, enforce: "privileged", warnAndAudit: "restricted" });
    const matchboxNs = new PodSecurityNamespace(this, "matchbox-namespace", { name: MATCHBOX_NAMESPACE, enforce: "restricted" });

    const bootReportAddress = bootReportClusterIp(settings);
    const rendered = { site: settings, peers, matchboxAddress: settings.matchbox.clusterIp, bootReportAddress };
    this.gateway = new WireguardGateway(this, "wireguard", {
      project: settings.gcp.project,
      namePrefix: settings.namePrefix,
      namespace: gatewayNs.name,
      privateKeySecret: settings.wireguard.privateKeySecret,
      expectedPublicKey: props.site.gatewayPublicKey,
      wireguardConfig: renderGatewayConfig(rendered),
      rules: renderGatewayRules(rendered, GATEWAY_INTERFACES),
      gatewayScript: props.site.scripts.gateway,
      listenPort: settings.wireguard.listenPort,
      staticAddressName: props.wireguardAddressName,
      loadBalancerSourceRanges: settings.homePublicCidrs,
      upstreams: [
        { namespace: MATCHBOX_NAMESPACE, labels: MATCHBOX_LABELS, ports: [MATCHBOX_HTTP_PORT, MATCHBOX_RPC_PORT] },
        { namespace: MATCHBOX_NAMESPACE, labels: BOOT_REPORT_RECEIVER_LABELS, ports: [...BOOT_REPORT_FORWARDED_PORTS] },
      ],
    });

    const tls = new MatchboxTls(this, "matchbox-tls", {
      serverDnsNames: MatchboxServer.serviceDnsNames(MATCHBOX_NAMESPACE),
      serverIpAddresses: [settings.wireguard.gatewayAddress, settings.matchbox.clusterIp, "127.0.0.1"],
    });
    this.matchbox = new MatchboxServer(this, "matchbox", {
      namespace: matchboxNs.name,
      clusterIp: settings.matchbox.clusterIp,
      tls,
      assetManifest: renderAssetManifest(siteBootAssets(settings)),
      fetchAssetsScript: props.site.scripts.fetchAssets,
      clientNamespace: GATEWAY_NAMESPACE,
      clientLabels: GATEWAY_LABELS,
      dataVolumeGi: settings.matchbox.dataVolumeGi,
      assetsVolumeGi: settings.matchbox.assetsVolumeGi,
    });

    const notify = notificationTargets(settings.observability.notificationChannels);
    // In Matchbox's namespace: the same restricted level and default-deny policy, the same only client.
    this.bootReports = new BootReportReceiver(this, "boot-reports", {
      namespace: matchboxNs.name,
      clusterIp: bootReportAddress,
      receiverScript: props.site.scripts.bootReportReceiver,
      inventoryJson: renderBootReportInventory(props.site.machines),
      clientNamespace: GATEWAY_NAMESPACE,
      clientLabels: GATEWAY_LABELS,
    });

    new BootObservability(this, "observability", {
      project: settings.gcp.project,
      namePrefix: settings.namePrefix,
      namespace: MATCHBOX_NAMESPACE,
      clusterName: settings.gke.clusterName,
      alertOnUnknownMac: settings.observability.alertOnUnknownMac,
      notificationEmails: notify.emails,
      notificationChannels: notify.channelIds,
      // Always on: a quiet year ends with expired certificates (docs/runbook.md 2.5).
      alertOnGrpcTlsErrors: true,
    });

    this.matchboxApi = {
      // Admin peers reach the API at the gateway's tunnel IP; CI overrides it
      // (matchbox.rpcEndpoint: 127.0.0.1:8081 with kubectl port-forward).
      endpoint: settings.matchbox.rpcEndpoint ?? `${settings.wireguard.gatewayAddress}:${MATCHBOX_RPC_PORT}`,
      caCertPem: tls.caCertPem,
      clientCertPem: tls.clientCertPem,
      clientKeyPem: tls.clientKeyPem,
    };

    new TerraformOutput(this, "matchbox_ca_cert", { value: tls.caCertPem, sensitive: true });
    new TerraformOutput(this, "matchbox_client_cert", { value: tls.clientCertPem, sensitive: true });
    new TerraformOutput(this, "matchbox_client_key", { value: tls.clientKeyPem, sensitive: true });
    new TerraformOutput(this, "boot_url", {
      value: `${matchboxBaseUrl(settings)}/boot.ipxe`,
      description: "The network-boot URL for the boot VLAN's DHCP (reached through the tunnel)",
    });
  }
}
