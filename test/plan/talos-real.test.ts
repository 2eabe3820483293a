/**
 * The real Talos provider (siderolabs/talos 0.11.0 from the Terraform registry)
 * generates every installing fixture machine's config from the patches the
 * matchbox-config stack passes, and the real `talosctl validate --mode metal`
 * accepts each one; the configs carry what the inventory says (hostname,
 * install disk or selector, the MAC-selected interface, labels, taints,
 * the site's patch file) and each installer comes from a schematic with the
 * machine's kernel arguments.
 *
 * Only the Talos resources of the stack are applied: the Matchbox provider
 * dials Matchbox's gRPC API as soon as it is configured. talos_machine_secrets
 * is generated locally; talos_image_factory_schematic registers the schematic
 * at factory.talos.dev (a content-addressed id, no account).
 *
 * Needs the Terraform registry, factory.talos.dev and talosctl, so it runs in
 * the GitHub Actions job `talos-real` (TALOS_REAL=1); otherwise it is skipped
 * visibly, and with TALOS_REAL=1 a missing prerequisite is a failure.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { parseAllDocuments } from "yaml";
import { bootPlan } from "../../lib/model/matchbox/boot-plan";
import { loadNetbootSite, type NetbootSite } from "../../lib/input/site";
import { addNetbootStacks } from "../../stacks";
import { FIXTURE_SITE_FILE } from "../support/site";
import { TERRAFORM } from "../support/terraform-standin";

const ENABLED = (() => {
  const v = process.env.TALOS_REAL;
  return v !== undefined && v !== "" && v !== "0" && v !== "false";
})();
const TALOSCTL = process.env.TALOSCTL ?? "talosctl";
const TITLE = "the real Talos provider generates each fixture machine's config and talosctl validate --mode metal accepts it";
const MINUTE = 60_000;

function run(cmd: string, args: string[], cwd: string, timeout = 5 * MINUTE) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" } });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The matchbox-config stack reduced to its Talos resources, with each machine's config (by its instance address) as an output. */
function talosOnly(stack: any, machineIds: Record<string, string>): object {
  const outputs = Object.fromEntries(
    Object.entries(machineIds).map(([machine, id]) => [`config_${machine.replace(/-/g, "_")}`, { value: `\${nonsensitive(data.talos_machine_configuration.${id}.machine_configuration)}` }]),
  );
  const schematics = Object.fromEntries(Object.keys(stack.resource.talos_image_factory_schematic ?? {}).map((id) => [`schematic_${id.replace(/[^A-Za-z0-9_]/g, "_")}`, { value: `\${talos_image_factory_schematic.${id}}` }]));
  return {
    terraform: { required_providers: { talos: stack.terraform.required_providers.talos } },
    provider: { talos: stack.provider.talos },
    resource: { talos_machine_secrets: stack.resource.talos_machine_secrets, talos_image_factory_schematic: stack.resource.talos_image_factory_schematic },
    data: { talos_machine_configuration: stack.data.talos_machine_configuration },
    output: { ...outputs, ...schematics },
  };
}

