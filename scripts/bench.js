// npm run bench: wall time and peak RSS of the cdktf app (as cdktf.json runs
// it: every `node <script>` step of its `app`, the build finding dist/ up to
// date) and of `validate`, on this machine in one run, against
// the baseline of merely loading the Google and Kubernetes provider barrels
// under plain Node. Each figure is the median of RUNS rounds (see rounds()),
// each ratio the median of the rounds' ratios. Prints the targets of issue #15
// with PASS or MISS; exits 0 either way (it measures, the tests assert
// behaviour).
"use strict";
const { spawnSync } = require("node:child_process");
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { parse, stringify } = require("yaml");

const ROOT = join(__dirname, "..");
const RUNS = Number(process.env.NETBOOT_BENCH_RUNS ?? 3);
const PROBE = join(__dirname, "bench-probe.js");
const work = mkdtempSync(join(tmpdir(), "netboot-bench-"));

/** One run of `node <args>`: seconds and peak RSS (MB); throws with the output when it fails. */
function once(args, env) {
  const probe = join(work, `probe-${Math.random().toString(36).slice(2)}.json`);
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["-r", PROBE, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env, NETBOOT_BENCH_PROBE: probe, CHECKPOINT_DISABLE: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { seconds, rssMb: JSON.parse(readFileSync(probe, "utf8")).maxRssKb / 1024 };
}

/**
 * cdktf.json's `app`, as cdktf runs it: each `node <script> [args]` of the
 * (possibly `&&`-joined) command in turn, the build finding dist/ up to date;
 * seconds add up, peak RSS is the largest.
 */
const APP_STEPS = JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8"))
  .app.split("&&")
  .map((step) => {
    const words = step.trim().split(/\s+/);
    if (words[0] !== "node" || words.length < 2) throw new Error(`bench: cdktf.json's app step "${step.trim()}" is not \`node <script> [args]\``);
    return words.slice(1);
  });

function onceApp(env) {
  const steps = APP_STEPS.map((args) => once(args, env));
  return { seconds: steps.reduce((sum, s) => sum + s.seconds, 0), rssMb: Math.max(...steps.map((s) => s.rssMb)) };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * RUNS rounds, each running every measurement once in turn, so a machine that
 * slows down or speeds up during the bench (a shared two-core VM does) moves
 * every figure of a round alike. Each figure is the median over rounds; each
 * ratio is the median of the rounds' ratios, both measured in the same round.
 */
function rounds(measurements) {
  const results = Object.fromEntries(Object.keys(measurements).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, run] of Object.entries(measurements)) results[k].push(run());
  const figure = (k) => ({ seconds: median(results[k].map((r) => r.seconds)), rssMb: median(results[k].map((r) => r.rssMb)) });
  const ratio = (a, b) => median(results[a].map((r, i) => r.seconds / results[b][i].seconds));
  return { figure, ratio };
}

const exampleSite = join(ROOT, "sites/example.yaml");
const baseSite = existsSync(exampleSite) ? exampleSite : join(ROOT, "test/fixtures/site/site.yaml");

// A 1,000-machine inventory on the same site: DHCP workers, three control planes.
const machines = Array.from({ length: 1000 }, (_, i) => ({
  name: `bench-${i}`,
  mac: `02:be:00:00:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
  role: i < 3 ? "controlplane" : "worker",
}));
const bigInventory = join(work, "machines.yaml");
writeFileSync(bigInventory, stringify({ machines }));
const bigSiteValue = parse(readFileSync(baseSite, "utf8"));
bigSiteValue.matchbox.inventoryFile = bigInventory;
const bigSite = join(work, "site.yaml");
writeFileSync(bigSite, stringify(bigSiteValue));

try {
  const { figure, ratio } = rounds({
    baseline: () => once(["-e", 'require("@cdktf/provider-google"); require("@cdktf/provider-kubernetes");'], {}),
    example: () => onceApp({ SITE_CONFIG: baseSite, CDKTF_OUTDIR: join(work, "out-example") }),
    big: () => onceApp({ SITE_CONFIG: bigSite, CDKTF_OUTDIR: join(work, "out-1000") }),
    validate: () => once(["scripts/run.js", "validate"], { SITE_CONFIG: bigSite }),
  });
  const [baseline, example, big, validate] = ["baseline", "example", "big", "validate"].map(figure);
  const exampleRatio = ratio("example", "baseline");
  const bigRatio = ratio("big", "example");

  const rows = [
    ["provider barrels (google + kubernetes), plain node: baseline", baseline],
    [`app (cdktf.json) synth, ${baseSite.slice(ROOT.length + 1)}`, example],
    ["app (cdktf.json) synth, 1,000 machines", big],
    ["validate, 1,000 machines (process)", validate],
  ];
  const line = ([name, m]) => `${name.padEnd(64)} ${m.seconds.toFixed(2).padStart(6)} s ${m.rssMb.toFixed(0).padStart(5)} MB`;
  process.stdout.write(`netboot bench (node ${process.version}, median of ${RUNS} rounds; ratios: median of each round's)\n${rows.map(line).join("\n")}\n\n`);
  const targets = [
    [`example synth / baseline = ${exampleRatio.toFixed(2)}`, exampleRatio <= 0.15, "<= 0.15"],
    [`example synth peak RSS = ${example.rssMb.toFixed(0)} MB`, example.rssMb <= 250, "<= 250 MB"],
    [`1,000 machines / example = ${bigRatio.toFixed(2)}`, bigRatio <= 2, "<= 2"],
    [`validate of 1,000 machines = ${validate.seconds.toFixed(2)} s`, validate.seconds <= 0.5, "<= 0.5 s"],
  ];
  process.stdout.write(targets.map(([what, ok, goal]) => `${ok ? "PASS" : "MISS"}  ${what} (target ${goal})`).join("\n") + "\n");
} finally {
  rmSync(work, { recursive: true, force: true });
}
