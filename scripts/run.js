// node scripts/run.js <entry> [args...]: builds dist/ if anything it was built
// from changed (scripts/build.js; nothing to do is a few stat calls), then
// runs the bundle of <entry> in this same process: `main` is the cdktf app
// (cdktf.json's `app`), any other name a command, dist/bin/<name>.js. One
// process instead of a build process and then the command saves Node's
// start-up on every command and synth.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { build, ENTRY_POINTS } = require("./build.js");

const [entry, ...args] = process.argv.slice(2);
const entries = ENTRY_POINTS.map((e) => (e === "main.ts" ? "main" : e.replace(/^bin\//, "").replace(/\.ts$/, "")));
if (!entry || !entries.includes(entry)) {
  process.stderr.write(`usage: node scripts/run.js <entry> [args...]; entries: ${entries.join(", ")}\n`);
  process.exit(2);
}
const bundle = join(__dirname, "..", "dist", entry === "main" ? "main.js" : `bin/${entry}.js`);

build()
  .then(() => {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing after the build`);
    // As if started directly (node dist/bin/<entry>.js args...): the same
    // process.argv, and the bundle is the main module (require.main).
    process.argv = [process.argv[0], bundle, ...args];
    require("node:module").runMain();
  })
  .catch((err) => {
    process.stderr.write(`build failed: ${err.message}\n`);
    process.exit(1);
  });
