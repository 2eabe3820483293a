// After a jest run: removes the run's temporary directory (test/global-setup.js).
const { rmSync } = require("node:fs");

module.exports = async () => {
  const dir = process.env.NETBOOT_TEST_TMPDIR;
  if (dir && /netboot-test-run-[A-Za-z0-9]+$/.test(dir)) rmSync(dir, { recursive: true, force: true });
};
