import { Construct } from "constructs";
import { LoggingMetric } from "@cdktf/provider-google/lib/logging-metric";
import { MonitoringAlertPolicy } from "@cdktf/provider-google/lib/monitoring-alert-policy";
import { MonitoringNotificationChannel } from "@cdktf/provider-google/lib/monitoring-notification-channel";
import { Sleep } from "@cdktf/provider-time/lib/sleep";
import { prefixedName } from "../lib/input/gcp-names";

export interface BootObservabilityProps {
  /** GCP project that receives the cluster's logs; the metrics and alert policies are created in it. */
  readonly project: string;
  /** Prefix of the metric and alert names, e.g. `netboot`. */
  readonly namePrefix: string;
  /** Kubernetes namespace of the Matchbox pod. */
  readonly namespace: string;
  /**
   * Name of the Matchbox container inside its pod.
   * @default "matchbox"
   */
  readonly containerName?: string;
  /**
   * Restrict the metrics to one cluster's logs (the project may hold others).
   * @default - logs of every cluster in the project with this namespace and container
   */
  readonly clusterName?: string;
  /**
   * Create an alert policy that fires when Matchbox answers a machine with
   * "No matching profile/group" (an unknown MAC, or a machine whose group was
   * removed). Off by default: during a provisioning window every new machine
   * hits this once before its group is deployed.
   * @default false - no alert policy
   */
  readonly alertOnUnknownMac?: boolean;
  /**
   * Count the failed TLS handshakes on Matchbox's gRPC API (mutual TLS) in a
   * log-based metric and alert on any. They mean the Matchbox provider (CI's
   * deploy, an admin peer) cannot write profiles and groups: typically an
   * expired certificate that no deploy renewed, or a client certificate from
   * another CA. Needs Matchbox to log at gRPC INFO level
   * (`MATCHBOX_ENV` in constructs/matchbox-server).
   * @default false - no metric, no alert policy
   */
  readonly alertOnGrpcTlsErrors?: boolean;
  /**
   * Ids of existing notification channels (`projects/<p>/notificationChannels/<id>`)
   * every alert policy notifies.
   * @default - none
   */
  readonly notificationChannels?: readonly string[];
  /**
   * Email addresses every alert policy notifies: an email notification channel
   * is created for each.
   * @default - none
   */
  readonly notificationEmails?: readonly string[];
}

/**
 * A MAC in either form Matchbox logs it: hyphenated as sent by iPXE's
 * `${mac:hexhyp}` in request URLs (`mac=52-54-00-...`), or colon form in the
 * normalized labels of a "No matching" line (`mac:52:54:00:...`).
 * REGEXP_EXTRACT needs exactly one capture group, hence the `(?:...)`.
 */
export const MAC_EXTRACTOR = 'REGEXP_EXTRACT(textPayload, "mac[=:]([0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5})")';

/**
 * A failed TLS handshake on Matchbox's gRPC port, as grpc-go v1.62.1 (the
 * version in Matchbox v0.11.0's go.mod) logs it at INFO: server.go
 * `channelz.Info(..., "grpc: Server.Serve failed to create ServerTransport: ", err)`
 * with err from internal/transport/http2_server.go
 * `ServerHandshake(%q) failed: %v`. A connection closed before the handshake
 * (io.EOF, e.g. the port-forward script's port probe) is not logged.
 */
export const GRPC_TLS_ERROR_REGEX = "failed to create ServerTransport: .*ServerHandshake";

/**
 * How long an alert policy waits after its log-based metric is created. Cloud
 * Monitoring answers a policy on a metric it does not know yet with 404
 * "Cannot find metric(s) … If a metric was created recently, it could take up
 * to 10 minutes to become available" (hashicorp/terraform-provider-google#11102,
 * open; the provider does not retry), so the first apply of boot-server stopped
 * there. A `time_sleep` (hashicorp/time) between the two waits that long once,
 * when the metric is created (or replaced); the rest of the stack applies
 * meanwhile. It shows in the plan as `time_sleep.<…>-metric-ready` with
 * `create_duration = "10m"`.
 */
