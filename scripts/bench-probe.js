// Loaded with `node -r` by scripts/bench.js: reports the process's peak RSS
// when it exits, to the file named by NETBOOT_BENCH_PROBE.
"use strict";
process.on("exit", () => {
  const file = process.env.NETBOOT_BENCH_PROBE;
  if (file) require("node:fs").writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
});
