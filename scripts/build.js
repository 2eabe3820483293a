// npm run build: the cdktf app and the commands as JavaScript in dist/, so
// they start with plain Node instead of compiling TypeScript on every run
// (tsx's start-up was most of a small synth). Type checking stays with
// `npm run typecheck` (tsc --noEmit); this only transpiles and bundles our own
// code, in a few hundred milliseconds, so every command rebuilds first and
// dist/ is never stale. Packages stay external, resolved from node_modules.
"use strict";
const { buildSync } = require("esbuild");
const { readdirSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const ENTRY_POINTS = ["main.ts", ...readdirSync(join(ROOT, "bin")).filter((f) => f.endsWith(".ts")).map((f) => `bin/${f}`)];

function build() {
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: "dist",
    outbase: ".",
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "warning",
  });
}

module.exports = { build, ENTRY_POINTS };
if (require.main === module) build();
