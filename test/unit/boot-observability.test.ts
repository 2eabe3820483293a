import { Testing } from "cdktf";
import { BootObservability, MAC_EXTRACTOR, METRIC_READY_WAIT, type BootObservabilityProps } from "../../constructs/boot-observability";

const base: BootObservabilityProps = { project: "netboot-example-000000", namePrefix: "netboot", namespace: "netboot-boot" };

function synth(props: Partial<BootObservabilityProps> = {}): Record<string, any> {
  return JSON.parse(Testing.synthScope((scope) => new BootObservability(scope, "obs", { ...base, ...props })));
}

function metrics(json: Record<string, any>): any[] {
  return Object.values(json.resource?.google_logging_metric ?? {});
}

function metricNamed(json: Record<string, any>, suffix: string): any {
  const found = metrics(json).find((m) => m.name === `netboot-${suffix}`);
  if (!found) throw new Error(`no log metric netboot-${suffix}`);
  return found;
}

/**
 * A tiny model of the Logging query regex `=~` on textPayload, enough to check
 * that the filters select the lines Matchbox really writes (logrus text format).
 */
function payloadRegexes(filter: string): RegExp[] {
  return [...filter.matchAll(/textPayload=~"([^"]*)"/g)].map((m) => new RegExp(m[1]));
}

function extractorRegex(extractor: string): RegExp {
  const m = /REGEXP_EXTRACT\(textPayload, "(.*)"\)$/.exec(extractor);
  if (!m) throw new Error(`not a REGEXP_EXTRACT on textPayload: ${extractor}`);
  return new RegExp(m[1]);
}

// Shapes of Matchbox log lines (matchbox/http/handlers.go logRequest, ipxe.go, generic.go).
const LINES = {
  bootIpxe: 'time="2026-01-01T00:00:00Z" level=info msg="HTTP GET /boot.ipxe"',
  ipxe: 'time="2026-01-01T00:00:00Z" level=info msg="HTTP GET /ipxe?uuid=&mac=52-54-00-a1-9c-ae&domain=&hostname=&serial=&arch=x86_64"',
  generic: 'time="2026-01-01T00:00:00Z" level=info msg="HTTP GET /generic?mac=52-54-00-a1-9c-ae"',
  assets: 'time="2026-01-01T00:00:00Z" level=info msg="HTTP GET /assets/talos/v1.13.9/kernel-amd64"',
  noProfile: 'time="2026-01-01T00:00:00Z" level=info msg="No matching profile" labels="map[arch:x86_64 mac:52:54:00:a1:9c:ae uuid:]"',
  noGroup: 'time="2026-01-01T00:00:00Z" level=info msg="No matching group" labels="map[mac:52:54:00:a1:9c:ae]"',
};

