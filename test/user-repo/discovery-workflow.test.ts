// Issue 23's pull request, as the scheduled workflow makes it, on a copy of the
// repository with discovery turned on in the user's site: a server in no
// inventory entry boots the copy's maintenance profile (the command line its
// iPXE script gives, ${mac:hexhyp} expanded as iPXE does) and reports to the
// real receiver; the receiver's stdout lines, as Cloud Logging returns them,
// are what a stand-in gcloud prints. Then the close-boot-windows workflow's
// own step scripts, read from the YAML and run by bash as Actions runs them,
// read the status, add the entry, write the body and open the pull request
// (a stand-in gh, a local origin). Every value comes from the copy's live
// data, so this runs in a user's repository too.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseDocument } from "yaml";
import { hyphenatedMac, normalizeMac, type CanonicalMac } from "../../lib/input/mac";
import { RECEIVER } from "../../lib/commands/boot-status";
import { REPO_ROOT } from "../../lib/input/settings";
import { eventFixture, eventually, fetchStatus, logFixture, publishAll, sendLogLines, startReceiver, type RunningReceiver } from "../support/boot-reports";
import { copyRepository, usersSite } from "../support/repository-copy";

jest.setTimeout(240_000);

const WORKFLOW = parse(readFileSync(join(REPO_ROOT, ".github/workflows/close-boot-windows.yml"), "utf8")) as {
  jobs: Record<string, { steps: { name?: string; run?: string; env?: Record<string, string> }[] }>;
};
const HAS_JQ = spawnSync("jq", ["--version"]).status === 0;

function step(job: string, name: string) {
  const found = WORKFLOW.jobs[job].steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`close-boot-windows.yml: job ${job} has no step "${name}" with a run script`);
  return found as { name: string; run: string; env?: Record<string, string> };
}

