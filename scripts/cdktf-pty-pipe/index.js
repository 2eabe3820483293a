// The part of @cdktf/node-pty-prebuilt-multiarch's API that cdktf-cli 0.21
// uses, on pipes instead of a pseudo-terminal (package.json `overrides`
// installs this folder under that package's name).
//
// Why: the real package is a Node addon. Its last release (0.10.2) ships
// linux-x64 prebuilds up to ABI 127 (Node 22) and none for Node 24 (ABI 137);
// npm 11 does not run its install script (the fallback that compiles it) unless
// a project allows it, and compiling needs a C++ toolchain and Node's headers on
// every machine. cdktf-cli requires it when it starts, so every command (synth
// too) failed on Node 24. cdktf and its CLI are archived (docs/adr/0001): no
// release will fix that.
//
// What cdktf-cli does with it (node_modules/@cdktf/cli-core/src/lib/models/
// pty-process.js, deploy-machine.js, terraform-cli.js): it runs `terraform
// init` (diff, deploy) and `terraform apply`/`destroy` (deploy, destroy) with
// `spawn(file, args, { cwd, env })`, reads the merged output through `onData`
// (it scans lines for Terraform's prompts), answers prompts with `write(line)`,
// aborts with `write("\x03")` (Ctrl-C) and waits for `onExit({ exitCode })`.
// `synth` and `plan` never start one. A terminal changes nothing the
// workflows rely on: they deploy with --auto-approve, and Terraform prints its
// prompts, and colours its output, on a pipe as on a terminal.
//
// Differences from a PTY, kept on purpose:
// - stdout and stderr are one pipe, as on a PTY: the program runs through
//   `sh -c 'exec "$0" "$@" 2>&1'`, so its messages keep their order (the shell
//   replaces itself with the program; no shell parsing of the arguments);
// - Ctrl-C written to the process becomes SIGINT (a PTY's line discipline does
//   the same); anything else goes to the process's stdin;
// - a process killed by a signal exits with 128 + the signal's number, never 0,
//   so cdktf never reads a killed terraform as a success;
// - a program that cannot be started (no terraform on PATH) exits 127 with the
//   shell's message, as in a terminal.
"use strict";
const { spawn: spawnChild } = require("node:child_process");
const { EventEmitter } = require("node:events");
const { StringDecoder } = require("node:string_decoder");
const { constants } = require("node:os");

const CTRL_C = "\x03";

function event(emitter, name) {
  return (listener) => {
    emitter.on(name, listener);
    return { dispose: () => emitter.removeListener(name, listener) };
  };
}

class PipeProcess {
  constructor(file, args, options) {
    const argv = typeof args === "string" ? [args] : [...(args ?? [])];
    this._events = new EventEmitter();
    this.onData = event(this._events, "data");
    this.onExit = event(this._events, "exit");
    this.process = file;
    this.cols = options.cols ?? 80;
    this.rows = options.rows ?? 24;
    this.handleFlowControl = false;

    const child = spawnChild("/bin/sh", ["-c", 'exec "$0" "$@" 2>&1', file, ...argv], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this._child = child;
    this.pid = child.pid;

    for (const stream of [child.stdout, child.stderr]) {
      const decoder = new StringDecoder(options.encoding ?? "utf8");
      stream.on("data", (chunk) => this._emitData(decoder.write(chunk)));
      stream.on("end", () => this._emitData(decoder.end()));
    }
    // Terraform may exit before reading an answer; a closed stdin is not an error.
    child.stdin.on("error", () => {});

    let exited = false;
    const exit = (exitCode, signal) => {
      if (exited) return;
      exited = true;
      // After the listeners attached in the same tick as spawn() (cdktf attaches them right after).
      setImmediate(() => this._events.emit("exit", { exitCode, signal }));
    };
    child.on("error", (err) => {
      this._emitData(`cannot run /bin/sh for ${file}: ${err.message}\n`);
      exit(127, undefined);
    });
    child.on("close", (code, signalName) => {
      if (code !== null) return exit(code, undefined);
      const signal = constants.signals[signalName] ?? 0;
      exit(128 + signal, signal);
    });
  }

  _emitData(text) {
    if (text) this._events.emit("data", text);
  }

  on(name, listener) {
    if (name === "data") this._events.on("data", listener);
    else if (name === "exit") this._events.on("exit", ({ exitCode, signal }) => listener(exitCode, signal));
    else throw new Error(`unsupported event ${name}`);
  }

  write(data) {
    let rest = String(data);
    // Ctrl-C interrupts, as a terminal's line discipline turns it into SIGINT.
    while (rest.includes(CTRL_C)) {
      const at = rest.indexOf(CTRL_C);
      this._stdin(rest.slice(0, at));
      this.kill("SIGINT");
      rest = rest.slice(at + 1);
    }
    this._stdin(rest);
  }

  _stdin(text) {
    if (text && this._child.stdin.writable) this._child.stdin.write(text);
  }

  kill(signal) {
    if (this._child.exitCode === null && this._child.signalCode === null) this._child.kill(signal ?? "SIGHUP");
  }

  resize(columns, rows) {
    this.cols = columns;
    this.rows = rows;
  }

  pause() {
    this._child.stdout.pause();
    this._child.stderr.pause();
  }

  resume() {
    this._child.stdout.resume();
    this._child.stderr.resume();
  }
}

function spawn(file, args, options = {}) {
  return new PipeProcess(file, args, options);
}

module.exports = { spawn };