describe("BootObservability", () => {
  test("boot-request metric reads the Matchbox container of the given namespace", () => {
    const m = metricNamed(synth({ clusterName: "netboot" }), "matchbox-boot-requests");
    expect(m.filter).toContain('resource.type="k8s_container"');
    expect(m.filter).toContain('resource.labels.namespace_name="netboot-boot"');
    expect(m.filter).toContain('resource.labels.container_name="matchbox"');
    expect(m.filter).toContain('resource.labels.cluster_name="netboot"');
    expect(m.metric_descriptor).toMatchObject({ metric_kind: "DELTA", value_type: "INT64" });
  });

  test("boot-request filter matches /boot.ipxe, /ipxe and /generic but not asset downloads", () => {
    const [re] = payloadRegexes(metricNamed(synth(), "matchbox-boot-requests").filter);
    expect(re.test(LINES.bootIpxe)).toBe(true);
    expect(re.test(LINES.ipxe)).toBe(true);
    expect(re.test(LINES.generic)).toBe(true);
    expect(re.test(LINES.assets)).toBe(false);
    expect(re.test(LINES.noProfile)).toBe(false);
  });

  test("no-match filter matches both 'No matching profile' and 'No matching group'", () => {
    const m = metricNamed(synth(), "matchbox-no-match");
    const [re] = payloadRegexes(m.filter);
    expect(re.test(LINES.noProfile)).toBe(true);
    expect(re.test(LINES.noGroup)).toBe(true);
    expect(re.test(LINES.ipxe)).toBe(false);
  });

  test("both metrics label the MAC, extracted from hyphen and colon forms", () => {
    const json = synth();
    for (const m of metrics(json)) {
      expect(m.label_extractors.mac).toBe(MAC_EXTRACTOR);
      expect(m.metric_descriptor.labels).toEqual(expect.arrayContaining([expect.objectContaining({ key: "mac", value_type: "STRING" })]));
    }
    const mac = extractorRegex(MAC_EXTRACTOR);
    expect(mac.exec(LINES.ipxe)?.[1]).toBe("52-54-00-a1-9c-ae");
    expect(mac.exec(LINES.noProfile)?.[1]).toBe("52:54:00:a1:9c:ae");
    expect(mac.exec(LINES.bootIpxe)).toBeNull();
  });

  test("a custom container name is used in the filters", () => {
    for (const m of metrics(synth({ containerName: "mb" }))) expect(m.filter).toContain('resource.labels.container_name="mb"');
  });

  test("no alert policy unless alertOnUnknownMac is set", () => {
    expect(synth().resource?.google_monitoring_alert_policy).toBeUndefined();
    expect(synth({ alertOnUnknownMac: false }).resource?.google_monitoring_alert_policy).toBeUndefined();
  });

  test("alertOnUnknownMac adds a policy on the no-match metric, per MAC, with the given channels", () => {
    const json = synth({ alertOnUnknownMac: true, notificationChannels: ["projects/p/notificationChannels/1"] });
    const policies = Object.values(json.resource.google_monitoring_alert_policy) as any[];
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    expect(policy.notification_channels).toEqual(["projects/p/notificationChannels/1"]);
    const threshold = policy.conditions[0].condition_threshold;
    // The filter references the metric resource, so Terraform creates the metric first.
    expect(threshold.filter).toMatch(/metric\.type="logging\.googleapis\.com\/user\/\$\{google_logging_metric\.obs_no-match_[0-9A-F]+\.name\}"/);
    expect(threshold).toMatchObject({ comparison: "COMPARISON_GT", threshold_value: 0 });
    expect(threshold.aggregations[0].group_by_fields).toEqual(["metric.label.mac"]);
  });

  // Cloud Monitoring 404s a policy on a log-based metric for up to 10 minutes
  // after the metric is created (hashicorp/terraform-provider-google#11102).
  test.each([
    ["unknown-MAC alert", { alertOnUnknownMac: true }, "no-match"],
    ["gRPC TLS alert", { alertOnGrpcTlsErrors: true }, "grpc-tls-errors"],
  ])("the %s waits 10 minutes after its metric is created (time_sleep, in the plan)", (_what, props, metricId) => {
    const json = synth(props);
    const sleeps = Object.entries<any>(json.resource.time_sleep ?? {});
    expect(sleeps).toHaveLength(1);
    const [[sleepName, sleep]] = sleeps;
    expect(METRIC_READY_WAIT).toBe("10m");
    expect(sleep.create_duration).toBe("10m");
    expect(sleep.destroy_duration).toBeUndefined();
    // Created after the metric, and replaced with it: the trigger is the metric's type.
    expect(Object.keys(sleep.triggers)).toEqual(["metric_type"]);
    expect(sleep.triggers.metric_type).toMatch(new RegExp(`^logging\\.googleapis\\.com/user/\\$\\{google_logging_metric\\.obs_${metricId}_[0-9A-F]+\\.name\\}$`));
    const [policy] = Object.values<any>(json.resource.google_monitoring_alert_policy);
    expect(policy.depends_on).toEqual([`time_sleep.${sleepName}`]);
  });

  test("no alert policy, no wait", () => {
    expect(synth().resource?.time_sleep).toBeUndefined();
  });

  test("notificationEmails get an email channel each; every alert policy notifies those and the existing channels", () => {
    const json = synth({
      alertOnUnknownMac: true,
      alertOnGrpcTlsErrors: true,
      notificationEmails: ["ops@lab.example.test", "me@lab.example.test"],
      notificationChannels: ["projects/p/notificationChannels/1"],
    });
    const channels = Object.entries<any>(json.resource.google_monitoring_notification_channel);
    expect(channels.map(([, c]) => c)).toEqual([
      { project: base.project, type: "email", display_name: "netboot: ops@lab.example.test", labels: { email_address: "ops@lab.example.test" } },
      { project: base.project, type: "email", display_name: "netboot: me@lab.example.test", labels: { email_address: "me@lab.example.test" } },
    ]);
    const policies = Object.values<any>(json.resource.google_monitoring_alert_policy);
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.notification_channels).toEqual([...channels.map(([name]) => `\${google_monitoring_notification_channel.${name}.id}`), "projects/p/notificationChannels/1"]);
    }
  });

  test("no channels: the policies notify nobody (check-deployable warns), and no channel is created", () => {
    const json = synth({ alertOnGrpcTlsErrors: true });
    expect(json.resource.google_monitoring_notification_channel).toBeUndefined();
    expect(Object.values<any>(json.resource.google_monitoring_alert_policy)[0].notification_channels).toBeUndefined();
  });
});