export const METRIC_READY_WAIT = "10m";

/** The endpoint a boot request hit: `boot.ipxe`, `ipxe` or `generic`. */
export const PATH_EXTRACTOR = 'REGEXP_EXTRACT(textPayload, "HTTP GET /(boot[.]ipxe|ipxe|generic)")';

/**
 * Log-based metrics over Matchbox's own log lines (logrus text format on
 * stderr, so they arrive as `textPayload`):
 *
 * - `<prefix>-matchbox-boot-requests`: every `HTTP GET` of `/boot.ipxe`,
 *   `/ipxe` or `/generic` (Matchbox logs each request at info level), labelled
 *   with the endpoint and the MAC when the URL carries one;
 * - `<prefix>-matchbox-no-match`: every "No matching profile" / "No matching
 *   group" line (Matchbox's info-level log of a 404), labelled with the MAC.
 *
 * Optionally an alert policy on the second one (`alertOnUnknownMac`), and
 * `<prefix>-matchbox-grpc-tls-errors` with an alert policy on it
 * (`alertOnGrpcTlsErrors`).
 */
export class BootObservability extends Construct {
  readonly bootRequests: LoggingMetric;
  readonly noMatch: LoggingMetric;
  readonly unknownMacAlert?: MonitoringAlertPolicy;
  readonly grpcTlsErrors?: LoggingMetric;
  readonly grpcTlsAlert?: MonitoringAlertPolicy;
  /** One wait per alert policy, between its metric and it (METRIC_READY_WAIT). */
  readonly metricReadyWaits: Sleep[] = [];
  /** The email channels created for `notificationEmails`, in that order. */
  readonly emailChannels: MonitoringNotificationChannel[];
  private readonly channelIds: string[];

  constructor(scope: Construct, id: string, props: BootObservabilityProps) {
    super(scope, id);
    this.emailChannels = (props.notificationEmails ?? []).map(
      (address, i) =>
        new MonitoringNotificationChannel(this, `email-${i}`, {
          project: props.project,
          type: "email",
          displayName: `${props.namePrefix}: ${address}`,
          labels: { email_address: address },
        }),
    );
    // Every alert policy notifies all of them: created ones first, then existing ones.
    this.channelIds = [...this.emailChannels.map((c) => c.id), ...(props.notificationChannels ?? [])];
    const container = props.containerName ?? "matchbox";
    const source = [
      'resource.type="k8s_container"',
      `resource.labels.namespace_name="${props.namespace}"`,
      `resource.labels.container_name="${container}"`,
      ...(props.clusterName ? [`resource.labels.cluster_name="${props.clusterName}"`] : []),
    ];
    const macLabel = { key: "mac", valueType: "STRING", description: "MAC address of the booting machine, as logged (hyphen or colon form)" };

    this.bootRequests = new LoggingMetric(this, "boot-requests", {
      project: props.project,
      name: prefixedName(props.namePrefix, "bootRequestsMetric"),
      description: "Boot requests (/boot.ipxe, /ipxe, /generic) served by Matchbox",
      filter: [...source, 'textPayload=~"HTTP GET /(boot[.]ipxe|ipxe|generic)([^a-z]|$)"'].join("\n"),
      metricDescriptor: {
        metricKind: "DELTA",
        valueType: "INT64",
        unit: "1",
        labels: [macLabel, { key: "path", valueType: "STRING", description: "Matchbox endpoint: boot.ipxe, ipxe or generic" }],
      },
      labelExtractors: { mac: MAC_EXTRACTOR, path: PATH_EXTRACTOR },
    });

    this.noMatch = new LoggingMetric(this, "no-match", {
      project: props.project,
      name: prefixedName(props.namePrefix, "noMatchMetric"),
      description: 'Matchbox "No matching profile/group" answers (HTTP 404 to a machine it does not know)',
      filter: [...source, 'textPayload=~"No matching (profile|group)"'].join("\n"),
      metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1", labels: [macLabel] },
      labelExtractors: { mac: MAC_EXTRACTOR },
    });

    if (props.alertOnUnknownMac) {
      this.unknownMacAlert = this.alertOnAny(props, "unknown-mac", this.noMatch, {
        displayName: `${props.namePrefix}: machine not known to Matchbox`,
        severity: "WARNING",
        condition: "Matchbox answered No matching profile/group",
        // One series per MAC, so the incident names the machine.
        groupByFields: ["metric.label.mac"],
        documentation:
          "A machine network-booted but Matchbox has no group for its MAC (label `mac`). " +
          "Add it to the inventory, or check the MAC with `npm run boot-preview -- <mac>` (docs/runbook.md, Troubleshooting).",
      });
    }

    if (props.alertOnGrpcTlsErrors) {
      this.grpcTlsErrors = new LoggingMetric(this, "grpc-tls-errors", {
        project: props.project,
        name: prefixedName(props.namePrefix, "grpcTlsErrorsMetric"),
        description: "Failed TLS handshakes on Matchbox's gRPC API (mutual TLS): expired, unrenewed or foreign certificates",
        filter: [...source, `textPayload=~"${GRPC_TLS_ERROR_REGEX}"`].join("\n"),
        metricDescriptor: { metricKind: "DELTA", valueType: "INT64", unit: "1" },
      });
      this.grpcTlsAlert = this.alertOnAny(props, "grpc-tls-errors-alert", this.grpcTlsErrors, {
        displayName: `${props.namePrefix}: Matchbox gRPC TLS handshakes fail`,
        severity: "ERROR",
        condition: "Matchbox refused a gRPC TLS handshake",
        documentation:
          "Matchbox's gRPC API (mutual TLS) refused a handshake, so the `matchbox-config` deploy cannot change what machines boot. " +
          "The log line gives the reason (`kubectl -n netboot-matchbox logs deploy/matchbox -c matchbox | grep ServerHandshake`). " +
          "An expired certificate: run the deploy (it renews certificates within 30 days of expiry) and see why the weekly drift workflow did not warn. " +
          "Otherwise docs/runbook.md, Troubleshooting (`context deadline exceeded`) and 2.5.",
      });
    }
  }

