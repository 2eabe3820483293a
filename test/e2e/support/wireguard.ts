// Brings up a wg-quick style config in a namespace with userspace WireGuard
// (wireguard-go), as `wg-quick up` would: `wg-quick strip` for `wg setconf`,
// then Address, MTU and a route for every AllowedIPs entry.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_SCRIPT_FILE } from "../../../lib/input/site";
import type { Background, NetnsHarness, RunResult } from "./netns";

export interface WgQuickSettings {
  readonly addresses: string[];
  readonly mtu: number | undefined;
  readonly allowedIps: string[];
}

/** The wg-quick-only values `wg-quick up` applies itself. */
export function parseWgQuick(config: string): WgQuickSettings {
  const values = (key: string) =>
    config
      .split("\n")
      .map((line) => new RegExp(`^\\s*${key}\\s*=\\s*(.*?)\\s*$`, "i").exec(line.replace(/#.*/, ""))?.[1])
      .filter((v): v is string => v !== undefined)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter(Boolean);
  const mtu = values("MTU")[0];
  return { addresses: values("Address"), mtu: mtu === undefined ? undefined : Number(mtu), allowedIps: values("AllowedIPs") };
}

/**
 * Starts wireguard-go for `iface` inside `ns` (tracked by the harness) and
 * applies `config` (wg-quick format) to it. Only split routes are supported:
 * a default route in AllowedIPs would need wg-quick's policy routing.
 */
export async function wgQuickUp(h: NetnsHarness, ns: string, iface: string, config: string): Promise<WgQuickSettings> {
  const settings = parseWgQuick(config);
  const file = join(h.tempDir, `${iface}.conf`); // wg-quick derives the interface name from the file name
  writeFileSync(file, config, { mode: 0o600 });
  const stripped = await h.check(null, ["wg-quick", "strip", file]);
  const strippedFile = join(h.tempDir, `${iface}.stripped.conf`);
  writeFileSync(strippedFile, stripped, { mode: 0o600 });

  await h.spawn(ns, `wireguard-go ${iface}`, ["wireguard-go", "--foreground", iface], { env: { WG_PROCESS_FOREGROUND: "1", LOG_LEVEL: "error" } });
  const socket = `/var/run/wireguard/${iface}.sock`;
  await h.waitFor(`wireguard-go to create ${socket}`, () => (existsSync(socket) ? true : undefined), 5_000, 20);
  await h.check(ns, ["wg", "setconf", iface, strippedFile]);
  for (const address of settings.addresses) await h.check(ns, ["ip", "-4", "address", "add", address, "dev", iface]);
  await h.check(ns, ["ip", "link", "set", "dev", iface, "mtu", String(settings.mtu ?? 1420), "up"]);
  for (const cidr of settings.allowedIps) {
    if (/\/0$/.test(cidr)) throw new Error(`${iface}: AllowedIPs ${cidr} needs wg-quick's policy routing, which this helper does not do`);
    await h.check(ns, ["ip", "-4", "route", "replace", cidr, "dev", iface]);
  }
  return settings;
}

/** `wg show <iface> dump` peer lines: public key → latest handshake (unix s), rx and tx bytes, endpoint. */
export async function wgPeers(h: NetnsHarness, ns: string, iface: string): Promise<Map<string, { endpoint: string; latestHandshake: number; rx: number; tx: number }>> {
  const dump = await h.check(ns, ["wg", "show", iface, "dump"]);
  const peers = new Map<string, { endpoint: string; latestHandshake: number; rx: number; tx: number }>();
  for (const line of dump.trim().split("\n").slice(1)) {
    const [publicKey, , endpoint, , latestHandshake, rx, tx] = line.split("\t");
    peers.set(publicKey, { endpoint, latestHandshake: Number(latestHandshake), rx: Number(rx), tx: Number(tx) });
  }
  return peers;
}

export interface GatewayFiles {
  /** Rendered by renderGatewayConfig / renderGatewayRules for this test's interface names. */
  readonly config: string;
  readonly rules: string;
  readonly privateKey: string;
}

export interface GatewayScriptOptions {
  readonly iface: string;
  /** Where the rendered files are written (the pod's mounted config); reused by restarts. */
  readonly dir: string;
  readonly files: GatewayFiles;
  readonly expectedPublicKey: string;
}

/** Writes the rendered files to opts.dir and returns the script's environment, as the DaemonSet sets it (plus wireguard-go). */
function gatewayEnv(opts: GatewayScriptOptions, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const path = (name: string) => join(opts.dir, name);
  writeFileSync(path("gateway.conf"), opts.files.config);
  writeFileSync(path("rules.v4"), opts.files.rules);
  writeFileSync(path("gateway.key"), `${opts.files.privateKey}\n`, { mode: 0o600 });
  return {
    WG_IFACE: opts.iface,
    WG_CONFIG: path("gateway.conf"),
    WG_RULES: path("rules.v4"),
    WG_PRIVATE_KEY_FILE: path("gateway.key"),
    WG_EXPECTED_PUBLIC_KEY: opts.expectedPublicKey,
    WG_USERSPACE_IMPLEMENTATION: "wireguard-go",
    WG_KEY_SECRET: "",
    LOG_LEVEL: "", // wireguard-go's daemon must not inherit our output pipes
    ...extra,
  };
}

/**
 * Runs the DaemonSet's own entry script (wireguard/gateway.sh) in `ns` with
 * userspace WireGuard, once (WG_ONESHOT), from rendered files written to `dir`.
 */
export async function runGatewayScript(h: NetnsHarness, ns: string, opts: GatewayScriptOptions): Promise<void> {
  await h.check(ns, ["bash", GATEWAY_SCRIPT_FILE], { env: gatewayEnv(opts, { WG_ONESHOT: "1" }), timeoutMs: 20_000 });
}

/**
 * Starts wireguard/gateway.sh in `ns` as the pod runs it (set up, then wait),
 * tracked by the harness, and resolves once it logged "up". Its output
 * (stderr: what it did, refusal reports) is in the returned Background.
 * Refusals are reported every `reportSeconds` (the pod: 60).
 */
export async function startGatewayScript(h: NetnsHarness, ns: string, opts: GatewayScriptOptions & { readonly reportSeconds?: number; readonly name?: string }): Promise<Background> {
  const env = gatewayEnv(opts, { WG_REFUSED_REPORT_SECONDS: String(opts.reportSeconds ?? 1) });
  return h.spawn(ns, opts.name ?? "gateway.sh", ["bash", GATEWAY_SCRIPT_FILE], { env, ready: /gateway: up: /, readyTimeoutMs: 20_000 });
}

/** `gateway.sh check`, the pod's readiness and liveness probe, with the same environment. */
export function gatewayCheck(h: NetnsHarness, ns: string, opts: GatewayScriptOptions): Promise<RunResult> {
  return h.run(ns, ["bash", GATEWAY_SCRIPT_FILE, "check"], { env: gatewayEnv(opts), timeoutMs: 10_000 });
}

/** Kills a started gateway.sh (only the script, as an OOM kill or SIGKILL of the container's process would) and waits until it is gone. */
export async function killGatewayScript(gateway: Background, signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
  if (!gateway.child.pid) throw new Error(`${gateway.name} has no pid`);
  process.kill(gateway.child.pid, signal);
  return gateway.exited;
}
