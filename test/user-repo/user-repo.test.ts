// The user's repository, not the example's: copies this repository, edits the
// live data as a user's pull request does (a site of their own named in
// cdktf.json, machines added and removed, a peer key changed, a peer added)
// and checks that the commands name that site, boot-diff lists exactly the
// edited machines, and the unit project stays green. Every edit is derived
// from whatever the live files hold, so this also runs in a user's copy.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ipaddr from "ipaddr.js";
import { parse, parseDocument, type YAMLSeq } from "yaml";
import { lastAddress, parseIpv4Cidr } from "../../lib/input/cidr";
import { normalizeMac } from "../../lib/input/mac";
import { generateWireguardKeyPair } from "../../lib/input/wireguard/keys";
import { copyRepository, usersSite } from "../support/repository-copy";

const TIMEOUT_MS = 240_000;

/** Child processes see the copy's cdktf.json, not the outer test's environment. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0" };
  for (const key of ["SITE_CONFIG", "JEST_WORKER_ID", "REQUIRE_E2E", "CDKTF_OUTDIR"]) delete env[key];
  return env;
}

function run(cwd: string, command: string, args: string[], timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: childEnv(), encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
}

function must(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}${result.error ? ` (${result.error.message})` : ""}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The repository as git sees it, committed in a fresh repository. */
function committedCopy(): string {
  const copy = copyRepository("netboot-user-repo-");
  const git = (...args: string[]) => must(run(copy, "git", ["-c", "user.name=netboot check", "-c", "user.email=check@netboot.invalid", ...args]), `git ${args[0]}`);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "base");
  return copy;
}

/** A MAC no machine has: locally administered, unicast, derived from a counter. */
function freeMacs(taken: Set<string>, count: number): string[] {
  const macs: string[] = [];
  for (let i = 1; macs.length < count; i++) {
    const mac = `02:c4:ec:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
    if (!taken.has(mac)) macs.push(mac);
  }
  return macs;
}

function freeName(taken: Set<string>, base: string): string {
  for (let i = 1; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

describe("a user's repository: their site, their machines, their peers", () => {
  let copy = "";
  let siteRel = "";
  let added: string[] = [];
  let removed: string | undefined;

  beforeAll(() => {
    copy = committedCopy();

    // The site the copy selects; the built-in example is copied to a site of the user's own, as the README says.
    siteRel = usersSite(copy);
    const settings = parse(readFileSync(join(copy, siteRel), "utf8"));

    // Inventory: two machines added (DHCP, fresh MACs and names), the last one removed.
    const inventoryFile = join(copy, settings.matchbox.inventoryFile);
    const inventory = parseDocument(readFileSync(inventoryFile, "utf8"));
    const machines = inventory.get("machines") as YAMLSeq;
    const existing = (parse(readFileSync(inventoryFile, "utf8")).machines ?? []) as { name: string; mac: string }[];
    removed = existing.at(-1)?.name;
    if (removed !== undefined) machines.delete(existing.length - 1);
    const macs = new Set(existing.map((m) => (normalizeMac(m.mac) as { mac: string }).mac));
    const names = new Set(existing.map((m) => m.name));
    const newMacs = freeMacs(macs, 2);
    added = [freeName(names, "check-added"), ""];
    names.add(added[0]);
    added[1] = freeName(names, "check-added");
    added.forEach((name, i) => machines.add(inventory.createNode({ name, mac: newMacs[i], role: "worker" })));
    writeFileSync(inventoryFile, inventory.toString());

    // Peers: the first peer's key rotated, an admin peer added on a free tunnel address.
    const peersFile = join(copy, settings.wireguard.peersFile);
    const peers = parseDocument(readFileSync(peersFile, "utf8"));
    const peerList = (parse(readFileSync(peersFile, "utf8")).peers ?? []) as { name: string; tunnelAddress: string }[];
    if (peerList.length > 0) peers.setIn(["peers", 0, "publicKey"], generateWireguardKeyPair().publicKey);
    const tunnel = parseIpv4Cidr(settings.wireguard.tunnelCidr);
    if (typeof tunnel === "string") throw new Error(`${siteRel}: ${tunnel}`);
    const used = new Set([settings.wireguard.gatewayAddress, ...peerList.map((p) => p.tunnelAddress)]);
    let candidate = ipaddr.IPv4.parse(lastAddress(tunnel).toString()).toByteArray();
    const next = () => {
      for (let i = 3; i >= 0; i--) {
        if (candidate[i] > 0) {
          candidate[i]--;
          break;
        }
        candidate[i] = 255;
      }
      return candidate.join(".");
    };
    let address = next();
    while (used.has(address)) address = next();
    const peerNames = new Set(peerList.map((p) => p.name));
    (peers.get("peers") as YAMLSeq).add(peers.createNode({ name: freeName(peerNames, "check-admin"), publicKey: generateWireguardKeyPair().publicKey, tunnelAddress: address, admin: true }));
    writeFileSync(peersFile, peers.toString());
  }, TIMEOUT_MS);

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  const siteLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("site: "));

  test("validate and synth name the selected site, once each", () => {
    const validate = run(copy, "npm", ["run", "--silent", "validate"]);
    expect(validate.stderr).not.toMatch(/error/);
    expect(validate.status).toBe(0);
    expect(siteLines(validate.stderr)).toEqual([`site: ${siteRel}`]);

    const synth = run(copy, "npm", ["run", "--silent", "synth"]);
    expect(synth.status).toBe(0);
    expect(siteLines(synth.stderr)).toEqual([`site: ${siteRel}`]);
    expect(existsSync(join(copy, "cdktf.out/stacks/matchbox-config/cdk.tf.json"))).toBe(true);
  }, TIMEOUT_MS);

  test("boot-diff --base HEAD lists exactly the machines added and removed; the peer edits boot nothing differently", () => {
    const diff = run(copy, "npm", ["run", "--silent", "boot-diff", "--", "--base", "HEAD", "--exit-code"]);
    expect(siteLines(diff.stderr)).toEqual([`site: ${siteRel}`]);
    expect(diff.status).toBe(1);
    const changes = diff.stdout.split("\n").filter((l) => /^[+~-] /.test(l));
    // Added as workers without an install disk: boot: install to the inventory's default disk, which the line names.
    const expected = [...added.map((name) => expect.stringMatching(new RegExp(`^\\+ ${name}  02:c4:ec:00:00:0\\d  talos-${name}  \\(installs to /dev/sda\\)$`)))];
    if (removed !== undefined) expected.push(expect.stringMatching(new RegExp(`^- ${removed}  `)));
    expect(changes).toEqual(expected);
  }, TIMEOUT_MS);

  test("the unit project passes on the edited data", () => {
    const unit = run(copy, join(copy, "node_modules/.bin/jest"), ["--selectProjects", "unit", "--ci", "--silent"], TIMEOUT_MS - 10_000);
    if (unit.status !== 0) process.stderr.write(`${unit.stdout}\n${unit.stderr.slice(-20_000)}`);
    expect(unit.status).toBe(0);
  }, TIMEOUT_MS);
});
