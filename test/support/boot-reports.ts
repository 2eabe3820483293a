import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect as h2connect, constants as h2 } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/input/settings";

export const RECEIVER_SCRIPT = join(REPO_ROOT, "constructs", "boot-report-receiver", "receiver.js");
export const BOOT_REPORT_FIXTURES = join(REPO_ROOT, "test", "fixtures", "boot-reports");

/** One EventRequest per line of a committed `*.events.hex` fixture (encoded by protoc: generate.sh). */
export function eventFixture(name: string): Buffer[] {
  return readFileSync(join(BOOT_REPORT_FIXTURES, `${name}.events.hex`), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => Buffer.from(l, "hex"));
}

export function logFixture(name: string): string[] {
  return readFileSync(join(BOOT_REPORT_FIXTURES, `${name}.kmsg.jsonl`), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** A gRPC length-prefixed message: flag, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Buffer, flag = 0): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flag;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export interface RunningReceiver {
  readonly child: ChildProcess;
  readonly ports: { events: number; logs: number; logsUdp: number; status: number };
  /** Every stdout line so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/** Spawns the real script on loopback with ephemeral ports; resolves when it prints its ready line. */
export function startReceiver(env: Record<string, string> = {}): Promise<RunningReceiver> {
  const child = spawn(process.execPath, [RECEIVER_SCRIPT], {
    env: { PATH: process.env.PATH ?? "", REPORT_BIND: "127.0.0.1", REPORT_EVENTS_PORT: "0", REPORT_LOGS_PORT: "0", REPORT_STATUS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let err = "";
  let buf = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver not ready in 10 s; stderr: ${err}`)), 10_000);
    timer.unref();
    child.once("exit", (code) => reject(new Error(`receiver exited (${code}) before ready; stderr: ${err}`)));
    child.stdout!.on("data", (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        lines.push(parsed);
        if (parsed.kind === "ready") {
          clearTimeout(timer);
          resolve({
            child,
            ports: parsed.ports as RunningReceiver["ports"],
            lines,
            stderr: () => err,
            stop: () =>
              new Promise<void>((done) => {
                if (child.exitCode !== null) return done();
                child.once("exit", () => done());
                child.kill("SIGTERM");
              }),
          });
        }
      }
    });
  });
}

export interface GrpcAnswer {
  readonly httpStatus?: number;
  readonly grpcStatus?: string;
  readonly grpcMessage?: string;
  readonly body: Buffer;
  readonly error?: string;
}

/**
 * Unary calls over one HTTP/2 connection, as grpc-go's insecure client makes
 * them (prior knowledge h2c, POST, content-type application/grpc, te: trailers).
 */
export async function publishAll(port: number, bodies: Buffer[], opts: { path?: string; raw?: boolean } = {}): Promise<GrpcAnswer[]> {
  const session = h2connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const answers: GrpcAnswer[] = [];
  try {
    for (const body of bodies) answers.push(await call(session, opts.raw ? body : grpcFrame(body), opts.path ?? "/events.EventSinkService/Publish"));
  } finally {
    session.close();
  }
  return answers;
}

function call(session: ReturnType<typeof h2connect>, payload: Buffer, path: string): Promise<GrpcAnswer> {
  return new Promise((resolve) => {
    const req = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: path, "content-type": "application/grpc", te: "trailers" });
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    req.on("response", (h) => (headers = h));
    req.on("trailers", (t) => (trailers = t));
    req.on("data", (c: Buffer) => chunks.push(c));
    const done = (error?: string) =>
      resolve({
        httpStatus: headers[":status"] as number | undefined,
        grpcStatus: (trailers["grpc-status"] ?? headers["grpc-status"]) as string | undefined,
        grpcMessage: (trailers["grpc-message"] ?? headers["grpc-message"]) as string | undefined,
        body: Buffer.concat(chunks),
        error,
      });
    req.on("close", () => done());
    req.on("error", (e) => done(e.message));
    req.end(payload);
  });
}

/** Writes log lines over one TCP connection and waits until the receiver counted them (or the socket closed). */
export function sendLogLines(port: number, data: string | Buffer): Promise<{ closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    let closedByPeer = false;
    socket.on("error", () => (closedByPeer = true));
    socket.on("end", () => (closedByPeer = true));
    socket.on("close", () => resolve({ closedByPeer }));
    socket.write(data, () => socket.end());
  });
}

/** An HTTP GET on loopback without keep-alive (no socket outlives the test). */
export function httpGet(port: number, path: string, method = "GET"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method, agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

export async function fetchStatus(port: number): Promise<{ schema: string; machines: Array<Record<string, any>>; totals: Record<string, number> }> {
  const r = await httpGet(port, "/status");
  if (r.status !== 200) throw new Error(`GET /status: HTTP ${r.status}`);
  return JSON.parse(r.body);
}

/** Polls until `check` holds (the receiver works asynchronously from the sender's view). */
export async function eventually<T>(what: string, get: () => Promise<T>, check: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await get();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not reached within ${ms} ms; last: ${JSON.stringify(last)}`);
}
