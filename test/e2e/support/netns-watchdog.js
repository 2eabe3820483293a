#!/usr/bin/env node
// Watchdog of a NetnsHarness (netns.ts), started detached by it:
//   node netns-watchdog.js <test pid> <namespace prefix> <wg socket pattern> <temp dir>
// When the test process is gone (finished without cleaning up, SIGKILL,
// SIGTERM, a crashed jest worker), it kills every process in the namespaces
// whose names start with <namespace prefix>, deletes those namespaces, and
// removes matching wireguard-go sockets and the temp dir. The harness kills
// this watchdog after its own cleanup. (Jest gives tests a copy of `process`,
// so exit and signal handlers registered in a test never fire: hence a
// separate process.) Plain JS: no build step.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const [pidText, nsPrefix, socketPattern, tempDir] = process.argv.slice(2);
const watched = Number(pidText);
if (!watched || !nsPrefix || !socketPattern || !tempDir) {
  process.stderr.write("usage: netns-watchdog.js <pid> <namespace prefix> <wg socket regexp> <temp dir>\n");
  process.exit(2);
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function cleanUp() {
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout || "";
  const namespaces = list.split("\n").map((l) => l.split(" ")[0]).filter((ns) => ns.startsWith(nsPrefix));
  for (const ns of namespaces) {
    const pids = (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout || "").split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns]);
  const socketRe = new RegExp(socketPattern);
  let sockets = [];
  try {
    sockets = fs.readdirSync("/var/run/wireguard");
  } catch {
    // none
  }
  for (const sock of sockets) if (socketRe.test(sock)) fs.rmSync(path.join("/var/run/wireguard", sock), { force: true });
  fs.rmSync(tempDir, { recursive: true, force: true });
}

for (const signal of ["SIGHUP", "SIGINT"]) process.on(signal, () => {}); // outlive the test's terminal
process.on("SIGTERM", () => process.exit(0)); // the harness cleaned up itself
setInterval(() => {
  if (alive(watched)) return;
  cleanUp();
  process.exit(0);
}, 250);
