import type { Machine } from "../input/inventory";
import type { SiteSettings } from "../input/settings";

/**
 * The boot-report receiver's ports (docs/adr/0017-boot-report-receiver.md):
 * - logs: JSON lines over TCP and UDP, the target of `talos.logging.kernel=`
 *   and of the installed system's KmsgLogConfig document;
 * - events: gRPC `events.EventSinkService/Publish` over plaintext HTTP/2, the
 *   target of `talos.events.sink=` and of the EventSinkConfig document;
 * - status: HTTP `GET /status` and `GET /healthz`, for the probes and
 *   `kubectl port-forward` only: the gateway does not forward it.
 * The receiver script has the same numbers as its defaults
 * (constructs/boot-report-receiver/receiver.js PORTS).
 */
export const BOOT_REPORT_PORTS = { logs: 4001, events: 4002, status: 4003 } as const;
/** What the gateway forwards from the boot VLANs (TCP; the logs port also UDP). */
export const BOOT_REPORT_FORWARDED_PORTS = [BOOT_REPORT_PORTS.logs, BOOT_REPORT_PORTS.events] as const;

/** Where booting machines send reports: the gateway's tunnel address, like Matchbox's boot URL. */
export function bootReportTargets(site: SiteSettings): { events: string; logs: string } {
  const gw = site.wireguard.gatewayAddress;
  return { events: `${gw}:${BOOT_REPORT_PORTS.events}`, logs: `tcp://${gw}:${BOOT_REPORT_PORTS.logs}` };
}

/**
 * The kernel arguments every Talos profile carries (install and maintenance).
 * Syntax from siderolabs/talos v1.13.9: `talos.events.sink=<host:port>`
 * (pkg/machinery/constants/constants.go KernelParamEventsSink, read by
 * internal/app/machined/pkg/controllers/runtime/events_sink_config.go, before
 * and without any machine config, maintenance mode included) and
 * `talos.logging.kernel=<tcp|udp>://<host:port>` (KernelParamLoggingKernel,
 * parsed as a URL by controllers/runtime/kmsg_log_config.go). Both are sent
 * once the network is up (WaitForNetworkReady in events_sink.go, kmsg_log.go).
 */
export function bootReportKernelArgs(site: SiteSettings): string[] {
  const t = bootReportTargets(site);
  return [`talos.events.sink=${t.events}`, `talos.logging.kernel=${t.logs}`];
}

/**
 * The booting NIC's MAC on the maintenance profile's command line, for the
 * receiver: a machine in maintenance mode has no `talos.config=` URL (whose
 * `?mac=` names an installing machine's NIC), and none of its events or log
 * lines carries a MAC otherwise, so a discovered machine could get no entry.
 * iPXE expands `${mac:hexhyp}` when it runs the `kernel` line, as it does in
 * `talos.config=`. Linux sets aside a dotted parameter it does not know as an
 * unused module parameter (init/main.c unknown_bootoption) and Talos reads
 * only its own keys; the kernel prints the whole line as "Kernel command
 * line: …", which the receiver reads (receiver.js logFacts).
 */
export const BOOT_REPORT_MAC_ARG = "netboot.mac=${mac:hexhyp}";

/**
 * The installed system's documents for the same targets, so a machine that
 * boots from its disk still reports (its command line is the installer's
 * UKI's, not the PXE one). Kinds and fields from siderolabs/talos v1.13.9
 * pkg/machinery/config/types/runtime/event_sink.go (EventSinkConfig:
 * `endpoint` host:port) and kmsg_log.go (KmsgLogConfig: `name`, `url` with
 * scheme tcp or udp, no path); both exist since Talos 1.7 (every minor this
 * project accepts). Service logs (machine.logging.destinations) are not sent:
 * a running node's kubelet and etcd logs are a volume the receiver is not for.
 */
export function bootReportDocuments(site: SiteSettings): Array<Record<string, string>> {
  const t = bootReportTargets(site);
  return [
    { apiVersion: "v1alpha1", kind: "EventSinkConfig", endpoint: t.events },
    { apiVersion: "v1alpha1", kind: "KmsgLogConfig", name: "netboot-boot-reports", url: t.logs },
  ];
}

/** One machine as the receiver names it (receiver.js parseInventory). */
export interface BootReportInventoryEntry {
  readonly name: string;
  readonly mac: string;
  readonly hostname: string;
  readonly address: string | null;
}

/**
 * The receiver's inventory file: only what identifies a machine in its
 * reports (no boot mode, so closing a window does not change the file; the
 * receiver re-reads it when a machine is added, without a restart).
 */
export function bootReportInventory(machines: readonly Machine[]): BootReportInventoryEntry[] {
  return machines.map((m) => ({ name: m.name, mac: m.mac, hostname: m.hostname.toLowerCase(), address: m.addressCidr ? m.addressCidr.split("/")[0] : null }));
}

export function renderBootReportInventory(machines: readonly Machine[]): string {
  return `${JSON.stringify(bootReportInventory(machines), null, 2)}\n`;
}
