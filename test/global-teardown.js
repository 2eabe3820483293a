// After a jest run: removes the temporary directory test/global-setup.js made
// for this run, never one a parent run made.
const { rmSync } = require("node:fs");

module.exports = async () => {
  const dir = globalThis.__netbootOwnTestTmpdir;
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
    delete globalThis.__netbootOwnTestTmpdir;
  }
};
