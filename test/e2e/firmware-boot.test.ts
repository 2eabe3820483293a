// Issue 7: real network-boot firmware reads what we serve. QEMU VMs boot with
// Debian's firmware — SeaBIOS + the iPXE ROM (legacy BIOS) and OVMF + the
// iPXE ROM's EFI driver (UEFI) — over the real path:
//
//   VM ─tap─ boot VLAN (dnsmasq) ─ router peer ══ WireGuard ══ gateway (DNAT) ─ Matchbox stand-in
//
// iPXE gets /boot.ipxe from DHCP, chains /ipxe?mac=${mac:hexhyp}&..., and
// loads a kernel (Debian's, standing in for Talos's) and an initramfs (busybox,
// built here) under the file names the profiles use. The initramfs prints
// /proc/cmdline to the serial port and powers off. Everything the VM is told
// (arguments, initrd= name, talos.config URL) comes from the fixture site's
// matchbox-config stack as the real Terraform CLI evaluates it, served by the
// Go Matchbox v0.11.0 stand-in (test/support/matchbox-standin). The Talos
// config URL each installing VM printed is then fetched over the same tunnel
// from the boot VLAN, and the served YAML must be that machine's.
//
// Optional: UEFI HTTP boot (OVMF's own HTTP client, no iPXE ROM) of the
// embedded-script iPXE binary of ADR 0008, when NETBOOT_E2E_CHAIN_EFI names a
// binary built by scripts/build-ipxe-efi.sh for http://10.99.0.1:8080/boot.ipxe.
//
// Runs as root with qemu-system-x86, ipxe-qemu, ovmf, busybox-static, dnsmasq,
// linux-image-amd64, xz-utils and the tunnel test's tools; elsewhere it skips
// visibly, or fails with REQUIRE_E2E=1. KVM when it works, TCG otherwise.
import { bootReportKernelArgs } from "../../lib/model/boot-reports";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { basename, dirname, join } from "node:path";
import { hyphenatedMac, normalizeMac, type CanonicalMac } from "../../lib/input/mac";
import { matchboxBaseUrl } from "../../lib/model/matchbox/boot-plan";
import { logicalName } from "../../constructs/matchbox-boot-config";
import { parseStandInLog, type StandInRequest } from "../support/matchbox-standin";
import { RECEIVER_SCRIPT } from "../support/boot-reports";
import { applyApp, matchboxStoreFromEvaluated, type EvaluatedMatchboxStore } from "../support/terraform-app";
import { buildBootNetwork, BOOT_NET, CHAIN_EFI_ASSET, type BootNetwork } from "./support/boot-network";
import { buildInitramfs, printedCmdline } from "./support/initramfs";
import { NetnsHarness, type Background } from "./support/netns";
import { commands, describeE2E, namespacesWithIptables, runsAsRoot, tunDevice } from "./support/prerequisites";
import { cleanConsole, debianKernel, detectAccel, firmwareFiles, startVm, stopVm, type Accel, type Firmware, type VmOptions } from "./support/qemu";

const CHAIN_EFI = process.env.NETBOOT_E2E_CHAIN_EFI?.trim() || undefined;
const OVERALL_DEADLINE_MS = 600_000;

/** A boot the test runs; `machine` is the inventory entry (or undefined for a MAC not in it). */
interface Scenario {
  readonly id: string;
  readonly firmware: Firmware;
  readonly mac: string;
  readonly expect: "boot" | "404";
  readonly uefiHttp?: boolean;
}