/** A locally administered MAC that no entry of `taken` has. */
function freeMac(taken: ReadonlySet<string>): CanonicalMac {
  for (let i = 1; ; i++) {
    const mac = `52:54:00:d1:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    if (!taken.has(mac)) return mac as CanonicalMac;
  }
}

const describeWithJq = HAS_JQ || process.env.REQUIRE_E2E === "1" ? describe : describe.skip;
if (!HAS_JQ) console.log("SKIPPED: jq is not installed (the workflow's status step uses it; Debian package jq, .ci/run installs it)");

describeWithJq("close-boot-windows.yml's discovery pull request, its steps as written, on a copy with discovery on", () => {
  let copy = "";
  let temp = "";
  let bin = "";
  let origin = "";
  let receiver: RunningReceiver | undefined;
  let inventoryRel = "";
  let mac: CanonicalMac;
  let listedNames: string[] = [];

  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=netboot check", "-c", "user.email=check@netboot.invalid", ...args], { cwd: copy, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  /** The workflow's ${{ … }} expressions this test stands in for; any other is an error, never left as text. */
  const expressions = (): Record<string, string> => ({
    "runner.temp": temp,
    "steps.site.outputs.inventory_file": inventoryRel,
    "github.token": "ghs_stand-in-token",
    "github.event.repository.default_branch": "main",
    "github.server_url": "https://github.com",
    "github.repository": "home/netboot",
    "github.run_id": "4242",
  });
  const expand = (value: string) =>
    value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
      const v = expressions()[expr];
      if (v === undefined) throw new Error(`close-boot-windows.yml uses \${{ ${expr} }}, which this test does not stand in for`);
      return v;
    });
  /** One step's script as Actions runs it (bash -e -o pipefail), with its env block expanded. */
  function runStep(job: string, name: string, extraEnv: Record<string, string> = {}): SpawnSyncReturns<string> {
    const s = step(job, name);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: "true", GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: join(temp, "summary.md"), CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0", ...extraEnv };
    for (const key of ["SITE_CONFIG", "JEST_WORKER_ID", "REQUIRE_E2E", "CDKTF_OUTDIR"]) delete env[key];
    for (const [k, v] of Object.entries(s.env ?? {})) env[k] = expand(String(v));
    return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run], { cwd: copy, env, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  }
  const ok = (r: SpawnSyncReturns<string>, what: string) => {
    if (r.status !== 0) throw new Error(`${what} exited ${r.status}${r.error ? ` (${r.error.message})` : ""}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  };
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };

  beforeAll(async () => {
    copy = copyRepository("netboot-discovery-workflow-");
    temp = mkdtempSync(join(tmpdir(), "netboot-runner-temp-"));
    bin = mkdtempSync(join(tmpdir(), "netboot-discovery-bin-"));
    origin = mkdtempSync(join(tmpdir(), "netboot-discovery-origin-"));

    // The user's site (the example copied to one of their own, as the docs say), with discovery on.
    const siteRel = usersSite(copy);
    const site = parseDocument(readFileSync(join(copy, siteRel), "utf8"));
    site.setIn(["discovery", "enabled"], true);
    // The site settings refuse the unknown-MAC alert with discovery on (it could never fire).
    if (site.hasIn(["observability", "alertOnUnknownMac"])) site.setIn(["observability", "alertOnUnknownMac"], false);
    writeFileSync(join(copy, siteRel), site.toString());
    inventoryRel = (parse(site.toString()) as { matchbox: { inventoryFile: string } }).matchbox.inventoryFile;
    const machines = ((parse(readFileSync(join(copy, inventoryRel), "utf8")) as { machines?: { name: string; mac: string }[] }).machines ?? []);
    listedNames = machines.map((m) => m.name);
    const listed = machines.map((m) => ({ name: m.name, mac: (normalizeMac(m.mac) as { mac: CanonicalMac }).mac }));
    mac = freeMac(new Set(listed.map((m) => m.mac)));

    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-qm", "base: the user's site with discovery on");
    spawnSync("git", ["init", "-q", "--bare", origin]);
    git("remote", "add", "origin", origin);
    git("push", "-q", "origin", "main");

    // What Matchbox serves the unknown MAC, as the copy plans it: the catch-all's maintenance script.
    const previewEnv: NodeJS.ProcessEnv = { ...process.env };
    delete previewEnv.SITE_CONFIG;
    const preview = ok(spawnSync(process.execPath, ["scripts/run.js", "boot-preview", mac], { cwd: copy, encoding: "utf8", env: previewEnv, timeout: 120_000 }), "boot-preview");
    const kernel = preview.stdout.split("\n").find((l) => l.startsWith("kernel "));
    if (!kernel) throw new Error(`boot-preview printed no kernel line for ${mac}:\n${preview.stdout}`);
    expect(kernel).not.toContain("talos.config=");
    const cmdline = kernel.split(" ").slice(2).join(" ").replace(/\$\{mac:hexhyp\}/g, hyphenatedMac(mac));

    // The machine reports: Talos's maintenance events, then its kernel log with that command line.
    const inventoryJson = join(temp, "receiver-inventory.json");
    writeFileSync(inventoryJson, JSON.stringify(listed));
    receiver = await startReceiver({ REPORT_INVENTORY: inventoryJson });
    const answers = await publishAll(receiver.ports.events, eventFixture("maintenance-unknown"));
    expect(answers.every((a) => a.grpcStatus === "0")).toBe(true);
    const kmsg = logFixture("maintenance-unknown").map((line) => (JSON.parse(line).msg.startsWith("Kernel command line:") ? JSON.stringify({ ...JSON.parse(line), msg: `Kernel command line: ${cmdline}` }) : line));
    await sendLogLines(receiver.ports.logs, `${kmsg.join("\n")}\n`);
    await eventually("the receiver knows the unknown machine's MAC", () => fetchStatus(receiver!.ports.status), (s) => s.machines.some((m) => m.mac === mac && m.phase === "maintenance" && m.logLines === kmsg.length));

    // Cloud Logging stores the receiver container's lines as LogEntry objects; the stand-in gcloud
    // answers the status job's read with its filter, order and limit applied.
    const resource = { type: "k8s_container", labels: { namespace_name: RECEIVER.namespace, container_name: RECEIVER.container } };
    writeFileSync(join(temp, "logging.json"), JSON.stringify(receiver.lines.map((jsonPayload) => ({ resource, jsonPayload }))));
    tool("gcloud", `FAKE_LOGS="${temp}/logging.json" FAKE_CALLS="${temp}/gcloud.calls" exec ${process.execPath} ${join(REPO_ROOT, "test/support/gcloud-logging-standin.js")} "$@"`);
    tool("gh", `printf '%s\\n' "$*" >> "${temp}/gh.calls"\nexit 0`);
  });
  afterAll(async () => {
    await receiver?.stop();
    if (process.env.KEEP_DISCOVERY_COPY) console.log(`kept: ${copy} ${temp}`);
    else for (const dir of [copy, temp, bin, origin]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("status: boot-status reads Cloud Logging, prints each machine and saves the receiver status with the unknown machine in it", () => {
    const r = ok(runStep("status", "Read the boot status from Cloud Logging"), "the status step");
    expect(readFileSync(join(temp, "gcloud.calls"), "utf8")).toMatch(/^logging\nread\n/);
    // jq's listing of the report: one line per inventory machine, and no unknown one among them.
    expect(r.stdout.trim().split("\n").map((l) => l.split(":")[0])).toEqual(listedNames);
    const saved = JSON.parse(readFileSync(join(temp, "boot-status/status.json"), "utf8"));
    expect(saved.schema).toBe("netboot.boot-status/v1");
    // One entry for the machine: its events (before the kernel log named its MAC) and its log lines together.
    expect(saved.machines.filter((m: { machine: string | null }) => m.machine === null)).toEqual([expect.objectContaining({ mac, phase: "maintenance", talosVersion: "v1.13.9" })]);
  });

  test("discovery: one entry for the MAC, appended with boot: maintenance; boot-diff shows exactly one + line; the body has it; the inventory is still valid", () => {
    const before = readFileSync(join(copy, inventoryRel), "utf8");
    const r = ok(runStep("discovery", "Add the discovered machines with boot maintenance, and write the pull request's body"), "the discovery step");
    const discovered = JSON.parse(readFileSync(join(temp, "discovery/discovered.json"), "utf8"));
    expect(discovered.map((d: { mac: string }) => d.mac)).toEqual([mac]);
    const name = `new-${mac.split(":").slice(3).join("")}`;
    expect(discovered[0].entry).toEqual({ name, mac, boot: "maintenance" });
    expect(readFileSync(join(temp, "discovery/names"), "utf8")).toBe(`${name}\n`);
    expect(r.stdout).toContain(`appended 1 entry to ${inventoryRel}`);

    // The inventory: every byte before as it was, then the new entry.
    const after = readFileSync(join(copy, inventoryRel), "utf8");
    expect(after.startsWith(before.trimEnd())).toBe(true);
    const entries = (parse(after) as { machines: { name: string; mac: string; boot?: string; role?: string }[] }).machines;
    expect(entries.map((m) => m.name)).toEqual([...listedNames, name]);
    expect(entries.at(-1)).toMatchObject({ name, mac, boot: "maintenance" });
    expect(entries.at(-1)!.role).toBeUndefined();
    expect(git("status", "--porcelain").trim()).toBe(`M ${inventoryRel}`);

    const diff = readFileSync(join(temp, "discovery/boot-diff.md"), "utf8");
    expect(diff.split("\n").filter((l) => l.startsWith("+ "))).toEqual([expect.stringMatching(new RegExp(`^\\+ ${name}\\b.*${mac}`))]);
    expect(diff.split("\n").filter((l) => /^[-~] /.test(l))).toEqual([]);
    const body = readFileSync(join(temp, "discovery/body.md"), "utf8");
    // The address it reported for itself (where an admin peer reads its facts), not the connection's.
    expect(body).toContain(`discovered "${mac}"`);
    expect(discovered[0].address).toBe("10.0.20.77");
    expect(body).toContain(`- name: "${name}"`);
    expect(body).toContain("Written by https://github.com/home/netboot/actions/runs/4242");
    // What its kernel log named, through Cloud Logging: the reviewer can tell which server it is.
    expect(body).toContain('kernel  system "HP ProLiant DL360 Gen9/ProLiant DL360 Gen9" (its kernel log)');
    expect(body).toContain('kernel  disk "sda" "300 GB" model "HP LOGICAL VOLUME"');
    expect(after).toContain('# kernel log: disk "sda" "300 GB" model "HP LOGICAL VOLUME"');
    expect(readFileSync(join(temp, "summary.md"), "utf8")).toBe(body);
  });

  test("discovery: the pull request is opened on its own branch, with only the inventory in its commit", () => {
    const name = `new-${mac.split(":").slice(3).join("")}`;
    const r = ok(runStep("discovery", "Open or update the pull request"), "the open step");
    expect(r.stdout).toBe(`opened a pull request: ${name}\n`);
    const calls = readFileSync(join(temp, "gh.calls"), "utf8").trim().split("\n");
    expect(calls[0]).toBe("pr list --head netboot/discovered-machines --base main --state open --json number --jq .[0].number // empty");
    expect(calls.at(-1)).toBe(`pr create --base main --head netboot/discovered-machines --title Add 1 discovered machine(s) in maintenance mode: ${name} --body-file ${join(temp, "discovery/body.md")}`);
    const pushed = spawnSync("git", ["--git-dir", origin, "show", "--name-only", "--format=%s", "netboot/discovered-machines"], { encoding: "utf8" });
    expect(pushed.stdout.trim().split("\n").filter(Boolean)).toEqual([`Add 1 discovered machine(s) in maintenance mode: ${name}`, inventoryRel]);
  });
});