if (!ENABLED) {
  test.skip(`SKIPPED: TALOS_REAL is not set (needs the Terraform registry, factory.talos.dev and talosctl: GitHub Actions job talos-real) — ${TITLE}`, () => {});
} else {
  describe(TITLE, () => {
    let site: NetbootSite;
    let dir: string;
    const configs = new Map<string, string>();
    let outputs: Record<string, { value: any }>;

    beforeAll(() => {
      site = loadNetbootSite(FIXTURE_SITE_FILE);
      dir = mkdtempSync(join(tmpdir(), "netboot-talos-real-"));
      const app = new App({ outdir: join(dir, "cdktf.out") });
      addNetbootStacks(app, site);
      app.synth();
      const stack = JSON.parse(readFileSync(join(dir, "cdktf.out/stacks/matchbox-config/cdk.tf.json"), "utf8"));
      // One data source with an instance per machine: each machine's address is `<id>["<machine>"]`.
      const [configsId] = Object.keys(stack.data.talos_machine_configuration);
      const ids = Object.fromEntries(bootPlan(site.settings, site.machines).talosConfigs.map((c) => [c.machine, `${configsId}[${JSON.stringify(c.machine)}]`]));
      const work = join(dir, "talos");
      require("node:fs").mkdirSync(work);
      writeFileSync(join(work, "main.tf.json"), JSON.stringify(talosOnly(stack, ids), null, 2));
      run(TERRAFORM, ["init", "-input=false", "-no-color"], work);
      run(TERRAFORM, ["apply", "-auto-approve", "-input=false", "-no-color"], work);
      outputs = JSON.parse(run(TERRAFORM, ["output", "-json"], work));
      for (const machine of Object.keys(ids)) {
        const text = outputs[`config_${machine.replace(/-/g, "_")}`].value as string;
        configs.set(machine, text);
        writeFileSync(join(work, `${machine}.yaml`), text);
      }
    }, 15 * MINUTE);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("talosctl validate --mode metal accepts every generated config", () => {
      expect(configs.size).toBe(3);
      for (const machine of configs.keys()) {
        run(TALOSCTL, ["validate", "--mode", "metal", "--config", join(dir, "talos", `${machine}.yaml`)], dir, MINUTE);
      }
    });

    test("each config carries the machine's hostname (HostnameConfig only), install disk or selector, interface, labels, taints and the site's patch", () => {
      for (const spec of bootPlan(site.settings, site.machines).talosConfigs) {
        const m = site.machines.find((x) => x.name === spec.machine)!;
        const docs = parseAllDocuments(configs.get(spec.machine)!) as any[];
        const values = docs.map((d) => d.toJS());
        const main = values.find((v) => v.version === "v1alpha1");
        expect(main.machine.type).toBe(spec.role);
        expect(main.machine.network?.hostname).toBeUndefined();
        expect(values.filter((v) => v.kind === "HostnameConfig")).toEqual([expect.objectContaining({ hostname: m.hostname, auto: "off" })]);
        if (m.installDiskSelector) expect(main.machine.install.diskSelector).toEqual(expect.objectContaining(m.installDiskSelector));
        else expect(main.machine.install.disk).toBe(m.installDisk);
        expect(main.machine.install.image).toMatch(/^factory\.talos\.dev\/metal-installer\/[0-9a-f]{64}:v1\.13\.9$/);
        expect(main.machine.network.interfaces).toContainEqual(expect.objectContaining({ deviceSelector: { hardwareAddr: m.mac } }));
        for (const [k, v] of Object.entries(m.nodeLabels)) expect(main.machine.nodeLabels[k]).toBe(v);
        for (const t of m.nodeTaints) expect(main.machine.nodeTaints[t.key]).toBe(t.value ? `${t.value}:${t.effect}` : t.effect);
        // The site's patch file arrived as written: a quoted "65535" stays a string, 0o644 stays octal 420.
        expect(main.machine.sysctls["net.core.somaxconn"]).toBe("65535");
        expect(main.machine.files).toContainEqual(expect.objectContaining({ path: "/var/etc/fixture-site.txt", permissions: 0o644 }));
        expect(main.cluster.clusterName).toBe(site.settings.talos.cluster.name);
        expect(main.cluster.controlPlane.endpoint).toBe(site.settings.talos.cluster.endpoint);
      }
    });

    test("each installer comes from a schematic that carries the machine's kernel arguments", () => {
      const schematics = Object.values(outputs)
        .map((o) => o.value)
        .filter((v) => v && typeof v === "object" && "schematic" in v) as { id: string; schematic: string }[];
      for (const spec of bootPlan(site.settings, site.machines).talosConfigs) {
        const main = (parseAllDocuments(configs.get(spec.machine)!) as any[]).map((d) => d.toJS()).find((v) => v.version === "v1alpha1");
        const id = /metal-installer\/([0-9a-f]{64}):/.exec(main.machine.install.image)![1];
        const own = schematics.find((s) => s.id === id);
        expect({ machine: spec.machine, schematic: own?.schematic }).toEqual({ machine: spec.machine, schematic: spec.schematic });
        for (const arg of spec.kernelArgs) expect(own!.schematic).toContain(arg);
      }
    });
  });
}