  /** An alert policy that opens an incident as soon as a log-based metric counts anything in five minutes. */
  private alertOnAny(
    props: BootObservabilityProps,
    id: string,
    metric: LoggingMetric,
    alert: { displayName: string; severity: "WARNING" | "ERROR"; condition: string; documentation: string; groupByFields?: string[] },
  ): MonitoringAlertPolicy {
    const metricType = `logging.googleapis.com/user/${metric.name}`;
    // Created after the metric (the trigger reads its name), replaced with it
    // (a new name is a new trigger value), and so waits again for a new metric.
    const ready = new Sleep(this, `${id}-metric-ready`, { createDuration: METRIC_READY_WAIT, triggers: { metric_type: metricType } });
    this.metricReadyWaits.push(ready);
    return new MonitoringAlertPolicy(this, id, {
      dependsOn: [ready],
      project: props.project,
      displayName: alert.displayName,
      combiner: "OR",
      severity: alert.severity,
      notificationChannels: this.channelIds.length > 0 ? [...this.channelIds] : undefined,
      conditions: [
        {
          displayName: alert.condition,
          conditionThreshold: {
            // A reference, not the literal name: the metric must exist before
            // the policy (and the wait above must have passed: dependsOn).
            filter: `metric.type="${metricType}" AND resource.type="k8s_container"`,
            comparison: "COMPARISON_GT",
            thresholdValue: 0,
            duration: "0s",
            aggregations: [{ alignmentPeriod: "300s", perSeriesAligner: "ALIGN_SUM", crossSeriesReducer: "REDUCE_SUM", ...(alert.groupByFields ? { groupByFields: alert.groupByFields } : {}) }],
          },
        },
      ],
      alertStrategy: { autoClose: "1800s" },
      documentation: { mimeType: "text/markdown", content: alert.documentation },
    });
  }
}
