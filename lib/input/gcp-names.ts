/**
 * The GCP resource names netboot builds from a site's `namePrefix`: each
 * construct names its resource with `prefixedName`, and the site check
 * refuses a prefix that makes any of them longer or shorter than GCP allows.
 * One table, so a new prefixed name cannot escape the check. Limits, on the
 * whole name (prefix + suffix):
 * - Compute Engine names (VPC network, subnet and its secondary ranges, Cloud
 *   Router, Cloud NAT, address): 1-63 characters, [a-z]([-a-z0-9]*[a-z0-9])?
 *   (https://cloud.google.com/compute/docs/naming-resources#resource-name-format);
 * - service account ids: "must be 6-30 characters long, and match the regular
 *   expression [a-z]([-a-z0-9]*[a-z0-9])" (IAM CreateServiceAccountRequest.account_id,
 *   https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create);
 * - log-based metric names: "limited to 100 characters" (Cloud Logging LogMetric.name,
 *   https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics).
 * (Secret ids, at most 255 of [A-Za-z0-9_-] per Secret Manager's
 * CreateSecretRequest.secret_id, take no prefix: the schema checks them whole.)
 */
export const PREFIXED_GCP_NAMES = {
  vpc: { kind: "VPC network name", suffix: "-vpc", min: 1, max: 63 },
  nodesSubnet: { kind: "subnet name", suffix: "-nodes", min: 1, max: 63 },
  podsRange: { kind: "secondary range name", suffix: "-pods", min: 1, max: 63 },
  servicesRange: { kind: "secondary range name", suffix: "-services", min: 1, max: 63 },
  router: { kind: "Cloud Router name", suffix: "-router", min: 1, max: 63 },
  nat: { kind: "Cloud NAT name", suffix: "-nat", min: 1, max: 63 },
  wireguardAddress: { kind: "address name", suffix: "-wireguard", min: 1, max: 63 },
  nodeServiceAccount: { kind: "service account id", suffix: "-gke-nodes", min: 6, max: 30 },
  gatewayServiceAccount: { kind: "service account id", suffix: "-wg-gateway", min: 6, max: 30 },
  bootRequestsMetric: { kind: "log-based metric name", suffix: "-matchbox-boot-requests", min: 1, max: 100 },
  noMatchMetric: { kind: "log-based metric name", suffix: "-matchbox-no-match", min: 1, max: 100 },
  grpcTlsErrorsMetric: { kind: "log-based metric name", suffix: "-matchbox-grpc-tls-errors", min: 1, max: 100 },
} as const satisfies Record<string, { readonly kind: string; readonly suffix: string; readonly min: number; readonly max: number }>;

export type PrefixedGcpName = keyof typeof PREFIXED_GCP_NAMES;

/** The GCP name of `which` for a site whose namePrefix is `namePrefix`. */
export function prefixedName(namePrefix: string, which: PrefixedGcpName): string {
  return `${namePrefix}${PREFIXED_GCP_NAMES[which].suffix}`;
}

/** The longest namePrefix every prefixed name allows. */
export const MAX_NAME_PREFIX_LENGTH = Math.min(...Object.values(PREFIXED_GCP_NAMES).map((n) => n.max - n.suffix.length));
