#!/usr/bin/env node
// What a Talos machine does towards the boot-report receiver, from inside a
// test namespace, with Node's standard library:
//   node boot-report-client.js events <host> <port> <fixture.events.hex>
//       one HTTP/2 (h2c) connection, one unary Publish per line (as grpc-go's
//       insecure client); prints {"grpcStatus":[...]}; exit 0 when all are 0
//   node boot-report-client.js logs <host> <port> <fixture.kmsg.jsonl>
//       one TCP connection, the lines as written (newline-terminated); exit 0 once written
//   node boot-report-client.js probe <host> <port>
//       a TCP connect within 3 s: prints {"reached":true|false}; always exits 0
"use strict";
const fs = require("node:fs");
const http2 = require("node:http2");
const net = require("node:net");

const [kind, host, portText, file] = process.argv.slice(2);
const port = Number(portText);
const fail = (msg) => {
  process.stdout.write(`${JSON.stringify({ error: msg })}\n`);
  process.exit(1);
};
setTimeout(() => fail("timed out after 10 s"), 10_000).unref();

function frame(payload) {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

async function events() {
  const bodies = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => Buffer.from(l, "hex"));
  const session = http2.connect(`http://${host}:${port}`);
  session.on("error", (e) => fail(`session: ${e.message}`));
  const statuses = [];
  for (const body of bodies) {
    statuses.push(
      await new Promise((resolve) => {
        const req = session.request({ ":method": "POST", ":path": "/events.EventSinkService/Publish", "content-type": "application/grpc", te: "trailers" });
        let status;
        req.on("response", (h) => (status = h["grpc-status"] ?? status));
        req.on("trailers", (t) => (status = t["grpc-status"] ?? status));
        req.on("data", () => {});
        req.on("close", () => resolve(status ?? "none"));
        req.on("error", () => resolve("error"));
        req.end(frame(body));
      }),
    );
  }
  session.close();
  process.stdout.write(`${JSON.stringify({ grpcStatus: statuses })}\n`);
  process.exit(statuses.every((s) => s === "0") ? 0 : 1);
}

function logs() {
  const data = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => `${l}\n`).join("");
  const socket = net.connect(port, host, () => socket.end(data, () => process.stdout.write(`${JSON.stringify({ wrote: data.length })}\n`)));
  socket.on("close", () => process.exit(0));
  socket.on("error", (e) => fail(`logs: ${e.message}`));
}

function probe() {
  const socket = net.connect({ port, host, timeout: 3000 });
  const done = (reached) => {
    process.stdout.write(`${JSON.stringify({ reached })}\n`);
    socket.destroy();
    process.exit(0);
  };
  socket.on("connect", () => done(true));
  socket.on("timeout", () => done(false));
  socket.on("error", () => done(false));
}

if (kind === "events") events();
else if (kind === "logs") logs();
else if (kind === "probe") probe();
else fail(`unknown kind ${kind}; usage: events|logs <host> <port> <file> | probe <host> <port>`);
