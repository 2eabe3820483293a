// Before a jest run: builds dist/ once (nothing when it is up to date): the
// tests run the commands and the app as npm scripts and cdktf do, from the
// bundle. And gives the run its own temporary directory (TMPDIR, which
// os.tmpdir() and the tools the tests start read): test/global-teardown.js
// removes it with everything a test left there, so runs do not pile up
// directories in /tmp. A jest run a test starts (the user-repo project runs
// the unit project in a copy) inherits the directory and leaves it alone.
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

module.exports = async () => {
  await require("../scripts/build.js").build();
  if (!process.env.NETBOOT_TEST_TMPDIR) {
    const dir = mkdtempSync(join(tmpdir(), "netboot-test-run-"));
    process.env.NETBOOT_TEST_TMPDIR = dir;
    process.env.TMPDIR = dir;
    // Only the run that made it removes it (globalTeardown runs in this process).
    globalThis.__netbootOwnTestTmpdir = dir;
  }
};
