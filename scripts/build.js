// npm run build: the cdktf app and the commands as JavaScript in dist/, so
// they start with plain Node instead of compiling TypeScript on every run
// (tsx's start-up was most of a small synth). Type checking stays with
// `npm run typecheck` (tsc --noEmit); this only transpiles and bundles our own
// code, in a few hundred milliseconds, so every command rebuilds first and
// dist/ is never stale. Packages stay external, resolved from node_modules.
"use strict";
const esbuild = require("esbuild");
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..");
const ENTRY_POINTS = ["main.ts", ...readdirSync(join(ROOT, "bin")).filter((f) => f.endsWith(".ts")).map((f) => `bin/${f}`)];

/** The JSON Schemas' validators, compiled ahead of time with the options lib/input/schema-check.ts uses at run time. */
function precompiledSchemas() {
  const Ajv = require("ajv").default;
  const standalone = require("ajv/dist/standalone").default;
  const ajv = new Ajv({ ...require("../lib/input/ajv-options.json"), code: { source: true } });
  const ids = {};
  for (const file of ["sites/site.schema.json", "matchbox-config/machines.schema.json", "wireguard/peers.schema.json"]) {
    const schema = JSON.parse(readFileSync(join(ROOT, file), "utf8"));
    ajv.addSchema(schema);
    ids[schema.$id] = schema.$id;
  }
  return standalone(ajv, ids);
}

/** Serves `require("netboot-precompiled-schemas")` in the bundle; its own requires (ajv's small runtime helpers) stay external. */
const precompiledSchemasPlugin = {
  name: "netboot-precompiled-schemas",
  setup(b) {
    b.onResolve({ filter: /^netboot-precompiled-schemas$/ }, () => ({ path: "netboot-precompiled-schemas", namespace: "netboot" }));
    b.onLoad({ filter: /.*/, namespace: "netboot" }, () => ({ contents: precompiledSchemas(), loader: "js", resolveDir: ROOT }));
  },
};

function build() {
  return esbuild.build({
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
    plugins: [precompiledSchemasPlugin],
  });
}

module.exports = { build, ENTRY_POINTS };
if (require.main === module) {
  build().catch((err) => {
    process.stderr.write(`build failed: ${err.message}\n`);
    process.exit(1);
  });
}
