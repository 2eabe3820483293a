/**
 * The boot-report receiver (constructs/boot-report-receiver/receiver.js), the
 * real script on loopback with ephemeral ports, fed the committed fixtures of
 * test/fixtures/boot-reports/: events.EventRequest messages that protoc
 * encoded from Talos v1.13.9's and siderolink v0.3.15's .proto files
 * (generate.sh), and kmsg JSON lines as Talos's jsonLinesSender writes them.
 * Then garbage, oversized and flooding senders, and machines in no inventory:
 * each with what the receiver does.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createSocket } from "node:dgram";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import {
  BOOT_REPORT_FIXTURES,
  eventFixture,
  eventually,
  fetchStatus,
  httpGet,
  grpcFrame,
  logFixture,
  publishAll,
  sendLogLines,
  startReceiver,
  type RunningReceiver,
} from "../support/boot-reports";

const receiverModule = require("../../constructs/boot-report-receiver/receiver.js");
const { decodeEventRequest, decodeFields, logFacts, kernelFacts, oneLine, Receiver, Malformed } = receiverModule;

const INVENTORY = join(BOOT_REPORT_FIXTURES, "inventory.json");
jest.setTimeout(30_000);

type Row = Record<string, any>;
const row = (status: { machines: Row[] }, pick: (r: Row) => boolean) => status.machines.find(pick);

describe("boot-report receiver: Talos's own reports", () => {
  let r: RunningReceiver;
  beforeAll(async () => {
    r = await startReceiver({ REPORT_INVENTORY: INVENTORY });
  });
  afterAll(() => r.stop());

  test("cp-01's install, replayed over gRPC h2c, is acknowledged event by event and reads as installed, identified by its hostname", async () => {
    const events = eventFixture("install-cp-01");
    const answers = await publishAll(r.ports.events, events);
    expect(answers.map((a) => [a.httpStatus, a.grpcStatus])).toEqual(events.map(() => [200, "0"]));
    // EventResponse {} as one uncompressed, empty gRPC message.
    expect(answers[0].body).toEqual(Buffer.from([0, 0, 0, 0, 0]));
    const status = await fetchStatus(r.ports.status);
    expect(status.schema).toBe("netboot.boot-status/v1");
    const cp01 = row(status, (m) => m.machine === "cp-01")!;
    expect(cp01).toMatchObject({ machine: "cp-01", identifiedBy: "hostname", address: "10.0.20.10", phase: "installed", events: events.length, error: null, hostname: "cp-01" });
    expect(Date.parse(cp01.installedAt)).not.toBeNaN();
    // One stdout line per event, with the decoded fields.
    await eventually("stdout lines of all events", async () => r.lines.filter((l) => l.kind === "event").length, (n) => n >= events.length);
    const kexec = r.lines.find((l) => l.kind === "event" && l.type === "machine.PhaseEvent" && l.phase === "kexec");
    expect(kexec).toMatchObject({ machine: "cp-01", action: "START", source: "127.0.0.1", id: "d4nq1c0000000000000q" });
    // A line names the machine once the connection's reports identified it: the
    // four events before the AddressEvent name none, and carry the same
    // connection id, by which a log reader (boot-status) attributes them.
    const lines = r.lines.filter((l) => l.kind === "event" && l.conn === kexec!.conn);
    expect(lines.map((l) => l.machine)).toEqual([null, null, null, null, ...new Array(events.length - 4).fill("cp-01")]);
  });

  test("cp-01's kernel log over TCP adds its MAC (from talos.config's mac= on the kernel command line) and Talos version to the same machine", async () => {
    await sendLogLines(r.ports.logs, logFixture("install-cp-01").join("\n") + "\n");
    const status = await eventually("cp-01's log lines counted", () => fetchStatus(r.ports.status), (s) => row(s, (m) => m.machine === "cp-01")?.logLines === 6);
    expect(status.machines.filter((m) => m.machine === "cp-01")).toHaveLength(1);
    expect(row(status, (m) => m.machine === "cp-01")).toMatchObject({ mac: "aa:bb:cc:dd:ee:01", talosVersion: "v1.13.9", phase: "installed" });
    await eventually("log lines on stdout", async () => r.lines.filter((l) => l.kind === "log").length, (n) => n >= 6);
    const version = r.lines.find((l) => l.kind === "log" && String(l.msg).includes("booting Talos"));
    expect(version).toMatchObject({ machine: "cp-01", facility: "user", priority: "warning", talosTime: "2026-12-07T10:02:13.514000Z", seq: 812 });
  });

  test("cp-01 booting from disk: running, and etcd running once its service reports so", async () => {
    const answers = await publishAll(r.ports.events, eventFixture("boot-cp-01-from-disk"));
    expect(answers.every((a) => a.grpcStatus === "0")).toBe(true);
    const cp01 = row(await fetchStatus(r.ports.status), (m) => m.machine === "cp-01")!;
    expect(cp01).toMatchObject({ phase: "running", etcd: "running", stage: "RUNNING", mac: "aa:bb:cc:dd:ee:01" });
    expect(cp01.installedAt).not.toBeNull();
  });

  test("a failed install: phase failed with Talos's error, escaped to one line", async () => {
    await publishAll(r.ports.events, eventFixture("install-failed-worker-01"));
    const w = row(await fetchStatus(r.ports.status), (m) => m.machine === "worker-01")!;
    expect(w).toMatchObject({ phase: "failed", identifiedBy: "hostname", installedAt: null });
    expect(w.error).toBe("install sequence: sequence failed: error running phase 2 in install sequence: task 1/1: failed, failed to install: no disk matches /dev/sda\\nsecond line");
    expect(w.error).not.toContain("\n");
  });

  test("a config that cannot be fetched: failed, and the machine identified by its reported address (its hostname is Talos's generated one)", async () => {
    await publishAll(r.ports.events, eventFixture("config-load-error"));
    const w = row(await fetchStatus(r.ports.status), (m) => m.machine === "worker-02")!;
    expect(w).toMatchObject({ identifiedBy: "address", address: "10.0.20.21", phase: "failed", hostname: "talos-9zz-0aa" });
    expect(w.error).toMatch(/^config load: failed to fetch config from .*404 Not Found$/);
  });

  test("a machine in no inventory: kept with machine null, its hostname, the MAC its maintenance command line names, address, maintenance phase, and its events and logs merged by hostname", async () => {
    const answers = await publishAll(r.ports.events, eventFixture("maintenance-unknown"));
    // The event type Talos 1.13 does not define is accepted (Talos would resend it forever otherwise), kept by name.
    expect(answers.map((a) => a.grpcStatus)).toEqual(["0", "0", "0", "0"]);
    await sendLogLines(r.ports.logs, logFixture("maintenance-unknown").join("\n") + "\n");
    const status = await eventually("unknown machine's logs", () => fetchStatus(r.ports.status), (s) => row(s, (m) => m.hostname === "talos-2bc-4de")?.logLines === logFixture("maintenance-unknown").length);
    const unknown = status.machines.filter((m) => m.hostname === "talos-2bc-4de");
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ machine: null, identifiedBy: null, mac: "52:54:00:0a:bc:de", address: "10.0.20.77", addresses: ["10.0.20.77", "fe80::1"], phase: "maintenance", talosVersion: "v1.13.9", events: 4 });
    // The hardware its kernel log named: DMI, memory, the disk with its SCSI model.
    expect(unknown[0].hardware).toEqual({ dmi: "HP ProLiant DL360 Gen9/ProLiant DL360 Gen9", memoryMiB: 32692, disks: [{ name: "sda", scsi: "0:1:0:0", size: 585871964 * 512, prettySize: "300 GB", model: "HP LOGICAL VOLUME" }] });
    // Only the lines that changed it carry it.
    const withHardware = r.lines.filter((l) => l.hardware !== undefined);
    expect(withHardware.map((l) => l.msg as string).map((m) => m.split(" ")[0])).toEqual(["DMI:", "Memory:", "sd"]);
    await eventually("future event on stdout", async () => r.lines.some((l) => l.type === "machine.SomeFutureEvent"), Boolean);
    expect(r.lines.find((l) => l.type === "machine.SomeFutureEvent")).toMatchObject({ kind: "event", machine: null, note: expect.stringContaining("not decoded") });
  });

  test("UDP log datagrams (one JSON line each) count too", async () => {
    const before = (await fetchStatus(r.ports.status)).totals.logLines;
    const sock = createSocket("udp4");
    const line = Buffer.from(JSON.stringify({ msg: "[talos] udp test", "talos-level": "info", "talos-time": "2026-12-07T10:00:00Z" }));
    await new Promise<void>((res) => sock.send(line, r.ports.logsUdp, "127.0.0.1", () => res()));
    sock.close();
    await eventually("UDP line counted", () => fetchStatus(r.ports.status), (s) => s.totals.logLines === before + 1);
  });

  test("/healthz answers ok; other paths 404; other methods 405", async () => {
    expect(await httpGet(r.ports.status, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect((await httpGet(r.ports.status, "/")).status).toBe(404);
    expect((await httpGet(r.ports.status, "/status", "POST")).status).toBe(405);
  });
});

describe("boot-report receiver: bad reports are refused, counted and logged; the receiver stays up", () => {
  let r: RunningReceiver;
  const valid = () => eventFixture("install-cp-01")[0];
  beforeAll(async () => {
    r = await startReceiver({ REPORT_INVENTORY: INVENTORY, REPORT_MAX_MESSAGE_BYTES: "4096", REPORT_MAX_LOG_LINE_BYTES: "2048", REPORT_MAX_LOG_CONNECTIONS: "3", REPORT_DROP_LOG_SECONDS: "60", REPORT_PREFACE_SECONDS: "1" });
  });
  afterAll(() => r.stop());
  const alive = async () => {
    const [a] = await publishAll(r.ports.events, [valid()]);
    expect(a.grpcStatus).toBe("0");
    expect(r.child.exitCode).toBeNull();
  };
  const drops = (re: RegExp) => r.lines.filter((l) => l.kind === "drop" && re.test(String(l.reason)));
  // stdout reaches the test after the answer: wait for the line.
  const dropLogged = (re: RegExp, n = 1) => eventually(`drop line ${re}`, async () => drops(re).length, (c) => c >= n);

  test.each([
    ["truncated protobuf", (b: Buffer) => b.subarray(0, b.length - 3), /malformed: .*beyond the message|truncated/],
    ["a wire type protobuf does not allow (group start)", () => Buffer.from([0x0b, 0x0c]), /wire type 3/],
    ["an Any field with the wrong wire type", () => Buffer.from([0x08, 0x01]), /field 1 has wire type 0/],
    ["a string that is not UTF-8", () => Buffer.concat([Buffer.from([0x0a, 0x09, 0x0a, 0x03, 0x61, 0x2f, 0x62, 0x12, 0x02, 0x0a, 0x00]), Buffer.from([0x12, 0x02, 0xc3, 0x28])]), /not valid UTF-8/],
    ["a length far beyond the message", () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), /beyond the message/],
    ["a varint longer than 10 bytes", () => Buffer.from([0x10, ...new Array(11).fill(0xff)]), /varint/],
    ["no data (an empty EventRequest)", () => Buffer.alloc(0), /without data/],
  ])("%s: INVALID_ARGUMENT, one drop line", async (_what, mutate, reason) => {
    const [a] = await publishAll(r.ports.events, [mutate(valid())]);
    expect(a.grpcStatus).toBe("3");
    await dropLogged(reason);
    await alive();
  });

  test("gRPC framing errors: compressed flag, wrong frame length, no frame at all", async () => {
    const v = valid();
    const wrongLength = grpcFrame(v);
    wrongLength.writeUInt32BE(v.length + 10, 1);
    const answers = await publishAll(r.ports.events, [grpcFrame(v, 1), wrongLength, Buffer.from([0, 0])], { raw: true });
    expect(answers.map((a) => a.grpcStatus)).toEqual(["3", "3", "3"]);
    await dropLogged(/compressed/);
    expect(drops(/compressed/)).toHaveLength(1);
    await dropLogged(/frame length/);
    expect(drops(/frame length/)).toHaveLength(1);
    await alive();
  });

  test("another gRPC method: UNIMPLEMENTED", async () => {
    const [a] = await publishAll(r.ports.events, [valid()], { path: "/machine.MachineService/Reset" });
    expect(a.grpcStatus).toBe("12");
    await dropLogged(/unknown gRPC method \/machine.MachineService\/Reset/);
    expect(drops(/unknown gRPC method \/machine.MachineService\/Reset/)).toHaveLength(1);
  });

  test("a message over the size limit: RESOURCE_EXHAUSTED, the stream is cut before the rest is read", async () => {
    const [a] = await publishAll(r.ports.events, [Buffer.alloc(64 * 1024, 0x41)]);
    expect(a.grpcStatus).toBe("8");
    await dropLogged(/size: gRPC message larger than 4096 bytes/);
    expect(drops(/size: gRPC message larger than 4096 bytes/)).toHaveLength(1);
    await alive();
  });

  test("bytes that are not HTTP/2 on the events port (HTTP/1, TLS hello, random): the connection is closed and logged", async () => {
    for (const junk of [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]), Buffer.alloc(5000, 0xa5)]) {
      const closed = await new Promise<boolean>((res) => {
        const s = tcpConnect(r.ports.events, "127.0.0.1");
        s.on("error", () => {});
        s.on("close", () => res(true));
        s.resume();
        s.write(junk);
        setTimeout(() => (s.destroy(), res(false)), 3000).unref();
      });
      expect(closed).toBe(true);
    }
    await dropLogged(/HTTP\/2 session failed/);
    await alive();
  });

  test("a connection that sends nothing: cut after PREFACE_SECONDS (1 s here)", async () => {
    const started = Date.now();
    const closed = await new Promise<boolean>((res) => {
      const s = tcpConnect(r.ports.events, "127.0.0.1");
      s.on("error", () => {});
      s.on("close", () => res(true));
      s.resume();
      setTimeout(() => (s.destroy(), res(false)), 4000).unref();
    });
    expect(closed).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await dropLogged(/no HTTP\/2 connection preface within 1 s/);
    await alive();
  });

  test("log lines that are not JSON, or JSON without msg: dropped, the connection and the lines after them kept", async () => {
    const before = (await fetchStatus(r.ports.status)).totals;
    await sendLogLines(r.ports.logs, ["not json at all", "[1,2,3]", '{"msg":42}', JSON.stringify({ msg: "[talos] fine" })].join("\n") + "\n");
    const s = await eventually("lines handled", () => fetchStatus(r.ports.status), (st) => st.totals.logLines === before.logLines + 1);
    expect(s.totals.dropped).toBe(before.dropped + 3);
    await dropLogged(/log line is not JSON/);
    expect(drops(/log line is not JSON/)).toHaveLength(1);
  });

  test("a log line over the size limit (or one without an end): the connection is closed", async () => {
    const { closedByPeer } = await sendLogLines(r.ports.logs, Buffer.alloc(10_000, 0x41));
    expect(closedByPeer).toBe(true);
    await dropLogged(/size: log line longer than 2048 bytes; connection closed/);
    await alive();
  });

  test("more log connections than allowed: the extra one is closed at once, the open ones keep working", async () => {
    const open = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<ReturnType<typeof tcpConnect>>((res) => {
            const s = tcpConnect(r.ports.logs, "127.0.0.1", () => res(s));
            s.on("error", () => {});
          }),
      ),
    );
    await new Promise((res) => setTimeout(res, 100));
    const { closedByPeer } = await new Promise<{ closedByPeer: boolean }>((res) => {
      const s = tcpConnect(r.ports.logs, "127.0.0.1");
      let byPeer = false;
      s.on("error", () => (byPeer = true));
      s.on("end", () => (byPeer = true));
      s.on("close", () => res({ closedByPeer: byPeer }));
      setTimeout(() => s.destroy(), 2000).unref();
    });
    expect(closedByPeer).toBe(true);
    await dropLogged(/more than 3 log connections open/);
    expect(drops(/more than 3 log connections open/)).toHaveLength(1);
    await Promise.all(open.map((s) => new Promise((res) => (s.once("close", res), s.destroy()))));
    // The receiver sees the closes a moment later.
    await new Promise((res) => setTimeout(res, 200));
  });

  test("drop lines are rate-limited per source and reason: a burst of 200 garbage lines writes one", async () => {
    const before = drops(/log line is not JSON/).length;
    const droppedBefore = (await fetchStatus(r.ports.status)).totals.dropped;
    await sendLogLines(r.ports.logs, Array.from({ length: 200 }, (_, i) => `garbage ${i}`).join("\n") + "\n");
    await eventually("garbage counted", () => fetchStatus(r.ports.status), (s) => s.totals.dropped >= droppedBefore + 200);
    expect(drops(/log line is not JSON/).length - before).toBeLessThanOrEqual(1);
  });
});

describe("boot-report receiver: floods", () => {
  let r: RunningReceiver;
  beforeAll(async () => {
    r = await startReceiver({ REPORT_CONN_EVENTS_PER_SECOND: "1", REPORT_CONN_EVENTS_BURST: "5", REPORT_CONN_LOG_LINES_PER_SECOND: "1", REPORT_CONN_LOG_LINES_BURST: "100", REPORT_MAX_MACHINES: "10" });
  });
  afterAll(() => r.stop());

  test("events beyond the per-connection rate: RESOURCE_EXHAUSTED (Talos resends from its last accepted event), counted", async () => {
    const events = eventFixture("install-cp-01").slice(0, 12);
    const answers = await publishAll(r.ports.events, events);
    expect(answers.map((a) => a.grpcStatus)).toEqual([...new Array(5).fill("0"), ...new Array(7).fill("8")]);
    const s = await fetchStatus(r.ports.status);
    expect(s.totals.events).toBe(5);
    expect(s.totals.dropped).toBe(7);
  });

  test("a flood of 20 000 log lines on one connection: 100 kept, the rest counted as dropped, the receiver answers throughout", async () => {
    const line = JSON.stringify({ msg: "[talos] flood", "talos-level": "info" });
    const started = Date.now();
    await sendLogLines(r.ports.logs, `${line}\n`.repeat(20_000));
    const s = await eventually("flood handled", () => fetchStatus(r.ports.status), (st) => st.totals.logLines + st.totals.dropped >= 20_000 + 7, 10_000);
    expect(s.totals.logLines).toBeGreaterThanOrEqual(100);
    expect(s.totals.logLines).toBeLessThan(110);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Not one stdout line per dropped line.
    expect(r.lines.filter((l) => l.kind === "drop").length).toBeLessThan(20);
  });

  test("more machines than MAX_MACHINES: the least recently seen unlisted one is forgotten, logged", async () => {
    for (let i = 0; i < 12; i++) {
      const hostname = Buffer.from(`flood-${i}`);
      const address = Buffer.from(`10.9.0.${i}`);
      const inner = Buffer.concat([Buffer.from([0x0a, hostname.length]), hostname, Buffer.from([0x12, address.length]), address]);
      const typeUrl = Buffer.from("type.googleapis.com/machine.AddressEvent");
      const any = Buffer.concat([Buffer.from([0x0a, typeUrl.length]), typeUrl, Buffer.from([0x12, inner.length]), inner]);
      const req = Buffer.concat([Buffer.from([0x0a, any.length]), any]);
      const [a] = await publishAll(r.ports.events, [req]);
      expect(a.grpcStatus).toBe("0");
    }
    const s = await fetchStatus(r.ports.status);
    expect(s.machines.length).toBeLessThanOrEqual(10);
    expect(s.machines.some((m) => m.hostname === "flood-11")).toBe(true);
    await eventually("eviction logged", async () => r.lines.some((l) => l.kind === "drop" && /more than 10 machines/.test(String(l.reason))), Boolean);
  });
});

describe("boot-report receiver: decoding and identification", () => {
  test("every fixture message decodes; the AddressEvent's fields are the ones machine.proto declares", () => {
    for (const name of ["install-cp-01", "boot-cp-01-from-disk", "install-failed-worker-01", "maintenance-unknown", "config-load-error"]) {
      for (const msg of eventFixture(name)) expect(() => decodeEventRequest(msg)).not.toThrow();
    }
    const address = eventFixture("install-cp-01")[4];
    expect(decodeEventRequest(address)).toEqual({ id: "d4nq1c0000000000000e", actorId: "", type: "machine.AddressEvent", known: true, payload: { hostname: "cp-01", addresses: ["10.0.20.10"] } });
  });

  test("Talos's own machine API type URL (talos/runtime/…) is read like anypb's type.googleapis.com/…", () => {
    const inner = Buffer.from([0x0a, 0x04, ...Buffer.from("boot"), 0x10, 0x01]);
    const url = Buffer.from("talos/runtime/machine.PhaseEvent");
    const any = Buffer.concat([Buffer.from([0x0a, url.length]), url, Buffer.from([0x12, inner.length]), inner]);
    expect(decodeEventRequest(Buffer.concat([Buffer.from([0x0a, any.length]), any])).payload).toEqual({ phase: "boot", action: "STOP" });
  });

  test("the decoder refuses, never loops or throws anything but Malformed, on 2000 random inputs", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      try {
        decodeEventRequest(buf);
      } catch (e) {
        expect(e).toBeInstanceOf(Malformed);
      }
    }
    expect(decodeFields(Buffer.from([0x08, 0x96, 0x01])).get(1)[0].value).toBe(150);
  });

  test("log facts: MAC only from a talos.config mac= on the kernel command line; version; hostname; IPv4 address", () => {
    const lines = logFixture("install-cp-01").map((l) => JSON.parse(l).msg as string);
    expect(logFacts(lines[1])).toEqual({ mac: "aa:bb:cc:dd:ee:01" });
    expect(logFacts(lines[2])).toEqual({ talosVersion: "v1.13.9" });
    expect(logFacts(lines[3])).toEqual({ hostname: "cp-01" });
    expect(logFacts(lines[4])).toEqual({ addresses: ["10.0.20.10"] });
    expect(logFacts("some driver: mac=aa-bb-cc-dd-ee-01")).toEqual({});
    expect(logFacts('[talos] setting hostname {"hostname": "<script>"}')).toEqual({});
  });

  test("kernel facts: DMI, memory, SCSI model and disk sizes from the kernel's own messages only; their text capped to one line", () => {
    expect(kernelFacts("DMI: Dell Inc. PowerEdge R630/02C2CP, BIOS 2.17.0 12/04/2022")).toEqual({ dmi: "Dell Inc. PowerEdge R630/02C2CP" });
    expect(kernelFacts("Memory: 1000K/2048K available (100K kernel code)")).toEqual({ memoryMiB: 2 });
    expect(kernelFacts("virtio_blk virtio2: [vdb] 2097152 512-byte logical blocks (1.07 GB/1.00 GiB)")).toEqual({ disk: { name: "vdb", scsi: null, size: 2097152 * 512, prettySize: "1.07 GB", model: null } });
    expect(kernelFacts("DMI: evil\u0007\nname")).toEqual({ dmi: "evil\\u0007\\nname" });
    for (const notKernel of ["[talos] DMI: HP", "sd 0:0:0:0: [sda] Attached SCSI disk", "scsi 0:0:0:0: CD-ROM            QEMU     QEMU DVD-ROM     2.5+ PQ: 0 ANSI: 5", "Memory: lots"]) {
      expect({ line: notKernel, facts: kernelFacts(notKernel) }).toEqual({ line: notKernel, facts: null });
    }
  });

  test("oneLine escapes control characters and caps length", () => {
    expect(oneLine("a\nb\u0007c", 100)).toBe("a\\nb\\u0007c");
    expect(oneLine("x".repeat(20), 5)).toBe("xxxxx…(15 more)");
  });

  test("phases with a fake clock: installing → installed at kexec → stays installed while booting from disk → running", () => {
    let t = Date.parse("2026-12-07T10:00:00Z");
    const out: string[] = [];
    const rcv = new Receiver({ now: () => t, out: (l: string) => out.push(l), inventory: [{ name: "cp-01", mac: "aa:bb:cc:dd:ee:01", hostname: "cp-01", address: "10.0.20.10" }] });
    const conn = rcv.newConnection("events", "10.8.0.5");
    const phases: string[] = [];
    for (const msg of [...eventFixture("install-cp-01"), ...eventFixture("boot-cp-01-from-disk").slice(0, 3)]) {
      t += 1000;
      expect(rcv.acceptEvent(conn, decodeEventRequest(msg))).toBe(0);
      phases.push(rcv.status().machines[0].phase);
    }
    expect([...new Set(phases)]).toEqual(["booting", "installing", "installed"]);
    const st = rcv.status().machines[0];
    expect(st.installedAt).toBe("2026-12-07T10:00:17.000Z");
    expect(st.peerAddress).toBe("10.8.0.5");
    expect(out).toHaveLength(21);
  });
});

const protoSources = [process.env.TALOS_GIT_DIR, process.env.SIDEROLINK_GIT_DIR];
const canRegenerate = spawnSync("protoc", ["--version"]).status === 0 && (protoSources.every((d) => d && existsSync(d)) || process.env.GITHUB_ACTIONS === "true");
(canRegenerate ? test : test.skip)(
  `${canRegenerate ? "" : "SKIPPED: needs protoc and TALOS_GIT_DIR + SIDEROLINK_GIT_DIR (or GitHub Actions, which downloads the .proto files) — "}the committed .hex fixtures are what protoc encodes from the .txtpb sources with Talos's .proto files`,
  () => {
    const args = ["--check", ...(protoSources.every((d) => d && existsSync(d)) ? (protoSources as string[]) : [])];
    const r = spawnSync(join(BOOT_REPORT_FIXTURES, "generate.sh"), args, { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  },
);