// The fixture inventory (test/fixtures/site/machines.yaml): fixture-cp-1
// (static address, /dev/sda), fixture-cp-2 (DHCP, NVMe, a dotted hostname),
// fixture-worker-1 (static, a by-id disk, its MAC written 02-6E-62-00-00-04),
// fixture-maintenance, fixture-disk; 02:6e:62:00:00:99 is in no inventory.
const SCENARIOS: Scenario[] = [
  { id: "bios-controlplane", firmware: "bios", mac: "02:6e:62:00:00:01", expect: "boot" },
  { id: "efi-controlplane", firmware: "efi", mac: "02:6e:62:00:00:02", expect: "boot" },
  { id: "bios-worker", firmware: "bios", mac: "02:6e:62:00:00:04", expect: "boot" },
  { id: "efi-worker", firmware: "efi", mac: "02:6e:62:00:00:04", expect: "boot" },
  { id: "bios-maintenance", firmware: "bios", mac: "02:6e:62:00:00:03", expect: "boot" },
  { id: "efi-maintenance", firmware: "efi", mac: "02:6e:62:00:00:03", expect: "boot" },
  { id: "bios-disk", firmware: "bios", mac: "02:6e:62:00:00:05", expect: "404" },
  { id: "efi-disk", firmware: "efi", mac: "02:6e:62:00:00:05", expect: "404" },
  { id: "bios-unknown", firmware: "bios", mac: "02:6e:62:00:00:99", expect: "404" },
  { id: "efi-unknown", firmware: "efi", mac: "02:6e:62:00:00:98", expect: "404" },
  ...(CHAIN_EFI ? [{ id: "uefi-http-chain", firmware: "efi", mac: "02:6e:62:00:00:01", expect: "boot", uefiHttp: true } as Scenario] : []),
];

// Then the same network with discovery on (docs/adr/0019): the stand-in is restarted with that
// site's store, and an unknown MAC must boot maintenance, a disk machine still get 404, a listed one its own profile.
const DISCOVERY_SCENARIOS: Scenario[] = [
  { id: "disc-bios-unknown", firmware: "bios", mac: "02:6e:62:00:00:97", expect: "boot" },
  { id: "disc-efi-unknown", firmware: "efi", mac: "02:6e:62:00:00:96", expect: "boot" },
  { id: "disc-efi-disk", firmware: "efi", mac: "02:6e:62:00:00:05", expect: "404" },
  { id: "disc-bios-listed", firmware: "bios", mac: "02:6e:62:00:00:01", expect: "boot" },
];

type Profile = EvaluatedMatchboxStore["profiles"][number];

interface BootResult {
  readonly scenario: Scenario;
  readonly outcome: "booted" | "gave-up" | "timeout" | "exited" | "error";
  readonly cmdline?: string;
  readonly ms: number;
  /** Serial console (and SeaBIOS's log), cleaned, for messages. */
  readonly console: string;
  readonly error?: string;
}

