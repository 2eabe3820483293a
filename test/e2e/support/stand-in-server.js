#!/usr/bin/env node
// Stand-in for a service behind the WireGuard gateway (Matchbox, or anything
// that must NOT be reachable), run inside a test namespace:
//   node stand-in-server.js <port>=<dir> | <port>:<label> ...
// `<port>=<dir>` serves the files in <dir> over HTTP (GET/HEAD, no listing);
// `<port>:<label>` answers every HTTP request with "<label>\n", so a client
// can tell which listener it reached. Listens on all addresses of its
// namespace; prints "ready" once every listener is up. Plain JS: no build step.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");

function filesHandler(dir) {
  return (req, res) => {
    const name = decodeURIComponent((req.url || "/").split("?")[0]).replace(/^\/+/, "");
    const file = path.join(dir, name);
    if (!name || name.includes("..") || !file.startsWith(dir + path.sep)) {
      res.writeHead(404).end("not found\n");
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404).end("not found\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": st.size });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    });
  };
}

const specs = process.argv.slice(2);
if (specs.length === 0) {
  process.stderr.write("usage: stand-in-server.js <port>=<dir> | <port>:<label> ...\n");
  process.exit(2);
}
let pending = specs.length;
for (const spec of specs) {
  const m = /^(\d+)([=:])(.+)$/.exec(spec);
  if (!m) {
    process.stderr.write(`bad listener spec ${spec}\n`);
    process.exit(2);
  }
  const [, port, kind, arg] = m;
  const handler = kind === "=" ? filesHandler(path.resolve(arg)) : (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(`${arg}\n`);
  http
    .createServer(handler)
    .on("error", (err) => {
      process.stderr.write(`listener ${spec}: ${err.message}\n`);
      process.exit(1);
    })
    .listen(Number(port), "0.0.0.0", () => {
      if (--pending === 0) process.stdout.write("ready\n");
    });
}
process.on("SIGTERM", () => process.exit(0));
