// npm run build: the cdktf app and the commands as JavaScript in dist/, so
// they start with plain Node instead of compiling TypeScript on every run.
// Type checking stays with `npm run typecheck` (tsc --noEmit); this only
// transpiles and bundles (docs/adr/0014).
//
// Each bundle carries the packages it uses (cdktf, the providers' deep
// imports, yaml, ajv's runtime), with whitespace and syntax minified but
// names kept, so a stack trace still reads: one file to read and compile is
// faster to start than hundreds resolved from node_modules.
//
// Every command runs this first, so dist/ is never stale; when nothing the
// last build read has changed (same files, same sizes and modification
// times, same entry points, same build script and esbuild) it writes nothing
// and returns in a few milliseconds. Outputs are written to a temporary name
// and renamed, so a command started during a build reads a whole bundle.
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { dirname, join, relative, resolve } = require("node:path");

const ROOT = join(__dirname, "..");
const OUT_DIR = join(ROOT, "dist");
const STAMP = join(OUT_DIR, ".build-stamp.json");
const ENTRY_POINTS = ["main.ts", ...readdirSync(join(ROOT, "bin")).filter((f) => f.endsWith(".ts")).map((f) => `bin/${f}`)];
const SCHEMA_FILES = ["sites/site.schema.json", "matchbox-config/machines.schema.json", "wireguard/peers.schema.json"];
const AJV_OPTIONS = "lib/input/ajv-options.json";
/** Read by the build but not through an import esbuild can see. */
const EXTRA_INPUTS = [...SCHEMA_FILES, AJV_OPTIONS, "tsconfig.json", "package-lock.json"];

/** The JSON Schemas' validators, compiled ahead of time with the options lib/input/schema-check.ts uses at run time. */
function precompiledSchemas() {
  const Ajv = require("ajv").default;
  const standalone = require("ajv/dist/standalone").default;
  const ajv = new Ajv({ ...JSON.parse(readFileSync(join(ROOT, AJV_OPTIONS), "utf8")), code: { source: true } });
  const ids = {};
  for (const file of SCHEMA_FILES) {
    const schema = JSON.parse(readFileSync(join(ROOT, file), "utf8"));
    ajv.addSchema(schema);
    ids[schema.$id] = schema.$id;
  }
  return standalone(ajv, ids);
}

/** Serves `require("netboot-precompiled-schemas")` in the bundle. */
const precompiledSchemasPlugin = {
  name: "netboot-precompiled-schemas",
  setup(b) {
    b.onResolve({ filter: /^netboot-precompiled-schemas$/ }, () => ({ path: "netboot-precompiled-schemas", namespace: "netboot" }));
    b.onLoad({ filter: /.*/, namespace: "netboot" }, () => ({ contents: precompiledSchemas(), loader: "js", resolveDir: ROOT }));
  },
};

/** What makes two builds the same apart from their input files. */
function buildIdentity() {
  return createHash("sha256")
    .update(readFileSync(__filename))
    .update(require("esbuild/package.json").version)
    .update(JSON.stringify(ENTRY_POINTS))
    .digest("hex");
}

/** Size and modification time of each input, or undefined for one that is gone. */
function fingerprint(files) {
  return Object.fromEntries(
    files.map((f) => {
      try {
        const s = statSync(resolve(ROOT, f));
        return [f, `${s.size}:${s.mtimeMs}`];
      } catch {
        return [f, undefined];
      }
    }),
  );
}

/** Whether the build a stamp records still stands: same build, and every input and output as it was. */
function isUpToDate(stamp) {
  if (!stamp || stamp.identity !== buildIdentity()) return false;
  const now = fingerprint([...Object.keys(stamp.inputs), ...stamp.outputs]);
  const recorded = { ...stamp.inputs, ...stamp.outputFingerprints };
  return Object.keys(now).every((f) => recorded[f] !== undefined && now[f] === recorded[f]);
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, "utf8"));
  } catch {
    return undefined;
  }
}

function writeAtomically(file, contents) {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/** Builds dist/ unless it is up to date; resolves to true when it built. */
async function build({ force = false } = {}) {
  if (!force && isUpToDate(readStamp())) return false;
  const identity = buildIdentity();
  const started = Date.now();
  const result = await require("esbuild").build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: OUT_DIR,
    outbase: ".",
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    write: false,
    plugins: [precompiledSchemasPlugin],
  });
  for (const out of result.outputFiles) writeAtomically(out.path, out.contents);
  const inputs = [...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("netboot:")), ...EXTRA_INPUTS].sort();
  const outputs = result.outputFiles.map((o) => relative(ROOT, o.path)).sort();
  // An input edited while esbuild read it may be in the bundle in its old form: no stamp, so the next run builds again.
  const edited = inputs.some((f) => {
    const fp = fingerprint([f])[f];
    return fp === undefined || Number(fp.split(":")[1]) >= started - 1000;
  });
  if (edited) {
    rmSync(STAMP, { force: true });
    return true;
  }
  writeAtomically(STAMP, JSON.stringify({ identity, inputs: fingerprint(inputs), outputs, outputFingerprints: fingerprint(outputs) }, null, 1));
  return true;
}

module.exports = { build, buildIdentity, isUpToDate, ENTRY_POINTS };
if (require.main === module) {
  build({ force: process.argv.includes("--force") }).catch((err) => {
    process.stderr.write(`build failed: ${err.message}\n`);
    process.exit(1);
  });
}