/** iPXE's settings expansion for the variables the profiles use; anything else is an error here. */
function expandIpxe(arg: string, mac: CanonicalMac): string {
  return arg.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    if (name === "mac:hexhyp" || name === "net0/mac:hexhyp") return hyphenatedMac(mac);
    throw new Error(`the test does not know how iPXE expands ${whole} in ${arg}`);
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The last `n` lines of a console, for failure messages. */
const tail = (text: string, n = 25) => text.trimEnd().split("\n").slice(-n).join("\n");

describeE2E(
  "Firmware network boot over the WireGuard tunnel (QEMU: SeaBIOS + iPXE ROM, OVMF + iPXE EFI ROM)",
  [
    runsAsRoot,
    commands({
      ip: "iproute2",
      "wireguard-go": "wireguard-go",
      wg: "wireguard-tools",
      "wg-quick": "wireguard-tools",
      iptables: "iptables",
      "iptables-restore": "iptables",
      "qemu-system-x86_64": "qemu-system-x86",
      dnsmasq: "dnsmasq",
      xz: "xz-utils",
    }),
    tunDevice,
    firmwareFiles,
    namespacesWithIptables,
  ],
  () => {
    let h: NetnsHarness;
    let net: BootNetwork;
    let store: EvaluatedMatchboxStore;
    let discoveryStore: EvaluatedMatchboxStore;
    let discoveryMatchbox: Background;
    let restored: Background | undefined;
    // Matchbox's names carry a content hash (constructs/matchbox-boot-config.ts); the test speaks in logical names.
    const profileNamed = (name: string): Profile | undefined => store.profiles.find((p) => logicalName(p.name) === name);
    let accel: { accel: Accel; why: string };
    let assets: { kernel: string; initramfs: string; kernelUrl: string; initrdUrl: string };
    const results = new Map<string, BootResult>();

    beforeAll(async () => {
      const started = Date.now();
      h = new NetnsHarness("nbfw", OVERALL_DEADLINE_MS);
      const assetsDir = join(h.tempDir, "assets");
      mkdirSync(assetsDir);
      net = await buildBootNetwork(h, { assetsDir });
      store = net.store;
      // The asset file names are the profiles' (all Talos profiles share one kernel and initramfs).
      const profile = profileNamed("talos-fixture-cp-1");
      if (!profile || profile.initrd.length !== 1) throw new Error(`expected a talos-fixture-cp-1 profile with one initrd, got ${JSON.stringify(profile)}`);
      const local = (url: string) => {
        if (!url.startsWith("/assets/")) throw new Error(`profile asset ${url} is not under /assets/`);
        const file = join(assetsDir, url.slice("/assets/".length));
        mkdirSync(dirname(file), { recursive: true });
        return file;
      };
      assets = { kernelUrl: profile.kernel, initrdUrl: profile.initrd[0], kernel: local(profile.kernel), initramfs: local(profile.initrd[0]) };
      copyFileSync(debianKernel()!, assets.kernel);
      buildInitramfs(assets.initramfs);
      if (CHAIN_EFI) copyFileSync(CHAIN_EFI, local(`/assets/${CHAIN_EFI_ASSET}`));

      accel = await detectAccel(h, assets.kernel, assets.initramfs);
      const setupMs = Date.now() - started;

      // Boots in parallel, never two VMs with one MAC at a time (one lease, one bridge port per MAC).
      const parallel = accel.accel === "kvm" ? 6 : 3;
      const queue = [...SCENARIOS];
      const busyMacs = new Set<string>();
      const runOne = async (s: Scenario) => {
        busyMacs.add(s.mac);
        try {
          results.set(s.id, await boot(s));
        } finally {
          busyMacs.delete(s.mac);
        }
      };
      const worker = async () => {
        for (;;) {
          const i = queue.findIndex((s) => !busyMacs.has(s.mac));
          if (i < 0) {
            if (queue.length === 0) return;
            await new Promise((r) => setTimeout(r, 200));
            continue;
          }
          const [s] = queue.splice(i, 1);
          await runOne(s);
        }
      };
      const bootsStarted = Date.now();
      await Promise.all(Array.from({ length: parallel }, worker));
      // Discovery on: the same site with discovery.enabled, evaluated by Terraform, served by a new stand-in.
      const discoverySite = { ...net.site, settings: { ...net.site.settings, discovery: { enabled: true } } };
      discoveryStore = matchboxStoreFromEvaluated(applyApp(discoverySite, { root: mkdtempSync(join(h.tempDir, "terraform-discovery-")) }).evaluated["matchbox-config"]);
      discoveryMatchbox = await net.restartMatchbox(discoveryStore, "discovery");
      queue.push(...DISCOVERY_SCENARIOS);
      await Promise.all(Array.from({ length: parallel }, worker));
      // Back to the site's own store for the tests that fetch configs after the boots.
      restored = await net.restartMatchbox(store, "discovery-off");
      const totalMs = Date.now() - started;
      process.stdout.write(
        `\nfirmware boot e2e: accel ${accel.accel} (${accel.why}); setup ${(setupMs / 1000).toFixed(1)} s; ` +
          `${SCENARIOS.length + DISCOVERY_SCENARIOS.length} boots, ${parallel} at a time, in ${((Date.now() - bootsStarted) / 1000).toFixed(1)} s; total ${(totalMs / 1000).toFixed(1)} s\n` +
          [...SCENARIOS, ...DISCOVERY_SCENARIOS].map((s) => `  ${s.id.padEnd(20)} ${results.get(s.id)?.outcome.padEnd(8)} ${((results.get(s.id)?.ms ?? 0) / 1000).toFixed(1)} s`).join("\n") +
          "\n",
      );
    }, OVERALL_DEADLINE_MS);

    afterAll(async () => {
      const problems = (await h?.cleanup()) ?? [];
      expect(problems).toEqual([]);
    }, 30_000);

    /** Boots one VM until its initramfs prints the command line, its firmware gives up, or the bound passes. */
    async function boot(s: Scenario): Promise<BootResult> {
      const started = Date.now();
      const limitMs = (accel.accel === "kvm" ? 60_000 : s.firmware === "efi" ? 180_000 : 150_000) * (s.uefiHttp ? 1.5 : 1);
      const options: VmOptions = { name: s.id, firmware: s.firmware, accel: accel.accel, mac: s.mac, tap: await net.addTap(s.id.slice(0, 3)), nicRom: s.uefiHttp ? "none" : "ipxe", uefiHttpBootOnly: s.uefiHttp };
      const vm = await startVm(h, net.ns.server, options);
      const consoleText = () => cleanConsole(vm.serial()) + (vm.debugFile ? `\n--- SeaBIOS log ---\n${tail(vm.debug(), 12)}` : "");
      let exited = false;
      void vm.bg.exited.then(() => (exited = true));
      try {
        for (;;) {
          const serial = vm.serial();
          const cmdline = printedCmdline(serial);
          if (cmdline !== undefined) return { scenario: s, outcome: "booted", cmdline, ms: Date.now() - started, console: consoleText() };
          if (gaveUp(s.firmware, cleanConsole(serial), vm.debug())) return { scenario: s, outcome: "gave-up", ms: Date.now() - started, console: consoleText() };
          if (exited) {
            // The VM may have printed its command line and powered off within one poll: read the finished log once more.
            const last = printedCmdline(vm.serial());
            if (last !== undefined) return { scenario: s, outcome: "booted", cmdline: last, ms: Date.now() - started, console: consoleText() };
            return { scenario: s, outcome: "exited", ms: Date.now() - started, console: `${consoleText()}\n--- qemu ---\n${vm.bg.output()}` };
          }
          if (Date.now() - started > limitMs) return { scenario: s, outcome: "timeout", ms: Date.now() - started, console: consoleText() };
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (err) {
        return { scenario: s, outcome: "error", ms: Date.now() - started, console: consoleText(), error: (err as Error).message };
      } finally {
        stopVm(vm);
      }
    }

    /**
     * The firmware's own sign that network boot failed: under UEFI, iPXE's
     * "Could not boot image" or OVMF's boot manager moving past the iPXE boot
     * option; under BIOS, SeaBIOS regaining control after the iPXE ROM (INT 18h,
     * or no boot device left).
     */
    function gaveUp(firmware: Firmware, serial: string, seabios: string): boolean {
      if (firmware === "efi") return /Could not boot image|BdsDxe: failed to load Boot0001/.test(serial);
      const afterRom = seabios.split(/Booting from ROM/).slice(1).join("");
      return /enter handle_18|No bootable device/.test(afterRom);
    }

    // Every stand-in process's log: the site's, the discovery one's (other MACs but the disk machine's, also 404), the restored one's.
    const requests = (): StandInRequest[] => [net.matchbox, discoveryMatchbox, restored].flatMap((b) => (b ? parseStandInLog(b.output()) : []));
    const ipxeRequestsFor = (mac: string) => requests().filter((r) => r.url.startsWith("/ipxe?") && r.labels?.mac === mac);
    const result = (id: string): BootResult => {
      const r = results.get(id);
      if (!r) throw new Error(`boot ${id} did not run`);
      return r;
    };
    const machineFor = (mac: string) => net.site.machines.find((m) => m.mac === mac);

    /** The command line the profile makes iPXE hand the kernel: its args as iPXE expands them, behind the image name under EFI. */
    const expectedCmdline = (profile: Profile, mac: CanonicalMac, firmware: Firmware) => [...(firmware === "efi" ? [basename(profile.kernel)] : []), ...profile.args.map((a) => expandIpxe(a, mac))];

    const describeBoot = (r: BootResult) =>
      `${r.scenario.id}: outcome ${r.outcome} after ${(r.ms / 1000).toFixed(1)} s${r.error ? ` (${r.error})` : ""}; ` +
      `Matchbox stand-in answered: ${JSON.stringify(ipxeRequestsFor(r.scenario.mac).map((q) => ({ status: q.status, group: q.group, profile: q.profile })))}; console:\n${tail(r.console, 40)}`;

    const expectBooted = (id: string, expectedProfile: string, withConfig: boolean) => {
      const r = result(id);
      const mac = normalizeMac(r.scenario.mac);
      if (!("mac" in mac)) throw new Error(mac.error);
      if (r.outcome !== "booted" || r.cmdline === undefined) throw new Error(`expected the VM to boot its profile, but: ${describeBoot(r)}`);
      // Matchbox (the project's selection) chose this machine's group and profile ...
      const asked = ipxeRequestsFor(mac.mac);
      expect(asked.map((q) => ({ status: q.status, group: q.group && logicalName(q.group), profile: q.profile && logicalName(q.profile) }))).toContainEqual({
        status: 200,
        group: machineFor(mac.mac)?.name,
        profile: expectedProfile,
      });
      // ... and the kernel got exactly that profile's arguments, variables expanded by iPXE.
      const profile = profileNamed(expectedProfile)!;
      const tokens = r.cmdline.trim().split(/\s+/);
      expect(tokens).toEqual(expectedCmdline(profile, mac.mac, r.scenario.firmware));
      // talos.config names the VM's own MAC in iPXE's hexhyp form (what Matchbox's /generic selects on).
      const configArgs = tokens.filter((t) => t.startsWith("talos.config="));
      expect(configArgs).toEqual(withConfig ? [`talos.config=${matchboxBaseUrl(net.site.settings)}/generic?mac=${hyphenatedMac(mac.mac)}`] : []);
      // Every Talos profile (install and maintenance) tells Talos where to report: the gateway's tunnel IP, the receiver's ports.
      if (expectedProfile.startsWith("talos-")) {
        expect(tokens.filter((t) => /^talos\.(events\.sink|logging\.kernel)=/.test(t))).toEqual([
          `talos.events.sink=${net.site.settings.wireguard.gatewayAddress}:4002`,
          `talos.logging.kernel=tcp://${net.site.settings.wireguard.gatewayAddress}:4001`,
        ]);
      }
      // initrd= names the initramfs the VM loaded (under EFI the kernel's stub loads it by that name).
      const initrdArgs = tokens.filter((t) => t.startsWith("initrd="));
      expect(initrdArgs).toEqual([`initrd=${basename(assets.initrdUrl)}`]);
      expect(profile.initrd).toEqual([assets.initrdUrl]);
      const fetched = requests().filter((q) => q.method === "GET" && q.status === 200 && q.url === assets.initrdUrl);
      expect(fetched.length).toBeGreaterThan(0);
      if (r.scenario.firmware === "efi") {
        // iPXE's console names what it downloaded (a slow download shows its progress before "ok").
        for (const url of [assets.kernelUrl, assets.initrdUrl]) expect(r.console).toMatch(new RegExp(`${escapeRegExp(url)}\\.\\.\\.[^\\n]*ok`));
        expect(r.console).toContain("EFI stub: Loaded initrd from command line option");
      }
    };

    const expectGaveUp = (id: string) => {
      const r = result(id);
      const mac = normalizeMac(r.scenario.mac);
      if (!("mac" in mac)) throw new Error(mac.error);
      const asked = ipxeRequestsFor(mac.mac);
      if (r.outcome !== "gave-up") throw new Error(`expected iPXE to give up after Matchbox's 404, but: ${describeBoot(r)}`);
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.map((q) => q.status)).toEqual(asked.map(() => 404));
      expect(r.cmdline).toBeUndefined();
    };

    test.each([
      ["bios", "talos-fixture-cp-1"],
      ["efi", "talos-fixture-cp-2"],
    ] as const)("%s: a control-plane MAC boots its own profile (%s) with exactly its arguments, its own talos.config and initrd= name", (fw, profile) => {
      expectBooted(`${fw}-controlplane`, profile, true);
    });

    test("the machine with its own kernel argument gets it on the kernel command line after the site's", () => {
      const tokens = result("bios-controlplane").cmdline!.trim().split(/\s+/);
      expect(tokens.slice(-5)).toEqual([
        "console=ttyS0,115200n8",
        "console=ttyS1,115200n8",
        ...bootReportKernelArgs(net.site.settings),
        `talos.config=${matchboxBaseUrl(net.site.settings)}/generic?mac=02-6e-62-00-00-01`,
      ]);
      expect(result("efi-controlplane").cmdline!).not.toContain("console=ttyS1");
    });

    test.each(["bios", "efi"] as const)("%s: a worker MAC (written 02-6E-62-00-00-04 in the inventory) boots its own profile", (fw) => {
      expectBooted(`${fw}-worker`, "talos-fixture-worker-1", true);
    });

    test.each(["bios", "efi"] as const)("%s: a machine switched to maintenance boots without talos.config", (fw) => {
      expectBooted(`${fw}-maintenance`, "talos-maintenance", false);
    });

    test.each(["bios", "efi"] as const)("%s: a machine switched to disk gets Matchbox's 404 and iPXE gives up", (fw) => {
      expectGaveUp(`${fw}-disk`);
    });

    test.each(["bios", "efi"] as const)("%s: a MAC not in the inventory gets Matchbox's 404 and iPXE gives up", (fw) => {
      expectGaveUp(`${fw}-unknown`);
    });

    describe("discovery on (the stand-in restarted with the discovery site's store)", () => {
      const discoveryRequests = (mac: string) => parseStandInLog(discoveryMatchbox.output()).filter((r) => r.url.startsWith("/ipxe?") && r.labels?.mac === mac);
      const named = (name: string) => discoveryStore.profiles.find((p) => logicalName(p.name) === name)!;

      test.each(["bios", "efi"] as const)("%s: an unknown MAC boots the maintenance profile through the catch-all: exactly its command line (the report arguments every Talos profile has), no talos.config", (fw) => {
        const r = result(`disc-${fw}-unknown`);
        const mac = normalizeMac(r.scenario.mac) as { mac: CanonicalMac };
        if (r.outcome !== "booted" || r.cmdline === undefined) throw new Error(`expected the unknown MAC to boot maintenance: ${r.outcome}; console:\n${tail(r.console, 40)}`);
        expect(discoveryRequests(mac.mac).map((q) => ({ status: q.status, group: q.group && logicalName(q.group), profile: q.profile && logicalName(q.profile) }))).toContainEqual({ status: 200, group: "_discovery", profile: "talos-maintenance" });
        const tokens = r.cmdline.trim().split(/\s+/);
        expect(tokens).toEqual(expectedCmdline(named("talos-maintenance"), mac.mac, fw));
        expect(tokens.filter((t) => t.startsWith("talos.config="))).toEqual([]);
        // The MAC the receiver learns it by (no config URL carries it): iPXE expanded it, and the
        // receiver reads it from the line as the kernel prints it.
        expect(tokens).toContain(`netboot.mac=${hyphenatedMac(mac.mac)}`);
        const { logFacts } = require(RECEIVER_SCRIPT) as { logFacts(line: string): { mac?: string } };
        expect(logFacts(`Kernel command line: ${r.cmdline.trim()}`).mac).toBe(mac.mac);
      });

      test("efi: a listed machine with boot: disk still gets Matchbox's 404 and the firmware gives up (moves on to its disk)", () => {
        const r = result("disc-efi-disk");
        const asked = discoveryRequests("02:6e:62:00:00:05");
        if (r.outcome !== "gave-up") throw new Error(`expected iPXE to give up: ${r.outcome}; requests ${JSON.stringify(asked)}; console:\n${tail(r.console, 40)}`);
        expect(asked.length).toBeGreaterThan(0);
        expect(asked.map((q) => q.status)).toEqual(asked.map(() => 404));
        expect(asked.map((q) => q.group && logicalName(q.group))).toEqual(asked.map(() => "fixture-disk"));
      });

      test("bios: a listed installing machine keeps its own profile and talos.config", () => {
        const r = result("disc-bios-listed");
        if (r.cmdline === undefined) throw new Error(`expected a boot: ${r.outcome}; console:\n${tail(r.console, 40)}`);
        expect(r.cmdline.trim().split(/\s+/)).toEqual(expectedCmdline(named("talos-fixture-cp-1"), "02:6e:62:00:00:01" as CanonicalMac, "bios"));
      });
    });

    /** GET from the boot VLAN (the server namespace): through the router and the tunnel, as a booting machine. */
    const fetchFromBootVlan = async (url: string): Promise<{ status: number; body: string }> => {
      const r = await h.run(net.ns.server, ["curl", "-sS", "--noproxy", "*", "--connect-timeout", "3", "--max-time", "15", "-w", "\n%{http_code}", url], { timeoutMs: 25_000 });
      if (r.code !== 0) throw new Error(`curl ${url} from the boot VLAN failed (exit ${r.code}): ${r.stderr.trim()}`);
      const cut = r.stdout.lastIndexOf("\n");
      return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
    };

    /** The Talos config the VM would install from: the talos.config URL it printed, fetched over the tunnel. */
    const expectServedTalosConfig = async (id: string) => {
      const r = result(id);
      const mac = normalizeMac(r.scenario.mac);
      if (!("mac" in mac)) throw new Error(mac.error);
      if (r.cmdline === undefined) throw new Error(`the VM printed no command line: ${describeBoot(r)}`);
      const machine = machineFor(mac.mac)!;
      const url = r.cmdline.split(/\s+/).find((t) => t.startsWith("talos.config="))!.slice("talos.config=".length);
      const served = await fetchFromBootVlan(url);
      expect({ url, status: served.status }).toEqual({ url: `${matchboxBaseUrl(net.site.settings)}/generic?mac=${hyphenatedMac(mac.mac)}`, status: 200 });
      expect(requests().filter((q) => q.url.startsWith("/generic?") && q.status === 200).map((q) => q.group && logicalName(q.group))).toContain(machine.name);

      // Exactly the config the Talos provider generated (Matchbox's Go template undoes the one escaping).
      const generic = store.profiles.find((p) => logicalName(p.name) === `talos-${machine.name}`)!.generic_config!;
      expect(served.body).toBe(generic.split('{{"{{"}}').join("{{"));

      const documents = parseAllDocuments(served.body);
      const list = Array.isArray(documents) ? documents : [documents];
      for (const d of list) expect(d.errors.map((e) => e.message)).toEqual([]);
      const [main, ...rest] = list.map((d) => d.toJS());
      // The generated config: the role's v1alpha1 document and its HostnameConfig (the stand-in's
      // output is the gen-config fixture, then netboot's patches as further documents; the real
      // provider merges them with Talos's own code).
      expect(main.version).toBe("v1alpha1");
      expect(main.machine.type).toBe(machine.role);
      const own = rest.find((d) => d.machine?.network?.interfaces);
      expect(own.machine.install.disk).toBe(machine.installDisk);
      expect(own.machine.install.diskSelector).toEqual(machine.installDiskSelector);
      expect(own.machine.install.image).toMatch(/^factory\.talos\.dev\/metal-installer\/\S+:v1\.13\.9$/);
      const nic = machine.addressCidr
        ? { deviceSelector: { hardwareAddr: mac.mac }, dhcp: false, addresses: [machine.addressCidr], routes: [{ network: "0.0.0.0/0", gateway: machine.gateway }] }
        : { deviceSelector: { hardwareAddr: mac.mac }, dhcp: true };
      expect(own.machine.network.interfaces).toEqual([nic]);
      // Talos ≥ 1.12: the hostname in a HostnameConfig with auto off, never machine.network.hostname beside it.
      expect(own.machine.network.hostname).toBeUndefined();
      expect(rest.filter((d) => d.kind === "HostnameConfig" && d.hostname !== undefined)).toEqual([{ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: machine.hostname, auto: "off" }]);
      if (machine.addressCidr) expect(machine.gateway).toBe(BOOT_NET.routerLan);
    };

    test.each(["bios", "efi"] as const)("%s: each installing machine's talos.config URL, fetched over the tunnel, serves that machine's Talos config", async (fw) => {
      await expectServedTalosConfig(`${fw}-controlplane`);
      await expectServedTalosConfig(`${fw}-worker`);
    });

    test("maintenance, disk and unknown MACs get Matchbox's 404 from /generic (no config served)", async () => {
      for (const mac of ["02-6e-62-00-00-03", "02-6e-62-00-00-05", "02-6e-62-00-00-99"]) {
        const served = await fetchFromBootVlan(`${matchboxBaseUrl(net.site.settings)}/generic?mac=${mac}`);
        expect({ mac, status: served.status, body: served.body }).toEqual({ mac, status: 404, body: "404 page not found\n" });
      }
    });

    if (CHAIN_EFI) {
      test("UEFI HTTP boot (OVMF, no iPXE ROM) loads the embedded-script iPXE binary, which chains /boot.ipxe and boots the profile", () => {
        expectBooted("uefi-http-chain", "talos-fixture-cp-1", true);
        const r = result("uefi-http-chain");
        expect(r.console).toMatch(new RegExp(`URI: http://${net.gatewayIp.replace(/\./g, "\\.")}:8080/assets/${CHAIN_EFI_ASSET}`));
        expect(r.console).toContain(`http://${net.gatewayIp}:8080/boot.ipxe... ok`);
      });
    } else {
      test.skip(
        "SKIPPED: NETBOOT_E2E_CHAIN_EFI is not set (build the binary with scripts/build-ipxe-efi.sh --chain-url http://10.99.0.1:8080/boot.ipxe, ~2 min, needs the iPXE source) — UEFI HTTP boot of the embedded-script iPXE binary (ADR 0008)",
        () => {},
      );
    }
  },
);
